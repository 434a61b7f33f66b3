"""Rasa's REST channel (same URL, ``/webhooks/rest/webhook``, same JSON) made safe to leave on.

- **Own namespace**: a REST sender ``me`` is the conversation ``rest:me``, so a REST client can
  never write into a Slack (``C…_ts``), socket.io (signed hex) or SSO (``sso:…``) conversation;
  the ``input_channel`` of the body is ignored. A missing sender is refused (Rasa's channel put
  every such client into one shared conversation, ``default``).
- **Loopback, or the token**: a request from this machine needs nothing, as in the README's curl
  example (through a proxy on this machine, the client the proxy reports must be loopback too);
  any other needs ``SALES_COACH_API_TOKEN`` (``Authorization: Bearer …`` or ``?token=…``) and is
  refused when it is not set.
- **Malformed bodies are 400**: a body that is not a JSON object, a sender that is not a short
  id, a message that is not text (or holds a lone surrogate, which nothing downstream can
  encode).
- The health route (``GET /webhooks/rest/``) answers 503 while no model is loaded, and while
  the conversation store fails (bot/store_health.py): Rasa alone would keep answering from an
  empty in-memory conversation.

Configured in credentials.yml as ``bot.channels.rest.SalesCoachRestInput:`` instead of ``rest:``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import guard
from bot.report.channel import TOKEN_ENV, authorized
from bot.store_health import MONITOR

logger = logging.getLogger(__name__)

SENDER_PREFIX = "rest:"
REST_SENDER = re.compile(r"[A-Za-z0-9_.@+-]{1,64}")


def bad_request(reason: str) -> HTTPResponse:
    return response.json({"status": "failure", "reason": "BadRequest", "message": reason}, 400)


def loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip().strip('"[]')).is_loopback
    except ValueError:
        return False


def is_local(request: Request) -> bool:
    """From this machine: the peer is loopback and, when that peer is a proxy on this machine,
    the client it reports is loopback too. Only the right-most X-Forwarded-For entry counts:
    the nearest proxy appends it, a client can only forge the entries before it."""
    if not loopback(request.conn_info.client_ip if request.conn_info else ""):
        return False
    reported = []
    if request.headers.get("x-forwarded-for"):
        reported.append(request.headers["x-forwarded-for"].split(",")[-1])
    if request.headers.get("x-real-ip"):
        reported.append(request.headers["x-real-ip"])
    for part in request.headers.get("forwarded", "").split(","):
        reported += [v.split("=", 1)[1] for v in part.split(";") if v.strip().startswith("for=")]
    return all(loopback(address) for address in reported)


def access_problem(request: Request) -> HTTPResponse | None:
    if is_local(request):
        return None
    token = os.environ.get(TOKEN_ENV)
    if not token:
        return response.json(
            {"status": "failure", "reason": "Forbidden", "message": "REST is for this machine."},
            status=403,
        )
    if not authorized(request, token):
        return response.json({"status": "failure", "reason": "NotAuthenticated"}, status=401)
    return None


def parse_body(body: bytes) -> tuple[str, str, dict[str, Any]] | str:
    """``(sender id, text, metadata)`` from a request body, or why it is refused."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return "The body must be a JSON object."
    if not isinstance(data, dict):
        return "The body must be a JSON object."
    sender = data.get("sender")
    if not isinstance(sender, str) or not REST_SENDER.fullmatch(sender):
        return "sender: 1 to 64 letters, digits or _.@+- is required."
    text = data.get("message")
    if not isinstance(text, str):
        return "message: text is required."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "message: not valid Unicode text."
    metadata = data.get("metadata")
    return sender, text, metadata if isinstance(metadata, dict) else {}


class SalesCoachRestInput(RestInput):
    """Rasa's REST channel with the rules of the module's docstring."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("sales_coach_rest", __name__)
        handle = guard(on_new_message)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "no model loaded"}, status=503)
            tracker_store = getattr(agent, "tracker_store", None)
            if tracker_store is None:
                return response.json({"status": "ok"})
            report = await MONITOR.check(tracker_store)
            # the details (hosts, errors) go to the log, not to whoever asks
            public = {key: report[key] for key in ("status", "tracker_store")}
            return response.json(public, status=200 if report["status"] == "ok" else 503)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = access_problem(request)
            if refused is not None:
                return refused
            parsed = parse_body(request.body)
            if isinstance(parsed, str):
                return bad_request(parsed)
            sender, text, metadata = parsed
            collector = CollectingOutputChannel()
            await handle(
                UserMessage(
                    text,
                    collector,
                    f"{SENDER_PREFIX}{sender}",
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            return response.json(collector.messages)

        @bp.listener("after_server_start")
        async def watch_the_store(app: Any, _loop: Any) -> None:
            # the agent (and Rasa's fail-safe store wrapper) is loaded before the server starts
            agent = getattr(app.ctx, "agent", None)
            if agent is not None and getattr(agent, "tracker_store", None) is not None:
                MONITOR.watch(agent.tracker_store)

        return bp
