"""Socket Mode against a local fake that speaks Slack's protocol: apps.connections.open with the
app-level token, a ws:// URL, `hello`, envelopes acknowledged at once, reconnects."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from rasa.core.channels.channel import UserMessage
from rasa.shared.exceptions import InvalidConfigException
from sanic import Sanic

from bot.channels.slack import SalesCoachSlackInput

from .fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    FakeSlackApi,
    block_actions_payload,
    event_envelope,
    message_event,
    serve_sanic,
    slash_command_payload,
)

# How long the recorder takes over a turn: longer than any acknowledgement may take.
TURN_SECONDS = 1.5


@dataclass
class SocketModeApp:
    channel: SalesCoachSlackInput
    slack: FakeSlackApi
    base_url: str
    received: list[UserMessage] = field(default_factory=list)

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[UserMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.received


@pytest_asyncio.fixture
async def socket_app(fake_slack: FakeSlackApi, tmp_path: Path) -> AsyncIterator[SocketModeApp]:
    channel = SalesCoachSlackInput.from_credentials(
        {
            "slack_token": BOT_TOKEN,
            "slack_app_token": APP_TOKEN,
            "slack_api_base_url": fake_slack.base_url,
            "dedup_db_url": f"sqlite:///{tmp_path / 'dedup.db'}",
            "socket_mode_ping_interval": 0.2,
        }
    )
    app = Sanic(f"slack_socket_{uuid.uuid4().hex[:8]}", configure_logging=False)
    received: list[UserMessage] = []

    async def record(message: UserMessage) -> None:
        received.append(message)
        await asyncio.sleep(TURN_SECONDS)  # a turn takes a while; the ack must not wait for it

    app.blueprint(channel.blueprint(record), url_prefix="/webhooks/slack")
    async with serve_sanic(app) as base_url:
        assert await fake_slack.wait_for_connections(1), "Socket Mode never connected"
        yield SocketModeApp(channel, fake_slack, base_url, received)


def test_socket_mode_needs_an_app_level_token() -> None:
    with pytest.raises(InvalidConfigException, match="xapp-"):
        SalesCoachSlackInput.from_credentials(
            {"slack_token": BOT_TOKEN, "slack_app_token": BOT_TOKEN}
        )


async def test_connects_with_the_app_token_and_acks_an_event_at_once(
    socket_app: SocketModeApp,
) -> None:
    (open_call,) = [c for c in socket_app.slack.calls if c["method"] == "apps.connections.open"]
    assert open_call["authorization"] == f"Bearer {APP_TOKEN}"  # not the bot token

    event = message_event("how do I follow up?", user="U0SOCK001", channel="D0SOCK001")
    started = time.monotonic()
    envelope_id = await socket_app.slack.send_envelope("events_api", event_envelope(event))
    ack = await socket_app.slack.wait_for_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id}
    assert time.monotonic() - started < TURN_SECONDS  # before the turn is over

    (message,) = await socket_app.wait_for_messages(1)
    assert (message.text, message.sender_id) == ("how do I follow up?", "U0SOCK001")
    assert message.input_channel == "slack"
    assert socket_app.slack.unexpected == []


async def test_a_redelivered_envelope_is_acked_and_answered_once(
    socket_app: SocketModeApp,
) -> None:
    envelope = event_envelope(message_event("hi", user="U0SOCK002", channel="D0SOCK002"))
    first = await socket_app.slack.send_envelope("events_api", envelope)
    # Slack resends an event with retry_attempt/retry_reason when it saw no ack in time.
    again = await socket_app.slack.send_envelope(
        "events_api", envelope, retry_attempt=1, retry_reason="timeout"
    )
    assert await socket_app.slack.wait_for_ack(first)
    assert await socket_app.slack.wait_for_ack(again)
    await socket_app.wait_for_messages(2, timeout=1.0)
    assert [m.text for m in socket_app.received] == ["hi"]


async def test_reconnects_when_the_connection_drops(socket_app: SocketModeApp) -> None:
    await socket_app.slack.drop()
    assert await socket_app.slack.wait_for_connections(2), "no reconnect after a drop"
    opens = [c for c in socket_app.slack.calls if c["method"] == "apps.connections.open"]
    assert len(opens) == 2  # a fresh URL: each one is good for one connection

    event = message_event("after the drop", user="U0SOCK003", channel="D0SOCK003")
    envelope_id = await socket_app.slack.send_envelope("events_api", event_envelope(event))
    assert await socket_app.slack.wait_for_ack(envelope_id)
    (message,) = await socket_app.wait_for_messages(1)
    assert message.text == "after the drop"


async def test_reconnects_on_a_disconnect_message(socket_app: SocketModeApp) -> None:
    await socket_app.slack.send_disconnect("refresh_requested")
    assert await socket_app.slack.wait_for_connections(2), "no reconnect after `disconnect`"
    event = message_event("after the refresh", user="U0SOCK004", channel="D0SOCK004")
    envelope_id = await socket_app.slack.send_envelope("events_api", event_envelope(event))
    assert await socket_app.slack.wait_for_ack(envelope_id)
    assert [m.text for m in await socket_app.wait_for_messages(1)] == ["after the refresh"]


async def test_interactive_and_slash_command_envelopes(socket_app: SocketModeApp) -> None:
    click = block_actions_payload("/compare_roles", user="U0SOCK005", channel="D0SOCK005")
    click_id = await socket_app.slack.send_envelope("interactive", click)
    assert await socket_app.slack.wait_for_ack(click_id) == {"envelope_id": click_id}

    command = slash_command_payload("銷售經理做什麼?", user="U0SOCK006", channel="C0SOCK006")
    command_id = await socket_app.slack.send_envelope("slash_commands", command)
    ack = await socket_app.slack.wait_for_ack(command_id)
    # A slash command's ack may carry a message: where the answer goes, in the asker's language.
    assert ack == {
        "envelope_id": command_id,
        "payload": {
            "response_type": "ephemeral",
            "text": "我會在我們的私訊裡回答你(Sales Coach → 訊息)。",
        },
    }
    messages = await socket_app.wait_for_messages(2)
    assert {(m.text, m.sender_id) for m in messages} == {
        ("/compare_roles", "U0SOCK005"),
        ("銷售經理做什麼?", "U0SOCK006"),
    }


async def test_without_a_signing_secret_there_is_no_webhook(socket_app: SocketModeApp) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{socket_app.base_url}/webhooks/slack/webhook", data=b"{}") as r:
            assert r.status in (404, 405)
        async with session.get(f"{socket_app.base_url}/webhooks/slack/") as reply:
            assert (await reply.json()) == {"status": "ok", "socket_mode": True}


async def test_closes_its_connection_when_the_server_stops(
    fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    channel = SalesCoachSlackInput.from_credentials(
        {
            "slack_token": BOT_TOKEN,
            "slack_app_token": APP_TOKEN,
            "slack_api_base_url": fake_slack.base_url,
            "dedup_db_url": f"sqlite:///{tmp_path / 'dedup.db'}",
        }
    )
    app = Sanic(f"slack_socket_{uuid.uuid4().hex[:8]}", configure_logging=False)

    async def ignore(_: UserMessage) -> None:
        return None

    app.blueprint(channel.blueprint(ignore), url_prefix="/webhooks/slack")
    async with serve_sanic(app):
        assert await fake_slack.wait_for_connections(1)
    deadline = time.monotonic() + 5
    while fake_slack.live_socket() is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert fake_slack.live_socket() is None
    assert channel.socket_mode is None
