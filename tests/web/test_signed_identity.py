"""Signed identity: the Rasa server started with SALES_COACH_JWT_KEY (and intranet origins in
CORS_ORIGINS). A connection needs a valid JWT; its conversation is the token subject's, on every
device; the page's user_id cannot override it; only the listed origins and the server's own may
connect. The widget itself, in Chromium, connects with a token passed by its page."""

from __future__ import annotations

import time

import jwt
import pytest
import socketio
from playwright.sync_api import expect

from tests.web.conftest import get_json
from tests.web.test_socketio_sessions import ChatClient, user_texts
from tests.web.test_widget_browser import REPLY_TIMEOUT_MS

KEY = "test-only-signing-key-of-the-intranet-sso-0123456789"
INTRANET = "http://intranet.example"
REPORT_TOKEN = "test-only-api-token"
SERVER_ENV = {
    "SALES_COACH_JWT_KEY": KEY,
    "CORS_ORIGINS": f"{INTRANET} https://portal.example",
    "SALES_COACH_API_TOKEN": REPORT_TOKEN,  # for /report (tests/web/test_report_route.py)
}


def token(subject: str, key: str = KEY, **claims) -> str:
    payload = {"sub": subject, "name": subject.title(), "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, key, algorithm="HS256")


@pytest.mark.parametrize(
    "auth",
    [
        None,
        {"token": ""},
        {"token": token("alice", key="another-key-that-is-also-long-enough")},
        {"token": token("alice", exp=int(time.time()) - 60)},
        {"token": jwt.encode({"name": "no subject"}, KEY, algorithm="HS256")},
        {"token": jwt.encode({"sub": "alice"}, "", algorithm="none")},
    ],
    ids=["no token", "empty", "wrong key", "expired", "no subject", "unsigned"],
)
async def test_a_connection_without_a_valid_token_is_refused(server, auth):
    client = ChatClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server, origin=server, auth=auth)


async def test_the_conversation_is_the_token_subjects(server):
    alice, bob = ChatClient(), ChatClient()
    await alice.connect(server, origin=INTRANET, auth={"token": token("alice")})
    await bob.connect(server, origin=server, auth={"token": token("bob")})
    # asking for someone else's conversation gives one's own
    assert await alice.session("sso:bob") == "sso:alice"
    assert await bob.session(None) == "sso:bob"
    await alice.sio.emit(
        "user_uttered",
        {
            "message": "How do I follow up with customers?",
            "session_id": "sso:bob",
            "metadata": {"user_id": "bob", "user_name": "Bob", "team": "north"},
        },
    )
    assert (await alice.reply()).get("text")
    assert await bob.nothing_received()
    assert user_texts(server, "sso:bob") == []
    assert user_texts(server, "sso:alice") == ["How do I follow up with customers?"]

    # alice on a second device joins her own conversation and hears its replies
    phone = ChatClient()
    await phone.connect(server, origin=server, auth={"token": token("alice")})
    assert await phone.session(None) == "sso:alice"
    await alice.say("thanks", "sso:alice")
    assert await alice.reply() and await phone.reply()
    for client in (alice, bob, phone):
        await client.close()


def test_metadata_names_the_signed_user_not_the_page(server):
    events = get_json(f"{server}/conversations/sso:alice/tracker")["events"]
    metadata = [event["metadata"] for event in events if event["event"] == "user"]
    assert metadata and all(m["user_id"] == "alice" and m["user_name"] == "Alice" for m in metadata)
    assert metadata[0]["team"] == "north"  # other page metadata passes through


@pytest.mark.parametrize("origin", ["http://evil.example", "https://intranet.example"])
async def test_only_listed_origins_connect(server, origin):
    client = ChatClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server, origin=origin, auth={"token": token("alice")})
    listed = ChatClient()
    await listed.connect(server, origin="https://portal.example", auth={"token": token("carol")})
    assert await listed.session(None) == "sso:carol"
    await listed.close()


def test_the_widget_connects_with_the_pages_token(server, browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(f"{server}/webchat/?user_id=mallory#token={token('dave')}")
    page.wait_for_function("() => window.salesCoachChat && window.salesCoachChat.ready")
    assert page.evaluate("() => window.salesCoachChat.state.sessionId") == "sso:dave"
    expect(page.locator("#sales-coach-chat .msg-bot")).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    assert user_texts(server, "sso:dave") == ['/greet{"language":"en"}']
    context.close()

    # without a token the widget cannot connect, and says so
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(f"{server}/webchat/")
    expect(page.locator("#sales-coach-chat .status")).to_have_text(
        "Cannot reach Sales Coach, retrying…"
    )
    assert not page.evaluate("() => window.salesCoachChat.ready")
    context.close()
