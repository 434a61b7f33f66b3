"""The REST channel and the guard's server rules on a Sanic app of their own, with a stand-in
agent: what the real servers cannot be brought to show (no model loaded; a proxy on this machine).
tests/security/ runs the same channel in the servers run.sh starts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic

from bot.channels.guard import GuardInput
from bot.channels.rest import SalesCoachRestInput
from bot.tracker_store import CachedSQLTrackerStore
from tests.test_store_health import lose_the_database

from .fake_slack import serve_sanic


class StandInAgent:
    """Answers every message with its sender id, as Rasa's agent would answer it."""

    def __init__(self) -> None:
        self.ready = True
        self.senders: list[str] = []

    def is_ready(self) -> bool:
        return self.ready

    async def handle_message(self, message: UserMessage) -> None:
        self.senders.append(message.sender_id)
        await message.output_channel.send_response(message.sender_id, {"text": "answer"})


@pytest_asyncio.fixture
async def served() -> AsyncIterator[tuple[str, StandInAgent]]:
    app = Sanic(f"rest_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    agent = StandInAgent()
    app.ctx.agent = agent
    register([SalesCoachRestInput(), GuardInput()], app, "/webhooks/")
    async with serve_sanic(app) as base_url:
        yield base_url, agent


async def call(
    url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """An HTTP call from this machine (aiohttp: the app is served in this test's loop)."""
    async with aiohttp.ClientSession() as session:
        method = "GET" if body is None else "POST"
        async with session.request(method, url, json=body, headers=headers or {}) as response:
            return response.status, await response.json(content_type=None)


async def test_the_health_check_fails_while_no_model_is_loaded(served) -> None:
    base, agent = served
    assert await call(f"{base}/webhooks/rest/") == (200, {"status": "ok"})
    agent.ready = False  # what DELETE /model left behind: "alive", answering nothing
    assert (await call(f"{base}/webhooks/rest/"))[0] == 503


async def test_the_health_check_fails_while_the_conversation_store_fails(served, tmp_path) -> None:
    base, agent = served
    store = CachedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    agent.tracker_store = FailSafeTrackerStore(store)
    assert await call(f"{base}/webhooks/rest/") == (
        200,
        {"status": "ok", "tracker_store": "CachedSQLTrackerStore"},
    )
    lose_the_database(store, tmp_path)
    # failing, and the error (paths, hosts) stays in the log
    assert await call(f"{base}/webhooks/rest/") == (
        503,
        {"status": "failing", "tracker_store": "CachedSQLTrackerStore"},
    )


@pytest.mark.parametrize(
    ("forwarded", "status"),
    [
        ({}, 200),
        ({"X-Forwarded-For": "203.0.113.7"}, 403),
        ({"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}, 403),  # a forged entry first
        ({"X-Forwarded-For": "203.0.113.7, 127.0.0.1"}, 200),  # a client of this machine
        ({"X-Real-IP": "203.0.113.7"}, 403),
        ({"Forwarded": "for=203.0.113.7;proto=https"}, 403),
        ({"Forwarded": 'for="[::1]"'}, 200),
    ],
)
async def test_rest_is_local_only_for_clients_of_this_machine(served, forwarded, status) -> None:
    base, agent = served
    body = {"sender": "me", "message": "hi"}
    result = await call(f"{base}/webhooks/rest/webhook", body, forwarded)
    assert result[0] == status
    if status == 200:
        assert result[1] == [{"recipient_id": "rest:me", "text": "answer"}]
        assert agent.senders == ["rest:me"]
