"""Rasa channels for the intranet web chat widget in ``web/``.

Two channels, both configured in ``credentials.yml``:

``WebChatInput`` serves the widget's static files (``web/index.html``, ``web/*.js``, ``web/*.css``
and the vendored ``web/vendor/*``) at ``/webchat/`` on the Rasa server itself, so the page and
socket.io share one origin. It takes no messages.

``WebChatSocketIOInput`` is Rasa's own socket.io channel (same settings, same events, same
``session_request`` / ``session_confirm`` handshake) with one fix in its output: Rasa 3.6's
``SocketIOOutput.send_custom_json`` calls ``sio.emit(event, **custom)``, so a ``custom`` payload
such as ``{"sales_coach": {...}}`` raises ``TypeError`` and the whole turn is lost from the
tracker. Here each bot message goes out as one ``bot_uttered`` event::

    {"text": "...markdown...", "quick_replies": [{"content_type": "text", "title", "payload"}],
     "custom": {"sales_coach": {...}}}

(Rasa's channel also splits the text on blank lines into several events; this one does not, so a
markdown answer arrives whole.)

It also closes two holes of Rasa's channel, where any client from any origin that sends a known
``session_id`` joins that conversation, gets its live replies and writes into it:

- **Origins**: a browser connection is accepted from this server's own origin and from the
  origins in ``CORS_ORIGINS`` (space- or comma-separated; ``*`` is not honoured here).
- **Sessions bound to their creator**: the conversation of a socket is fixed by the server at
  ``session_request`` and every message of that socket goes into it (the ``session_id`` in a
  message is ignored). Anonymous mode: the server issues ``<sender id>.<HMAC>``; only a client
  holding that token (kept in its browser) resumes the conversation; the sender id alone, as it
  shows in trackers, logs and the report, is worth nothing. Signed mode
  (``SALES_COACH_JWT_KEY`` set): the client must connect with a JWT (``auth: {token}``) and its
  conversation is the one of the token's subject, ``sso:<sub>``, on every device.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import logging
import os
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import Any

import jwt
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.utils.cli import print_success
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import guard

logger = logging.getLogger(__name__)

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "web"
URL_PREFIX = "/webchat"

# Only these files are served: top-level pages, modules and styles, and the vendored libraries.
TOP_LEVEL_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
VENDOR_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
}


def resolve_static(web_dir: Path, path: str) -> Path | None:
    """Returns the file to serve for ``path`` (relative to ``/webchat/``), or None."""
    parts = PurePosixPath(path or "index.html").parts
    if not parts or any(part.startswith(".") or "\\" in part for part in parts):
        return None
    suffix = PurePosixPath(parts[-1]).suffix
    allowed = (len(parts) == 1 and suffix in TOP_LEVEL_TYPES) or (
        len(parts) == 2 and parts[0] == "vendor" and suffix in VENDOR_TYPES
    )
    if not allowed:
        return None
    root = web_dir.resolve()
    candidate = root.joinpath(*parts).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def content_security_policy(html: str) -> str:
    """A same-origin-only policy for a page; its inline config script is allowed by its hash."""
    script_src = ["'self'"] + [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    ]
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script_src)}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


class WebChatInput(InputChannel):
    """Serves the web chat widget at ``/webchat/``. Credentials: optional ``web_dir``."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(Path(credentials["web_dir"]) if credentials.get("web_dir") else None)

    def __init__(self, web_dir: Path | None = None) -> None:
        self.web_dir = web_dir or DEFAULT_WEB_DIR

    def url_prefix(self) -> str:
        return URL_PREFIX

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web_dir = self.web_dir
        if not (web_dir / "vendor").is_dir():
            logger.warning(
                f"{web_dir / 'vendor'} is missing: build the widget first (npm ci && npm run build "
                "in web/), or the page will not load its libraries."
            )
        bp = Blueprint("webchat", __name__)

        @bp.route("", methods=["GET", "HEAD"], strict_slashes=True)
        async def redirect(request: Request) -> HTTPResponse:
            return response.redirect(f"{URL_PREFIX}/")

        @bp.route("/", methods=["GET", "HEAD"], strict_slashes=True)
        async def index(request: Request) -> HTTPResponse:
            return await serve(request, "index.html")

        @bp.route("/<path:path>", methods=["GET", "HEAD"])
        async def serve(request: Request, path: str) -> HTTPResponse:
            file = resolve_static(web_dir, path)
            if file is None:
                return response.text("Not found", status=404)
            types = VENDOR_TYPES if file.parent.name == "vendor" else TOP_LEVEL_TYPES
            headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            if file.suffix == ".html":
                headers["Content-Security-Policy"] = content_security_policy(file.read_text())
            return await response.file(file, mime_type=types[file.suffix], headers=headers)

        @bp.listener("after_server_start")
        async def announce(app: Any, _loop: Any) -> None:
            host = app.state.host if app.state.host not in (None, "", "0.0.0.0", "::") else None
            print_success(
                f"Sales Coach web chat: http://{host or 'localhost'}:{app.state.port}{URL_PREFIX}/"
            )

        return bp


class WebChatSocketIOOutput(SocketIOOutput):
    """Sends each bot message as a single socket.io event, ``custom`` included."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        event: dict[str, Any] = {}
        if message.get("text"):
            event["text"] = message["text"]
        buttons = message.get("quick_replies") or message.get("buttons") or []
        if buttons:
            event["quick_replies"] = [
                {
                    "content_type": "text",
                    "title": button["title"],
                    "payload": button.get("payload", button["title"]),
                }
                for button in buttons
            ]
        for key in ("custom", "image", "attachment", "elements"):
            if message.get(key):
                event[key] = message[key]
        if event:
            await self._send_message(recipient_id, event)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


# Settings read from the environment (secrets never live in credentials.yml).
CORS_ORIGINS_ENV = "CORS_ORIGINS"
JWT_KEY_ENV = "SALES_COACH_JWT_KEY"
JWT_METHOD_ENV = "SALES_COACH_JWT_METHOD"
SESSION_SECRET_ENV = "SALES_COACH_SESSION_SECRET"
# Without SALES_COACH_SESSION_SECRET the signing key is generated once and kept here, so that a
# restarted server still recognises the sessions it issued (the widget's reconnect resumes).
DEFAULT_SESSION_KEY_FILE = Path(".rasa/webchat-session.key")
SSO_PREFIX = "sso:"
SIGNATURE_CHARS = 32  # 128 bits of HMAC-SHA256, hex


def allowed_origins(value: str | None) -> list[str]:
    """The origins in ``CORS_ORIGINS`` as a list; ``*`` (any origin) is dropped with a warning."""
    origins = [origin.rstrip("/") for origin in re.split(r"[\s,]+", value or "") if origin]
    if "*" in origins:
        logger.warning(
            f"{CORS_ORIGINS_ENV}='*' is not honoured for socket.io: only this server's own origin "
            "and the origins listed by name may open the chat."
        )
    return [origin for origin in origins if origin != "*"]


def origin_checker(origins: list[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """Whether a connection's Origin may connect: the server's own, or one of ``origins``."""
    listed = set(origins)

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:  # not a browser: nothing to check, the session binding still holds
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        if origin == own or origin in listed:
            return True
        logger.warning(f"socket.io connection from origin {origin[:100]!r} refused")
        return False

    return allowed


class SessionSigner:
    """Issues and checks session tokens ``<sender id>.<HMAC of it>``."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    @classmethod
    def from_environment(cls, key_file: Path = DEFAULT_SESSION_KEY_FILE) -> SessionSigner:
        if os.environ.get(SESSION_SECRET_ENV):
            return cls(os.environ[SESSION_SECRET_ENV].encode())
        if not key_file.is_file():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            # created 0600 before the key is written: no other user can read it
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
        return cls(key_file.read_text().strip().encode())

    def signature(self, sender_id: str) -> str:
        digest = hmac.new(self.secret, f"webchat-session:{sender_id}".encode(), hashlib.sha256)
        return digest.hexdigest()[:SIGNATURE_CHARS]

    def issue(self) -> str:
        sender_id = uuid.uuid4().hex
        return f"{sender_id}.{self.signature(sender_id)}"

    def verify(self, token: Any) -> str | None:
        """The sender id of a token this server issued, else None."""
        if not isinstance(token, str) or len(token) > 100 or token.count(".") != 1:
            return None
        sender_id, signature = token.split(".")
        if not re.fullmatch(r"[0-9a-f]{32}", sender_id):
            return None
        return sender_id if hmac.compare_digest(signature, self.signature(sender_id)) else None


def user_from_token(token: Any, key: str, method: str) -> dict[str, str] | None:
    """``{"sender_id", "user_id", "user_name"}`` from a valid JWT with a subject, else None."""
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(
            token.removeprefix("Bearer "), key, algorithms=[method], options={"require": ["sub"]}
        )
    except jwt.PyJWTError as error:
        logger.info(f"socket.io connection with an invalid user token refused: {error}")
        return None
    subject = str(claims["sub"])
    if not subject.strip() or len(subject) > 200:
        return None
    user = {"sender_id": f"{SSO_PREFIX}{subject}", "user_id": subject}
    if isinstance(claims.get("name"), str):
        user["user_name"] = claims["name"][:200]
    return user


def message_metadata(raw: Any) -> dict[str, Any]:
    """The client's metadata as a dict (Rasa's channel also accepts a JSON string)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


async def maybe_await(result: Any) -> None:
    """Room calls are plain functions in python-socketio 5.9 and coroutines from 5.10 on."""
    if inspect.isawaitable(result):
        await result


class WebChatSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same credentials and events) with ``WebChatSocketIOOutput``,
    origin checks and sessions bound to their creator (see the module's docstring)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        if credentials.get("jwt_key"):
            raise ValueError(f"jwt_key does not belong in credentials.yml: set {JWT_KEY_ENV}")
        channel = super().from_credentials(credentials)
        assert isinstance(channel, WebChatSocketIOInput)
        channel.jwt_key = os.environ.get(JWT_KEY_ENV) or None
        channel.jwt_algorithm = os.environ.get(JWT_METHOD_ENV) or "HS256"
        channel.origins = allowed_origins(os.environ.get(CORS_ORIGINS_ENV))
        channel.signer = SessionSigner.from_environment()
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.origins: list[str] = []
        self.signer: SessionSigner | None = None

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return WebChatSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # As in Rasa's channel, engineio adds no CORS headers of its own (Sanic's --cors does;
        # both would duplicate Access-Control-Allow-Origin); the origin is checked on connect.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        self.sio = sio
        origin_allowed = origin_checker(self.origins)
        signer = self.signer or SessionSigner.from_environment()
        namespace = self.namespace
        if self.jwt_key:
            logger.info(f"Web chat: signed identity, a JWT ({self.jwt_algorithm}) is required.")
        else:
            logger.warning(
                f"Web chat: anonymous mode ({JWT_KEY_ENV} is not set): each browser gets its own "
                "server-signed session, and user_id/user_name from the page are not verified."
            )
        bp = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        on_new_message = guard(on_new_message)  # bounded text, one queue per conversation

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not origin_allowed(environ.get("HTTP_ORIGIN"), environ):
                return False
            if not self.jwt_key:
                await sio.save_session(sid, {}, namespace=namespace)
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            user = user_from_token(token, self.jwt_key, self.jwt_algorithm)
            if user is None:
                return False
            await sio.save_session(sid, {"user": user}, namespace=namespace)
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            requested = data.get("session_id") if isinstance(data, dict) else None
            if session.get("user"):  # signed: the subject's conversation, whatever was asked
                session_id = sender_id = session["user"]["sender_id"]
            else:
                sender_id = signer.verify(requested)
                if sender_id is None:
                    if requested:
                        logger.info("socket.io session_request with an unknown session id")
                    session_id = signer.issue()
                    sender_id = signer.verify(session_id)
                else:
                    session_id = requested
            previous = session.get("sender_id")
            session["sender_id"] = sender_id
            await sio.save_session(sid, session, namespace=namespace)
            if self.session_persistence:
                if previous and previous != sender_id:  # one conversation per socket
                    await maybe_await(sio.leave_room(sid, previous, namespace=namespace))
                await maybe_await(sio.enter_room(sid, sender_id, namespace=namespace))
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            sender_id = session.get("sender_id")
            if not sender_id or not isinstance(data, dict):
                logger.info("socket.io message before session_request ignored")
                return
            if not self.session_persistence:
                sender_id = sid
            metadata = message_metadata(data.get(self.metadata_key))
            if session.get("user"):  # who the token says, not what the page says
                metadata = {
                    **{k: v for k, v in metadata.items() if k not in ("user_id", "user_name")},
                    **{k: v for k, v in session["user"].items() if k != "sender_id"},
                }
            text = data.get("message", "")
            message = UserMessage(
                text if isinstance(text, str) else "",
                WebChatSocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return bp
