"""End to end: signed Slack requests in, what the user would see in Slack out.

The real Rasa server app (`rasa.core.run.configure_app`, channels from a credentials file, the
trained model via `rasa.core.agent.load_agent`) runs in-process with the real action server as a
subprocess; the Slack Web API is a local fake that records `chat.postMessage` calls.

Needs a trained model (`make train` → models/sales-coach.tar.gz). SALES_COACH_E2E_MODEL may point
at another model file.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from rasa.core.agent import Agent, load_agent
from rasa.core.run import configure_app, create_http_input_channels
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.events import UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.rendering.coaching import welcome
from bot.rendering.slack import render_message

from .fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    SlackWebhookClient,
    block_actions_payload,
    event_envelope,
    mention_event,
    message_event,
    new_ts,
    serve_sanic,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
REPLY_TIMEOUT = 60.0  # the first turn warms up TensorFlow


def find_model() -> Path | None:
    configured = os.environ.get("SALES_COACH_E2E_MODEL")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    preferred = PROJECT_DIR / "models" / "sales-coach.tar.gz"
    if preferred.is_file():
        return preferred
    models = sorted(
        (PROJECT_DIR / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime
    )
    return models[-1] if models else None


MODEL = find_model()

pytestmark = [
    pytest.mark.skipif(
        MODEL is None,
        reason="no trained model in models/ (run `make train`); the Slack e2e test needs one",
    ),
    pytest.mark.asyncio(loop_scope="module"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's action server (`rasa run actions`) on a free port."""
    port = free_port()
    env = {**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    rasa = Path(sys.executable).with_name("rasa")
    log_path = tmp_path_factory.mktemp("actions") / "actions.log"
    log = log_path.open("wb")
    # Its output goes to a file: an unread pipe would fill up and stall the server.
    process = subprocess.Popen(
        [str(rasa), "run", "actions", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None:
                    output = log_path.read_text(errors="replace")[-3000:]
                    pytest.fail(f"The action server exited:\n{output}")
                if time.monotonic() > deadline:
                    pytest.fail("The action server did not start within 90 s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/webhook"
        if process.poll() is not None:
            output = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"The action server stopped during the tests:\n{output}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class SlackE2E:
    slack: FakeSlackApi
    client: SlackWebhookClient
    agent: Agent

    async def replies(
        self,
        channel: str,
        thread_ts: str | None,
        after: int,
        count: int = 1,
        timeout: float = REPLY_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Posts to `channel` / `thread_ts` made after the first `after` posts."""

        def matching() -> list[dict[str, Any]]:
            return [
                post
                for post in self.slack.posts[after:]
                if post.get("channel") == channel and post.get("thread_ts") == thread_ts
            ]

        deadline = time.monotonic() + timeout
        while len(matching()) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        # A turn may post more than one message: give the rest of it a moment.
        await asyncio.sleep(0.5)
        return matching()

    async def user_texts(self, sender_id: str) -> list[str]:
        tracker = await self.agent.tracker_store.retrieve(sender_id)
        assert tracker is not None, f"no conversation {sender_id!r}"
        return [event.text for event in tracker.events if isinstance(event, UserUttered)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def e2e(
    action_server: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SlackE2E]:
    slack = FakeSlackApi()
    await slack.start()
    # The credentials file the lead's credentials.yml block would produce, values from env vars.
    credentials = tmp_path_factory.mktemp("slack") / "credentials.yml"
    credentials.write_text(
        "bot.channels.slack.SalesCoachSlackInput:\n"
        "  slack_token: ${SLACK_BOT_TOKEN}\n"
        "  slack_signing_secret: ${SLACK_SIGNING_SECRET}\n"
        f"  slack_api_base_url: {slack.base_url}\n"
    )
    saved = {name: os.environ.get(name) for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")}
    os.environ.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    try:
        channels = create_http_input_channels(None, str(credentials))
        app = configure_app(channels, enable_api=False, route="/webhooks/")
        endpoints = AvailableEndpoints(action=EndpointConfig(url=action_server))
        app.ctx.agent = await load_agent(model_path=str(MODEL), endpoints=endpoints)
        assert app.ctx.agent.is_ready(), f"could not load {MODEL}"
        async with serve_sanic(app) as base_url:
            client = SlackWebhookClient(f"{base_url}/webhooks/slack/webhook")
            yield SlackE2E(slack, client, app.ctx.agent)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        await slack.stop()


def greeting_texts() -> list[str]:
    """What the first greeting looks like in Slack, in each language."""
    texts = []
    for language in ("en", "zh-Hans", "zh-Hant"):
        text, buttons = welcome(language)
        rendered = render_message({"text": text, "buttons": buttons})
        assert rendered is not None
        texts.append(rendered["text"])
    return texts


@pytest.fixture(scope="module")
def greetings() -> list[str]:
    return greeting_texts()


def fields_text(post: dict[str, Any]) -> str:
    return "\n".join(
        field["text"] for block in post.get("blocks", []) for field in block.get("fields", [])
    )


def buttons_of(post: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in post.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def find(posts: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    matches = [post for post in posts if test(post)]
    assert matches, f"no matching post among {posts}"
    return matches[0]


async def test_url_verification(e2e: SlackE2E) -> None:
    status, text, _ = await e2e.client.event({"type": "url_verification", "challenge": "c-123"})
    assert status == 200
    assert "c-123" in text


async def test_unsigned_request_is_refused(e2e: SlackE2E) -> None:
    before = len(e2e.slack.posts)
    envelope = event_envelope(message_event("hi", user="U0E2E0009", channel="D0E2E0009"))
    status, _, _ = await e2e.client.event(envelope, {"X-Slack-Signature": "v0=forged"})
    assert status == 401
    assert await e2e.replies("D0E2E0009", None, before, timeout=2) == []


async def test_hi_in_a_direct_message_gets_the_greeting(
    e2e: SlackE2E, greetings: list[str]
) -> None:
    before = len(e2e.slack.posts)
    envelope = event_envelope(message_event("hi", user="U0E2E0001", channel="D0E2E0001"))
    status, _, _ = await e2e.client.event(envelope)
    assert status == 200
    replies = await e2e.replies("D0E2E0001", None, before)
    assert len(replies) == 1, replies  # one Slack message per bot message, not split
    (greeting,) = replies
    assert greeting["text"] in greetings
    assert "**" not in greeting["text"]
    buttons = buttons_of(greeting)
    assert 0 < len(buttons) <= 5
    assert all(button["value"].startswith("/") for button in buttons)
    assert await e2e.user_texts("U0E2E0001") == ["hi"]


async def test_chinese_comparison_in_a_direct_message(e2e: SlackE2E) -> None:
    before = len(e2e.slack.posts)
    envelope = event_envelope(
        message_event("銷售經理跟客戶經理差在哪", user="U0E2E0002", channel="D0E2E0002")
    )
    assert (await e2e.client.event(envelope))[0] == 200
    replies = await e2e.replies("D0E2E0002", None, before)
    answer = find(replies, lambda post: bool(fields_text(post)))
    fields = fields_text(answer)
    assert "銷售經理" in fields and "客戶經理" in fields
    types = [block["type"] for block in answer["blocks"]]
    assert types[0] == "section" and "context" in types
    assert "出處" in str(answer["blocks"]) or "第" in str(answer["blocks"])
    assert "**" not in answer["text"]


async def test_mention_is_answered_in_its_thread_and_the_thread_continues(
    e2e: SlackE2E,
) -> None:
    channel, mention_ts = "C0E2E0003", new_ts()
    before = len(e2e.slack.posts)
    question = "what is the difference between a sales manager and an account manager?"
    mention = mention_event(question, user="U0E2E0003", channel=channel, ts=mention_ts)
    assert (await e2e.client.event(event_envelope(mention)))[0] == 200
    replies = await e2e.replies(channel, mention_ts, before)
    answer = find(replies, lambda post: bool(fields_text(post)))
    fields = fields_text(answer).lower()
    assert "sales manager" in fields and "account manager" in fields

    # A second person follows up in the same thread: same conversation, same thread.
    before = len(e2e.slack.posts)
    follow_up = mention_event(
        "thanks", user="U0E2E0004", channel=channel, ts=new_ts(), thread_ts=mention_ts
    )
    assert (await e2e.client.event(event_envelope(follow_up)))[0] == 200
    assert await e2e.replies(channel, mention_ts, before)
    thread_conversation = f"{channel}_{mention_ts}"
    assert await e2e.user_texts(thread_conversation) == [question, "thanks"]


async def test_button_click_reaches_the_bot_in_the_buttons_thread(e2e: SlackE2E) -> None:
    channel, mention_ts = "C0E2E0005", new_ts()
    before = len(e2e.slack.posts)
    mention = mention_event("hi", user="U0E2E0005", channel=channel, ts=mention_ts)
    await e2e.client.event(event_envelope(mention))
    (greeting,) = await e2e.replies(channel, mention_ts, before)
    button = buttons_of(greeting)[0]
    posted = next(call for call in e2e.slack.calls if call["payload"] is greeting)

    before = len(e2e.slack.posts)
    click = block_actions_payload(
        button["value"],
        user="U0E2E0006",
        channel=channel,
        message_ts=posted["ts"],
        thread_ts=mention_ts,
        title=button["text"]["text"],
    )
    status, _, _ = await e2e.client.interaction(click)
    assert status == 200
    assert await e2e.replies(channel, mention_ts, before)
    assert (await e2e.user_texts(f"{channel}_{mention_ts}"))[-1] == button["value"]


async def test_retries_and_double_deliveries_are_answered_once(e2e: SlackE2E) -> None:
    before = len(e2e.slack.posts)
    envelope = event_envelope(message_event("hi", user="U0E2E0007", channel="D0E2E0007"))
    assert (await e2e.client.event(envelope))[0] == 200
    started = time.monotonic()
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    status, _, headers = await e2e.client.event(envelope, retry)
    assert status == 200 and time.monotonic() - started < 1.0
    assert headers.get("X-Slack-No-Retry") == "1"

    # The same channel message as `message` and as `app_mention`.
    channel, ts = "C0E2E0008", new_ts()
    mention = mention_event("hi", user="U0E2E0008", channel=channel, ts=ts)
    as_message = message_event(
        mention["text"],
        user="U0E2E0008",
        channel=channel,
        channel_type="channel",
        ts=ts,
        client_msg_id=mention["client_msg_id"],
    )
    assert (await e2e.client.event(event_envelope(as_message)))[0] == 200
    assert (await e2e.client.event(event_envelope(mention)))[0] == 200

    assert len(await e2e.replies("D0E2E0007", None, before)) == 1
    assert len(await e2e.replies(channel, ts, before)) == 1
    await asyncio.sleep(1.0)  # nothing else trickles in
    assert len(await e2e.replies("D0E2E0007", None, before, timeout=0)) == 1
    assert len(await e2e.replies(channel, ts, before, timeout=0)) == 1
    assert await e2e.user_texts("U0E2E0007") == ["hi"]
    assert await e2e.user_texts(f"{channel}_{ts}") == ["hi"]


async def test_health_route(e2e: SlackE2E) -> None:
    url = e2e.client.url.removesuffix("webhook")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as reply:
            assert reply.status == 200
