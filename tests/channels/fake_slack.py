"""Test doubles for Slack: a local fake Web API, signed Events API / interactivity requests, and a
helper that serves a Sanic app on 127.0.0.1 inside the test's event loop."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.slack import SalesCoachSlackInput

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0001"
APP_ID = "A0001"


class FakeSlackApi:
    """A local stand-in for https://slack.com/api/ that records every call.

    Answers `chat.postMessage` like Slack ({"ok": true, "ts": ...}); `errors` queues error codes
    for the next calls (e.g. "invalid_blocks"; "ratelimited" answers HTTP 429).
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.content_type == "application/json":
            payload = json.loads(raw) if raw else {}
        else:
            payload = dict(parse_qsl(raw))
            if isinstance(payload.get("blocks"), str):
                payload["blocks"] = json.loads(payload["blocks"])
        call: dict[str, Any] = {
            "method": method,
            "payload": payload,
            "authorization": request.headers.get("Authorization"),
        }
        self.calls.append(call)
        if self.errors:
            error = self.errors.pop(0)
            if error == "ratelimited":
                # What Slack answers over a method's rate limit.
                body = {"ok": False, "error": error}
                return web.json_response(body, status=429, headers={"Retry-After": "0"})
            return web.json_response({"ok": False, "error": error})
        if method == "chat.postMessage":
            # The posted message's ts, which a later button click on it refers to.
            call["ts"] = f"{int(time.time())}.{next(self._ts):06d}"
            return web.json_response(
                {"ok": True, "channel": payload.get("channel"), "ts": call["ts"]}
            )
        return web.json_response({"ok": True})

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The arguments of every chat.postMessage call, in order."""
        return [call["payload"] for call in self.calls if call["method"] == "chat.postMessage"]

    async def wait_for_posts(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.posts) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.posts


# -- Slack requests ------------------------------------------------------------------------------


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def new_ts() -> str:
    return f"{time.time():.6f}"


def event_envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API `event_callback` envelope as Slack documents it."""
    return {
        "token": "verification-token-not-used",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def message_event(
    text: str,
    *,
    user: str = "U0USER1",
    channel: str = "D0DM0001",
    channel_type: str = "im",
    ts: str | None = None,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "client_msg_id": str(uuid.uuid4()),
        "user": user,
        "text": text,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def mention_event(
    text: str,
    *,
    user: str = "U0USER1",
    channel: str = "C0CHAN001",
    ts: str | None = None,
    thread_ts: str | None = None,
    client_msg_id: str | None = None,
) -> dict[str, Any]:
    """An `app_mention` event (Slack sends no channel_type with these)."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "client_msg_id": client_msg_id or str(uuid.uuid4()),
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def block_actions_payload(
    value: str,
    *,
    user: str = "U0USER1",
    channel: str = "C0CHAN001",
    message_ts: str = "1700000001.000200",
    thread_ts: str | None = "1700000000.000100",
    title: str = "Compare roles",
) -> dict[str, Any]:
    """An interactivity `block_actions` payload for a click on one of our buttons."""
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": "B0001",
        "ts": message_ts,
        "text": "answer",
    }
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "rep", "name": "rep", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-not-used",
        "container": container,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
        "team": {"id": TEAM_ID, "domain": "example"},
        "channel": {"id": channel, "name": "directmessage" if channel[0] == "D" else "sales"},
        "message": message,
        "response_url": "https://hooks.slack.com/actions/T0001/1/abc",
        "actions": [
            {
                "action_id": "sales_coach_button_0",
                "block_id": "sales_coach_buttons",
                "text": {"type": "plain_text", "text": title},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


class SlackWebhookClient:
    """Posts signed requests to a Slack webhook URL, as Slack would."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.secret = secret

    async def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        all_headers = {"Content-Type": content_type, **sign(body, self.secret)}
        all_headers.update(headers or {})
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, data=body, headers=all_headers) as reply:
                return reply.status, await reply.text(), dict(reply.headers)

    async def event(
        self, envelope: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        return await self.post(json.dumps(envelope).encode(), "application/json", headers)

    async def interaction(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", headers)


@dataclass
class ServedWebhook:
    """Our Slack channel served over HTTP, with a recorder in place of the Rasa agent."""

    channel: SalesCoachSlackInput
    client: SlackWebhookClient
    base_url: str
    received: list[UserMessage] = field(default_factory=list)

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[UserMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.received

    async def settle(self) -> None:
        """Let background tasks started by the webhook run."""
        for _ in range(5):
            await asyncio.sleep(0.02)


@asynccontextmanager
async def serve_sanic(app: Sanic) -> AsyncIterator[str]:
    """Serve `app` on a free 127.0.0.1 port in the running loop; yields its base URL."""
    # A pre-bound socket: create_server(port=0) would silently fall back to port 8000.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        sock.close()
