"""/report on the real Rasa server: refused without SALES_COACH_API_TOKEN set, 401 without the
token, and with it the trainers' report built from the server's own tracker store."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message

import pytest

from tests.web.conftest import DEFAULT_ENV, ServerPool
from tests.web.test_signed_identity import REPORT_TOKEN, SERVER_ENV, token
from tests.web.test_socketio_sessions import ChatClient

OFF_TOPIC = "What's the weather like in Paris <b>today</b>?"


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers (looked up case-insensitively) and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_without_a_token_configured_the_report_is_off(server_pool: ServerPool):
    base = server_pool.get(DEFAULT_ENV).base
    for url in [f"{base}/report", f"{base}/report?token=", f"{base}/report?token=guess"]:
        status, _, body = fetch(url)
        assert status == 403 and "SALES_COACH_API_TOKEN" in body


@pytest.fixture(scope="module")
def base(server_pool: ServerPool) -> str:
    return server_pool.get(SERVER_ENV).base


def test_the_report_needs_the_token(base):
    for url, headers in [
        (f"{base}/report", {}),
        (f"{base}/report?token=wrong", {}),
        (f"{base}/report", {"Authorization": "Bearer wrong"}),
    ]:
        status, _, body = fetch(url, headers)
        assert status == 401 and "Conversations" not in body


async def test_the_report_shows_the_servers_conversations(base):
    client = ChatClient()
    await client.connect(base, origin=base, auth={"token": token("erin")})
    await client.session(None)
    await client.say("How do I follow up with customers?", "ignored")
    assert await client.reply()
    await client.say(OFF_TOPIC, "ignored")
    assert await client.reply()
    await client.close()
    for url, headers in [
        (f"{base}/report?token={REPORT_TOKEN}", {}),
        (f"{base}/report", {"Authorization": f"Bearer {REPORT_TOKEN}"}),
    ]:
        status, response_headers, html = fetch(url, headers)
        assert status == 200
        assert response_headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in response_headers["Content-Security-Policy"]
        assert response_headers["Referrer-Policy"] == "no-referrer"
        assert "<td>Following up</td>" in html
        assert "<b>today</b>" not in html  # user text is escaped wherever it shows
        assert html.count("<svg") == 2
