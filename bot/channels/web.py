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
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.utils.cli import print_success
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

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


class WebChatSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same credentials) with ``WebChatSocketIOOutput`` as output."""

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return WebChatSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle(message: UserMessage) -> None:
            message.output_channel = self.get_output_channel()
            await on_new_message(message)

        return super().blueprint(handle)
