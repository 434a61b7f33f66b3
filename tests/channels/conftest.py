"""Fixtures for the Slack channel tests: a fake Slack Web API and a served webhook."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.slack import SalesCoachSlackInput

from .fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    ServedWebhook,
    SlackWebhookClient,
    serve_sanic,
)

# Sanic 21.12 rewrites some of its class methods when an app starts ("touchup"); a second app in
# the same process fails unless test mode keeps the originals (sanic-testing does the same).
Sanic.test_mode = True


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest_asyncio.fixture
async def webhook(fake_slack: FakeSlackApi, tmp_path: Path) -> AsyncIterator[ServedWebhook]:
    channel = SalesCoachSlackInput.from_credentials(
        {
            "slack_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_base_url": fake_slack.base_url,
            # Each test its own de-duplication database (the default is .rasa/ in the cwd).
            "dedup_db_url": f"sqlite:///{tmp_path / 'dedup.db'}",
        }
    )
    app = Sanic(f"slack_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    received: list[UserMessage] = []
    served: list[ServedWebhook] = []

    async def record(message: UserMessage) -> None:
        received.append(message)
        if served and served[0].during_turn is not None:
            await served[0].during_turn(message)

    # The URL Rasa gives this channel: /webhooks/<name>/webhook.
    app.blueprint(channel.blueprint(record), url_prefix="/webhooks/slack")
    async with serve_sanic(app) as base_url:
        client = SlackWebhookClient(f"{base_url}/webhooks/slack/webhook")
        served.append(ServedWebhook(channel, client, base_url, received))
        yield served[0]
