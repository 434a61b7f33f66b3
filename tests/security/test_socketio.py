"""Issue 7's socket.io rows against run.sh's servers (the channel's own tests, with more cases,
are in tests/web/test_socketio_sessions.py)."""

from __future__ import annotations

import socketio

from tests.security.conftest import RunSh
from tests.web.test_socketio_sessions import ChatClient


async def test_another_origin_is_refused(app: RunSh) -> None:
    client = ChatClient()
    try:
        await client.connect(app.base, origin="https://evil.example")
        raise AssertionError("a socket from another origin was accepted")
    except socketio.exceptions.ConnectionError:
        pass


async def test_a_session_is_bound_to_its_creator_and_long_messages_are_cut(app: RunSh) -> None:
    victim, intruder = ChatClient(), ChatClient()
    await victim.connect(app.base, origin=app.base)
    token = await victim.session(None)
    await victim.say("follow up " * 10_000, token)  # 100 KB through socket.io
    note = await victim.reply()
    assert note["text"].startswith("Your message was longer than 2,000 characters")
    assert "Following up" in (await victim.reply())["text"]

    # the intruder knows the victim's sender id (it shows in the report) and asks for it
    await intruder.connect(app.base, origin=app.base)
    granted = await intruder.session(token.split(".")[0])
    assert granted.split(".")[0] != token.split(".")[0]
    await intruder.say("how do I keep my commitments", token)  # the message's id is ignored
    assert await victim.nothing_received()
    await victim.close()
    await intruder.close()
