"""Test doubles for Slack: a local fake Web API with Socket Mode, signed Events API /
interactivity / slash-command requests, and a helper that serves a Sanic app on 127.0.0.1 inside
the test's event loop."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
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
APP_TOKEN = "xapp-1-A0001-test-token"
BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0001"
APP_ID = "A0001"


class FakeSlackApi:
    """A local stand-in for https://slack.com/api/ that records every call.

    Answers `chat.postMessage` like Slack ({"ok": true, "ts": ...}); `errors` queues error codes
    for the next calls (e.g. "invalid_blocks"; "ratelimited" answers HTTP 429).

    Socket Mode as Slack speaks it: `apps.connections.open` (app-level token only) returns a
    one-time ws:// URL; the socket says `hello`, then carries envelopes
    `{envelope_id, type, payload, accepts_response_payload, retry_attempt, retry_reason}` that
    the app must acknowledge with `{"envelope_id": …[, "payload": …]}`. `drop()` closes the
    socket, `send_disconnect()` sends Slack's `disconnect` message before a refresh.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.origin = ""
        # Socket Mode
        self.tickets: set[str] = set()
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.unexpected: list[str] = []  # socket messages that were not acks of our envelopes
        self._sent: set[str] = set()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.origin = f"127.0.0.1:{port}"
        self.base_url = f"http://{self.origin}/api/"
        return self.base_url

    async def stop(self) -> None:
        for socket_ in self.sockets:
            await socket_.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- Socket Mode ------------------------------------------------------------------------

    def _open_connection(self, authorization: str | None) -> web.Response:
        if not (authorization or "").startswith("Bearer xapp-"):
            # What Slack answers when a bot token is used for apps.connections.open.
            return web.json_response({"ok": False, "error": "not_allowed_token_type"})
        ticket = uuid.uuid4().hex
        self.tickets.add(ticket)
        return web.json_response({"ok": True, "url": f"ws://{self.origin}/link/?ticket={ticket}"})

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid ticket")
        self.tickets.discard(ticket)  # a URL is good for one connection
        socket_ = web.WebSocketResponse(autoping=True)
        await socket_.prepare(request)
        self.sockets.append(socket_)
        await socket_.send_json(
            {
                "type": "hello",
                "num_connections": len([s for s in self.sockets if not s.closed]),
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        async for frame in socket_:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                message = json.loads(frame.data)
            except ValueError:
                message = {}
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            if envelope_id in self._sent and envelope_id not in self.acks:
                self.acks[envelope_id] = message
            else:
                self.unexpected.append(frame.data)
        return socket_

    @property
    def connections(self) -> int:
        """How many Socket Mode connections were opened so far."""
        return len(self.sockets)

    def live_socket(self) -> web.WebSocketResponse | None:
        live = [socket_ for socket_ in self.sockets if not socket_.closed]
        return live[-1] if live else None

    async def wait_for_connections(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connections >= count and self.live_socket() is not None:
                return True
            await asyncio.sleep(0.05)
        return False

    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send one envelope on the live socket; returns its envelope_id."""
        socket_ = self.live_socket()
        assert socket_ is not None, "no Socket Mode connection"
        envelope_id = envelope_id or str(uuid.uuid4())
        self._sent.add(envelope_id)
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        await socket_.send_json(envelope)
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any] | None:
        """The app's acknowledgement of an envelope, within Slack's 3 seconds."""
        deadline = time.monotonic() + timeout
        while envelope_id not in self.acks and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.acks.get(envelope_id)

    async def drop(self) -> None:
        """Close the live socket, as Slack does when it moves a connection."""
        socket_ = self.live_socket()
        if socket_ is not None:
            await socket_.close(code=aiohttp.WSCloseCode.GOING_AWAY)

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        socket_ = self.live_socket()
        assert socket_ is not None
        await socket_.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )

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
        if method == "apps.connections.open":
            return self._open_connection(call["authorization"])
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
        if method == "chat.postEphemeral":
            return web.json_response({"ok": True, "message_ts": f"{time.time():.6f}"})
        return web.json_response({"ok": True})

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The arguments of every chat.postMessage call, in order."""
        return self.of("chat.postMessage")

    def of(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of `method`, in order."""
        return [call["payload"] for call in self.calls if call["method"] == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.of(method)) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.of(method)

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
    block_id: str = "sales_coach_buttons",
    blocks: list[dict[str, Any]] | None = None,
    text: str = "answer",
) -> dict[str, Any]:
    """An interactivity `block_actions` payload for a click on one of our buttons (Slack sends
    the whole message the button sits on, blocks included)."""
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": "B0001",
        "ts": message_ts,
        "text": text,
        "blocks": blocks or [],
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
                "block_id": block_id,
                "text": {"type": "plain_text", "text": title},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def home_button_payload(value: str, *, user: str = "U0USER1", title: str = "Topic") -> dict:
    """A click on a button in the App Home tab (container type `view`, no channel)."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "rep", "name": "rep", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "container": {"type": "view", "view_id": "V0HOME01"},
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.home",
        "team": {"id": TEAM_ID, "domain": "example"},
        "view": {"id": "V0HOME01", "type": "home", "blocks": []},
        "actions": [
            {
                "action_id": "sales_coach_button_0",
                "block_id": "sales_coach_home",
                "text": {"type": "plain_text", "text": title},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def slash_command_payload(
    text: str, *, user: str = "U0USER1", channel: str = "C0CHAN001", command: str = "/coach"
) -> dict[str, str]:
    """The fields of a slash command, as Slack posts them (form-encoded) or sends them in a
    Socket Mode `slash_commands` envelope."""
    return {
        "token": "verification-token-not-used",
        "team_id": TEAM_ID,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "directmessage" if channel[0] == "D" else "sales",
        "user_id": user,
        "user_name": "rep",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.cmd",
    }


def app_home_opened_event(user: str = "U0USER1", tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME001",
        "tab": tab,
        "event_ts": new_ts(),
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

    async def command(
        self, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        body = urlencode(fields).encode()
        return await self.post(body, "application/x-www-form-urlencoded", headers)


@dataclass
class ServedWebhook:
    """Our Slack channel served over HTTP, with a recorder in place of the Rasa agent."""

    channel: SalesCoachSlackInput
    client: SlackWebhookClient
    base_url: str
    received: list[UserMessage] = field(default_factory=list)
    # Called with each message while its turn runs (to look at what happened before it).
    during_turn: Callable[[UserMessage], Awaitable[None]] | None = None

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
