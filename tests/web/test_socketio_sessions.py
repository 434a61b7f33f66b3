"""socket.io sessions against the real Rasa server, anonymous mode (no SALES_COACH_JWT_KEY):
a session belongs to the client it was issued to, and browsers from other origins are refused.

Clients are python-socketio's own, speaking the protocol the widget speaks (session_request,
session_confirm, user_uttered, bot_uttered), with the Origin header a browser would send."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
import socketio

from tests.web.conftest import get_json

REPLY_TIMEOUT_S = 30
QUIET_S = 4  # how long a client listens for what it must not receive


class ChatClient:
    """A socket.io client that records the bot's messages and its session confirmations."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.sio.on("bot_uttered", self.replies.put_nowait)
        self.sio.on("session_confirm", self.confirmed.put_nowait)

    async def connect(self, base: str, origin: str | None = None, **kwargs) -> None:
        headers = {"Origin": origin} if origin else {}
        # long-polling: python-engineio's WebSocket client needs a newer aiohttp than Rasa's
        await self.sio.connect(
            base,
            headers=headers,
            socketio_path="/socket.io/",
            transports=["polling"],
            wait_timeout=10,
            **kwargs,
        )

    async def session(self, session_id: str | None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, text: str, session_id: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})

    async def reply(self) -> dict:
        return await asyncio.wait_for(self.replies.get(), REPLY_TIMEOUT_S)

    async def nothing_received(self) -> bool:
        await asyncio.sleep(QUIET_S)
        return self.replies.empty()

    async def close(self) -> None:
        await self.sio.disconnect()


def user_texts(base: str, sender_id: str) -> list[str]:
    # ":" stays as is: Sanic does not decode %3A in the path (sso:<sub> would not be found)
    events = get_json(f"{base}/conversations/{quote(sender_id, safe=':')}/tracker")["events"]
    return [event["text"] for event in events if event["event"] == "user"]


async def test_a_known_session_id_does_not_open_someone_elses_conversation(server):
    victim, intruder = ChatClient(), ChatClient()
    await victim.connect(server, origin=server)
    token = await victim.session(None)
    sender_id, signature = token.split(".")
    assert len(sender_id) == 32 and len(signature) == 32
    await victim.say("How do I follow up with customers?", token)
    assert (await victim.reply()).get("text")
    victim_said = user_texts(server, sender_id)
    assert victim_said == ["How do I follow up with customers?"]

    # The intruder knows the sender id (it shows in trackers, logs, the report) and tries it,
    # a forged signature, and writing with the victim's ids without a session of its own.
    await intruder.connect(server)
    await intruder.say("written before any session_request", sender_id)
    for attempt in [sender_id, f"{sender_id}.{'0' * 32}", f"{sender_id}.{signature[:-1]}x"]:
        issued = await intruder.session(attempt)
        assert issued.split(".")[0] != sender_id
    own = issued.split(".")[0]
    await intruder.say("forged: I want to quit", sender_id)
    await intruder.say("forged again", token)
    first = await intruder.reply()  # answered, in the intruder's own conversation
    assert first.get("text")

    assert await victim.nothing_received(), "the victim got the intruder's replies"
    assert user_texts(server, sender_id) == victim_said
    assert "forged: I want to quit" in user_texts(server, own)
    assert "written before any session_request" not in user_texts(server, own)

    # The victim's own next message still goes to its conversation, and only it hears the reply.
    await victim.say("thanks", token)
    assert await victim.reply()
    assert user_texts(server, sender_id) == [*victim_said, "thanks"]
    while not intruder.replies.empty():
        intruder.replies.get_nowait()  # the intruder's own replies to its two messages
    assert await intruder.nothing_received()
    await victim.close()
    await intruder.close()


async def test_the_same_client_resumes_its_session_after_reconnecting(server):
    client = ChatClient()
    await client.connect(server, origin=server)
    token = await client.session(None)
    await client.close()
    again = ChatClient()
    await again.connect(server, origin=server)
    assert await again.session(token) == token
    await again.say("hi", token)
    assert await again.reply()
    assert user_texts(server, token.split(".")[0])[-1] == "hi"
    await again.close()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
async def test_a_browser_on_a_foreign_origin_is_refused(server, origin):
    client = ChatClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server, origin=origin)
    # and the server still serves its own page's widget
    own = ChatClient()
    await own.connect(server, origin=server)
    assert await own.session(None)
    await own.close()
