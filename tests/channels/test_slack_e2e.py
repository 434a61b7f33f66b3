"""End to end: signed Slack requests and Socket Mode envelopes in, what the user would see in
Slack out.

The real Rasa server app (`rasa.core.run.configure_app`, channels from a credentials file, the
trained model via `rasa.core.agent.load_agent`) runs in-process with the real action server as a
subprocess; the Slack Web API and Socket Mode are a local fake that records every call. The
channel has both a signing secret (webhook) and an app-level token (Socket Mode).

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
from rasa.shared.core.events import Restarted, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.composer.coaching import welcome
from bot.rendering.slack import escape_mrkdwn, render_message

from .fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    SlackWebhookClient,
    app_home_opened_event,
    block_actions_payload,
    event_envelope,
    home_button_payload,
    mention_event,
    message_event,
    new_ts,
    serve_sanic,
    slash_command_payload,
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

    async def wait_for_post(
        self,
        channel: str,
        thread_ts: str | None,
        after: int,
        test: Callable[[dict[str, Any]], bool],
        timeout: float = REPLY_TIMEOUT,
    ) -> dict[str, Any]:
        """The first post to `channel` / `thread_ts` after the first `after` posts that passes
        `test` (a turn's messages come one by one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for post in self.slack.posts[after:]:
                if post.get("channel") == channel and post.get("thread_ts") == thread_ts:
                    if test(post):
                        return post
            await asyncio.sleep(0.1)
        raise AssertionError(f"no matching post among {self.slack.posts[after:]}")

    async def envelope(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a Socket Mode envelope; returns the app's acknowledgement (within 3 s)."""
        envelope_id = await self.slack.send_envelope(kind, payload)
        ack = await self.slack.wait_for_ack(envelope_id)
        assert ack is not None, f"{kind} envelope not acknowledged within 3 s"
        return ack


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
    credentials.write_text(
        credentials.read_text()
        + "  slack_app_token: ${SLACK_APP_TOKEN}\n"
        + f"  dedup_db_url: sqlite:///{credentials.parent / 'dedup.db'}\n"
        + "  socket_mode_ping_interval: 0.5\n"
    )
    names = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_APP_TOKEN=APP_TOKEN
    )
    try:
        channels = create_http_input_channels(None, str(credentials))
        app = configure_app(channels, enable_api=False, route="/webhooks/")
        endpoints = AvailableEndpoints(action=EndpointConfig(url=action_server))
        app.ctx.agent = await load_agent(model_path=str(MODEL), endpoints=endpoints)
        assert app.ctx.agent.is_ready(), f"could not load {MODEL}"
        async with serve_sanic(app) as base_url:
            assert await slack.wait_for_connections(1), "Socket Mode did not connect"
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
    assert len(buttons) == 5
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


def click_on(
    e2e: SlackE2E, post: dict[str, Any], button: dict[str, Any], user: str, block_id: str
) -> dict[str, Any]:
    """The block_actions payload Slack sends for a click on `button` of our posted `post`."""
    posted = next(call for call in e2e.slack.calls if call["payload"] is post)
    return block_actions_payload(
        button["value"],
        user=user,
        channel=post["channel"],
        message_ts=posted["ts"],
        thread_ts=post.get("thread_ts"),
        title=button["text"]["text"],
        block_id=block_id,
        blocks=post["blocks"],
        text=post["text"],
    )


def actions_block_id(post: dict[str, Any]) -> str:
    return next(block["block_id"] for block in post["blocks"] if block["type"] == "actions")


async def test_button_click_reaches_the_bot_and_finishes_the_message(e2e: SlackE2E) -> None:
    channel, mention_ts = "C0E2E0005", new_ts()
    before = len(e2e.slack.posts)
    mention = mention_event("hi", user="U0E2E0005", channel=channel, ts=mention_ts)
    await e2e.client.event(event_envelope(mention))
    (greeting,) = await e2e.replies(channel, mention_ts, before)
    button = buttons_of(greeting)[0]
    block_id = actions_block_id(greeting)
    assert block_id == "sales_coach_buttons.U0E2E0005"  # who asked

    # Someone else in the thread: told so, privately; nothing reaches the bot.
    before = len(e2e.slack.posts)
    ephemerals = len(e2e.slack.of("chat.postEphemeral"))
    other = click_on(e2e, greeting, button, "U0E2E0006", block_id)
    assert (await e2e.client.interaction(other))[0] == 200
    note = (await e2e.slack.wait_for("chat.postEphemeral", ephemerals + 1))[ephemerals]
    assert note["user"] == "U0E2E0006" and "<@U0E2E0005>" in note["text"]
    assert await e2e.replies(channel, mention_ts, before, timeout=1) == []
    assert await e2e.user_texts(f"{channel}_{mention_ts}") == ["hi"]

    # The asker's click: the message shows the choice without buttons, the bot answers.
    click = click_on(e2e, greeting, button, "U0E2E0005", block_id)
    assert (await e2e.client.interaction(click))[0] == 200
    assert await e2e.replies(channel, mention_ts, before)
    assert (await e2e.user_texts(f"{channel}_{mention_ts}"))[-1] == button["value"]
    update = next(u for u in e2e.slack.of("chat.update") if u["ts"] == click["message"]["ts"])
    assert update["channel"] == channel
    assert not [block for block in update["blocks"] if block["type"] == "actions"]
    assert update["blocks"][-1]["elements"][0]["text"] == (
        f"✅ <@U0E2E0005>: *{button['text']['text']}*"
    )


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


# -- Socket Mode ----------------------------------------------------------------------------------


async def test_socket_mode_dm_is_answered_with_eyes_meanwhile(
    e2e: SlackE2E, greetings: list[str]
) -> None:
    before = len(e2e.slack.posts)
    event = message_event("hi", user="U0SOC0001", channel="D0SOC0001")
    ack = await e2e.envelope("events_api", event_envelope(event))
    assert set(ack) == {"envelope_id"}
    (greeting,) = await e2e.replies("D0SOC0001", None, before)
    assert greeting["text"] in greetings
    reaction = {"channel": "D0SOC0001", "timestamp": event["ts"], "name": "eyes"}
    assert reaction in e2e.slack.of("reactions.add")
    assert reaction in await e2e.slack.wait_for("reactions.remove")
    # 👀 came off after the answer was posted.
    order = [
        call["method"]
        for call in e2e.slack.calls
        if call["payload"] is greeting or call["payload"] == reaction
    ]
    assert order == ["reactions.add", "chat.postMessage", "reactions.remove"]
    assert await e2e.user_texts("U0SOC0001") == ["hi"]


async def test_socket_mode_answers_again_after_a_dropped_connection(e2e: SlackE2E) -> None:
    connections = e2e.slack.connections
    await e2e.slack.drop()
    assert await e2e.slack.wait_for_connections(connections + 1), "no reconnect"
    before = len(e2e.slack.posts)
    event = message_event("銷售經理跟客戶經理差在哪", user="U0SOC0002", channel="D0SOC0002")
    await e2e.envelope("events_api", event_envelope(event))
    answer = await e2e.wait_for_post("D0SOC0002", None, before, lambda p: bool(fields_text(p)))
    assert "銷售經理" in fields_text(answer)


async def test_stalled_deal_offers_all_six_stages_and_the_choice_is_shown(e2e: SlackE2E) -> None:
    before = len(e2e.slack.posts)
    event = message_event("Coach me on a stalled deal", user="U0SOC0003", channel="D0SOC0003")
    await e2e.envelope("events_api", event_envelope(event))
    question = await e2e.wait_for_post(
        "D0SOC0003", None, before, lambda post: len(buttons_of(post)) == 6
    )
    stages = [button["text"]["text"] for button in buttons_of(question)]
    assert [stage.split(".")[0] for stage in stages] == ["1", "2", "3", "4", "5", "6"]

    first_stage = buttons_of(question)[0]
    before = len(e2e.slack.posts)
    click = click_on(e2e, question, first_stage, "U0SOC0003", actions_block_id(question))
    assert await e2e.envelope("interactive", click)
    assert await e2e.replies("D0SOC0003", None, before)
    assert (await e2e.user_texts("U0SOC0003"))[-1] == first_stage["value"]
    update = next(u for u in e2e.slack.of("chat.update") if u["ts"] == click["message"]["ts"])
    assert f"*{escape_mrkdwn(stages[0])}*" in update["blocks"][-1]["elements"][0]["text"]


async def test_thumbs_up_is_acknowledged_only_to_the_clicker(e2e: SlackE2E) -> None:
    channel, mention_ts = "C0SOC0004", new_ts()
    before = len(e2e.slack.posts)
    question = "how do I follow up with a customer?"
    mention = mention_event(question, user="U0SOC0004", channel=channel, ts=mention_ts)
    await e2e.envelope("events_api", event_envelope(mention))
    answer = await e2e.wait_for_post(
        channel,
        mention_ts,
        before,
        lambda post: any(b["value"].startswith("/feedback_positive") for b in buttons_of(post)),
    )
    thumbs_up = next(b for b in buttons_of(answer) if b["value"].startswith("/feedback_positive"))

    await asyncio.sleep(1.0)  # the rest of the answer's turn
    before = len(e2e.slack.posts)
    ephemerals = len(e2e.slack.of("chat.postEphemeral"))
    click = click_on(e2e, answer, thumbs_up, "U0SOC0004", actions_block_id(answer))
    await e2e.envelope("interactive", click)
    notes = await e2e.slack.wait_for("chat.postEphemeral", ephemerals + 1)
    thanks = notes[ephemerals]
    assert (thanks["channel"], thanks["user"], thanks["thread_ts"]) == (
        channel,
        "U0SOC0004",
        mention_ts,
    )
    assert thanks["text"] == "Thanks for the feedback!"
    assert await e2e.replies(channel, mention_ts, before, timeout=1) == []  # nothing public


async def test_coach_command_answers_in_the_dm_in_the_users_language(e2e: SlackE2E) -> None:
    before = len(e2e.slack.posts)
    command = slash_command_payload(
        "銷售經理跟客戶經理差在哪", user="U0CMD0002", channel="C0SALES01"
    )
    ack = await e2e.envelope("slash_commands", command)
    assert ack["payload"]["text"] == "我會在我們的私訊裡回答你(Sales Coach → 訊息)。"
    answer = await e2e.wait_for_post("U0CMD0002", None, before, lambda p: bool(fields_text(p)))
    fields = fields_text(answer)
    assert "銷售經理" in fields and "客戶經理" in fields

    # /coach help: what can be asked, still in Traditional Chinese (the conversation's language).
    before = len(e2e.slack.posts)
    await e2e.envelope("slash_commands", slash_command_payload("help", user="U0CMD0002"))
    (help_post,) = await e2e.replies("U0CMD0002", None, before)
    assert help_post["text"].startswith("你可以問我")


async def test_coach_restart_starts_over(e2e: SlackE2E) -> None:
    before = len(e2e.slack.posts)
    status, _, _ = await e2e.client.command(
        slash_command_payload("how do I follow up?", user="U0CMD0003", channel="D0CMD0003")
    )
    assert status == 200
    assert await e2e.replies("U0CMD0003", None, before)

    before = len(e2e.slack.posts)
    status, body, _ = await e2e.client.command(
        slash_command_payload("restart", user="U0CMD0003", channel="D0CMD0003")
    )
    assert status == 200 and "direct messages" in body
    (restarted,) = await e2e.replies("U0CMD0003", None, before)
    assert restarted["text"].startswith("OK, starting over")
    tracker = await e2e.agent.tracker_store.retrieve_full_tracker("U0CMD0003")
    assert tracker is not None
    assert any(isinstance(event, Restarted) for event in tracker.events)
    assert tracker.get_slot("topic") is None


async def test_app_home_in_the_language_of_the_conversation(e2e: SlackE2E) -> None:
    await e2e.envelope("events_api", event_envelope(app_home_opened_event("U0HOME0E1")))
    (first,) = await e2e.slack.wait_for("views.publish")
    assert first["user_id"] == "U0HOME0E1"
    assert "Topics" in str(first["view"]) and "English" in str(first["view"])

    # After a conversation in Simplified Chinese, the Home tab is in Simplified Chinese.
    before = len(e2e.slack.posts)
    event = message_event("销售经理跟客户经理差在哪", user="U0HOME0E1", channel="D0HOME0E1")
    await e2e.envelope("events_api", event_envelope(event))
    assert await e2e.replies("D0HOME0E1", None, before)
    await e2e.envelope("events_api", event_envelope(app_home_opened_event("U0HOME0E1")))
    published = await e2e.slack.wait_for("views.publish", 2)
    view = str(published[-1]["view"])
    assert "主题" in view and "跟进客户" in view and "目前跟你用的是:简体中文" in view

    # A topic button on the Home tab is answered in the DM.
    home_buttons = [
        e for b in published[-1]["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    before = len(e2e.slack.posts)
    follow_up = next(b for b in home_buttons if b["value"] == "/ask_follow_up")
    await e2e.envelope("interactive", home_button_payload("/ask_follow_up", user="U0HOME0E1"))
    replies = await e2e.replies("U0HOME0E1", None, before)
    assert replies and follow_up["text"]["text"] == "跟进客户"
