"""Slack Socket Mode: the app opens a WebSocket to Slack instead of Slack calling a public URL.

slack_sdk's aiohttp `SocketModeClient` does the protocol: `apps.connections.open` with the
app-level token (`xapp-…`, scope `connections:write`) gives a `wss://` URL; Slack sends
envelopes `{envelope_id, type, payload}` (`events_api`, `interactive`, `slash_commands`) that
must be acknowledged within 3 seconds with `{"envelope_id": …}`; on a dropped connection or a
`{"type": "disconnect"}` message it asks for a new URL and reconnects.

The envelopes' payloads are exactly the Events API / interactivity / slash-command bodies, so
they go through the same parsing, de-duplication and dispatch as the webhook's (`accept`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

ENVELOPE_TYPES = frozenset({"events_api", "interactive", "slash_commands"})
# Called with (envelope type, payload); returns the acknowledgement's payload (or None).
Accept = Callable[[str, Mapping[str, Any]], "dict[str, Any] | None"]


class SocketModeConnection:
    """One Socket Mode connection for the lifetime of the Rasa server."""

    def __init__(
        self,
        app_token: str,
        accept: Accept,
        api_base_url: str,
        proxy: str | None = None,
        ping_interval: float = 5.0,
    ) -> None:
        self.app_token = app_token
        self.accept = accept
        self.api_base_url = api_base_url
        self.proxy = proxy
        self.ping_interval = ping_interval
        self.client: SocketModeClient | None = None

    async def start(self) -> None:
        """Connect (the client must be built inside the running event loop)."""
        web_client = AsyncWebClient(base_url=self.api_base_url, proxy=self.proxy)
        sdk_logger = logging.getLogger("slack_sdk.socket_mode")
        # At DEBUG the client logs every envelope whole, people's messages included.
        sdk_logger.setLevel(max(sdk_logger.getEffectiveLevel(), logging.INFO))
        self.client = SocketModeClient(
            self.app_token,
            web_client=web_client,
            proxy=self.proxy,
            ping_interval=self.ping_interval,
            logger=sdk_logger,
        )
        self.client.socket_mode_request_listeners.append(self._on_request)
        await self.client.connect()
        logger.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        ack: dict[str, Any] | None = None
        if request.type in ENVELOPE_TYPES and isinstance(request.payload, Mapping):
            try:
                # Synchronous and quick (parse, de-duplicate, start the turn in the background):
                # the acknowledgement is sent right after.
                ack = self.accept(request.type, request.payload)
            except Exception:  # never leave an envelope unacknowledged: Slack would resend it
                logger.exception("Handling a Slack Socket Mode %s envelope failed", request.type)
        else:
            logger.info("Ignoring a Slack Socket Mode envelope of type %s", request.type)
        response = SocketModeResponse(envelope_id=request.envelope_id, payload=ack or None)
        await client.send_socket_mode_response(response)
