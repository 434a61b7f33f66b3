"""``/report`` on the Rasa server: the trainers' report, built on each request from the server's
own tracker store, behind the API token ``SALES_COACH_API_TOKEN`` (``Authorization: Bearer
<token>`` or ``?token=<token>``, as Rasa's own API takes it). Without the token set it is off.
Configured in credentials.yml as ``bot.report.channel.ReportInput:``."""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.report.page import CSP
from bot.report.source import report_html

logger = logging.getLogger(__name__)

TOKEN_ENV = "SALES_COACH_API_TOKEN"
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token may be in the URL
    "X-Content-Type-Options": "nosniff",
}


def authorized(request: Request, token: str) -> bool:
    given = request.args.get("token") or ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        given = header.removeprefix("Bearer ")
    return hmac.compare_digest(given.encode(), token.encode())


class ReportInput(InputChannel):
    """Serves the trainers' report at ``/report``; takes no messages."""

    @classmethod
    def name(cls) -> str:
        return "report"

    def url_prefix(self) -> str:
        return "/report"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("trainers_report", __name__)

        @bp.route("", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            token = os.environ.get(TOKEN_ENV)
            if not token:
                return response.text(
                    f"The report is off: set {TOKEN_ENV} to serve it.", status=403, headers=HEADERS
                )
            if not authorized(request, token):
                return response.text("Unauthorized", status=401, headers=HEADERS)
            store = request.app.ctx.agent.tracker_store
            return response.html(await report_html(store), headers=HEADERS)

        return bp
