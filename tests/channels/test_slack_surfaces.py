"""Slack's surfaces through the served webhook and a fake Web API: 👀 while answering, finished
buttons, who may click, 👍/👎 acknowledged ephemerally, `/coach`, the App Home tab; and the
webhook's bounds: de-duplication across a restart, huge messages and bodies."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.guard import MAX_MESSAGE_CHARS
from bot.channels.slack import MAX_TURN_TEXT, SalesCoachSlackInput

from .fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    ServedWebhook,
    SlackWebhookClient,
    app_home_opened_event,
    block_actions_payload,
    event_envelope,
    home_button_payload,
    mention_event,
    message_event,
    serve_sanic,
    sign,
    slash_command_payload,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
ANSWER_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Following up*"}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Source: ¶7"}]},
    {
        "type": "actions",
        "block_id": "sales_coach_buttons",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Tell me more"}},
            {"type": "button", "text": {"type": "plain_text", "text": "👍"}},
        ],
    },
]


def methods(slack: FakeSlackApi) -> list[str]:
    return [call["method"] for call in slack.calls]


# -- 👀 while the answer is prepared --------------------------------------------------------------


async def test_eyes_on_the_message_while_it_is_answered(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    seen_during_turn: list[list[str]] = []

    async def answer(_: UserMessage) -> None:
        seen_during_turn.append(methods(fake_slack))

    webhook.during_turn = answer
    event = message_event("hi", user="U0EYES001", channel="D0EYES001", ts="1700000100.000100")
    status, _, _ = await webhook.client.event(event_envelope(event))
    assert status == 200
    await fake_slack.wait_for("reactions.remove")
    reaction = {"channel": "D0EYES001", "timestamp": "1700000100.000100", "name": "eyes"}
    assert fake_slack.of("reactions.add") == [reaction]
    assert fake_slack.of("reactions.remove") == [reaction]
    # Added before the turn ran, removed after it.
    assert seen_during_turn == [["reactions.add"]]


# -- buttons --------------------------------------------------------------------------------------


async def test_a_click_finishes_the_message_and_reaches_the_bot(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    click = block_actions_payload(
        "/ask_more",
        user="U0CLICK01",
        channel="D0CLICK01",
        message_ts="1700000200.000200",
        thread_ts=None,
        title="Tell me more",
        blocks=ANSWER_BLOCKS,
        text="Following up",
    )
    assert (await webhook.client.interaction(click))[0] == 200
    (message,) = await webhook.wait_for_messages(1)
    assert (message.text, message.sender_id) == ("/ask_more", "U0CLICK01")
    (update,) = await fake_slack.wait_for("chat.update")
    assert (update["channel"], update["ts"], update["text"]) == (
        "D0CLICK01",
        "1700000200.000200",
        "Following up",
    )
    # The buttons are gone; the choice and who made it are shown instead.
    assert update["blocks"] == ANSWER_BLOCKS[:2] + [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "✅ <@U0CLICK01>: *Tell me more*"}],
        }
    ]


async def test_in_a_thread_only_the_asker_may_click(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    click = block_actions_payload(
        "/ask_more",
        user="U0OTHER01",
        channel="C0THREAD1",
        message_ts="1700000300.000300",
        thread_ts="1700000300.000100",
        block_id="sales_coach_buttons.U0ASKER01",
        blocks=ANSWER_BLOCKS,
        text="Following up",
    )
    assert (await webhook.client.interaction(click))[0] == 200
    (note,) = await fake_slack.wait_for("chat.postEphemeral")
    assert note == {
        "channel": "C0THREAD1",
        "user": "U0OTHER01",
        "thread_ts": "1700000300.000100",
        "text": "Only <@U0ASKER01> can use these buttons. To ask your own question, mention me "
        "in this thread.",
    }
    assert await webhook.wait_for_messages(1, timeout=0.5) == []
    assert fake_slack.of("chat.update") == []

    # The asker's own click goes through.
    click["user"]["id"] = "U0ASKER01"
    click["actions"][0]["action_ts"] = f"{time.time():.6f}"
    assert (await webhook.client.interaction(click))[0] == 200
    (message,) = await webhook.wait_for_messages(1)
    assert message.sender_id == "C0THREAD1_1700000300.000100"


async def test_answers_in_a_thread_carry_the_asker_in_their_buttons(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    mention = mention_event("hi", user="U0ASKER02", channel="C0THREAD2", ts="1700000400.000100")
    await webhook.client.event(event_envelope(mention))
    (message,) = await webhook.wait_for_messages(1)
    buttons = [{"title": "Compare roles", "payload": "/compare_roles"}]
    await message.output_channel.send_response(
        message.sender_id, {"text": "Hi", "buttons": buttons}
    )
    (post,) = fake_slack.posts
    assert post["blocks"][-1]["block_id"] == "sales_coach_buttons.U0ASKER02"


async def test_feedback_is_acknowledged_ephemerally(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    click = block_actions_payload(
        "/feedback_positive",
        user="U0FEED001",
        channel="C0FEED001",
        message_ts="1700000500.000200",
        thread_ts="1700000500.000100",
        block_id="sales_coach_buttons.U0FEED001",
        title="👍",
        blocks=ANSWER_BLOCKS,
    )
    assert (await webhook.client.interaction(click))[0] == 200
    (message,) = await webhook.wait_for_messages(1)
    await message.output_channel.send_response(message.sender_id, {"text": "Thanks!"})
    (thanks,) = fake_slack.of("chat.postEphemeral")
    assert thanks == {
        "channel": "C0FEED001",
        "user": "U0FEED001",
        "thread_ts": "1700000500.000100",
        "text": "Thanks!",
    }
    assert fake_slack.posts == []  # nothing posted for the whole thread to see
    (update,) = await fake_slack.wait_for("chat.update")
    assert update["blocks"][-1]["elements"][0]["text"] == "✅ <@U0FEED001>: *👍*"


# -- /coach ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent", "note"),
    [
        ("how do I follow up?", "how do I follow up?", "I'm answering in our direct messages"),
        ("help", "/help", "I'm answering in our direct messages"),
        ("", "/help", "I'm answering in our direct messages"),
        ("restart", "/restart", "I'm answering in our direct messages"),
        ("重新开始", "/restart", "我会在我们的私讯里回答你"),
        ("銷售經理做什麼?", "銷售經理做什麼?", "我會在我們的私訊裡回答你"),
    ],
)
async def test_coach_command(
    webhook: ServedWebhook, fake_slack: FakeSlackApi, typed: str, sent: str, note: str
) -> None:
    fields = slash_command_payload(typed, user="U0CMD0001", channel="C0CMD0001")
    status, body, _ = await webhook.client.command(fields)
    assert status == 200
    reply = json.loads(body)
    assert reply["response_type"] == "ephemeral" and reply["text"].startswith(note)
    (message,) = await webhook.wait_for_messages(1)
    # The person's own conversation, answered in their DM with the app.
    assert (message.text, message.sender_id) == (sent, "U0CMD0001")
    await message.output_channel.send_response(message.sender_id, {"text": "answer"})
    (post,) = [post for post in fake_slack.posts if post["text"] == "answer"]
    assert post["channel"] == "U0CMD0001" and "thread_ts" not in post


async def test_slacks_ssl_check_is_answered(webhook: ServedWebhook) -> None:
    status, body, _ = await webhook.client.command({"ssl_check": "1", "token": "t"})
    assert (status, body) == (200, "")
    assert await webhook.wait_for_messages(1, timeout=0.3) == []


async def test_other_commands_are_ignored(webhook: ServedWebhook) -> None:
    status, body, _ = await webhook.client.command(slash_command_payload("x", command="/other"))
    assert (status, body) == (200, "")
    assert await webhook.wait_for_messages(1, timeout=0.3) == []


# -- App Home -------------------------------------------------------------------------------------


async def test_opening_the_home_tab_publishes_it(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    event = app_home_opened_event("U0HOME001")
    assert (await webhook.client.event(event_envelope(event)))[0] == 200
    (published,) = await fake_slack.wait_for("views.publish")
    assert published["user_id"] == "U0HOME001"
    view = published["view"]
    assert view["type"] == "home"
    values = [e["value"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "/ask_follow_up" in values and "/ask_promotion_readiness" in values
    # The Messages tab opening is no reason to publish.
    await webhook.client.event(event_envelope(app_home_opened_event("U0HOME001", "messages")))
    assert len(await fake_slack.wait_for("views.publish", 2, timeout=0.5)) == 1


async def test_a_home_button_is_answered_in_the_dm(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    click = home_button_payload("/ask_sales_process", user="U0HOME002")
    assert (await webhook.client.interaction(click))[0] == 200
    (message,) = await webhook.wait_for_messages(1)
    assert (message.text, message.sender_id) == ("/ask_sales_process", "U0HOME002")
    await message.output_channel.send_response(message.sender_id, {"text": "answer"})
    assert fake_slack.posts[0]["channel"] == "U0HOME002"
    assert fake_slack.of("chat.update") == []  # the Home tab is not a message


# -- de-duplication across a restart --------------------------------------------------------------


async def serve_once(
    fake_slack: FakeSlackApi, database: Path, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], list[UserMessage]]:
    """A fresh channel and server (as after a restart) that receives one request."""
    channel = SalesCoachSlackInput.from_credentials(
        {
            "slack_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_base_url": fake_slack.base_url,
            "dedup_db_url": f"sqlite:///{database}",
        }
    )
    received: list[UserMessage] = []

    async def record(message: UserMessage) -> None:
        received.append(message)

    app = Sanic(f"slack_restart_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(channel.blueprint(record), url_prefix="/webhooks/slack")
    async with serve_sanic(app) as base_url:
        client = SlackWebhookClient(f"{base_url}/webhooks/slack/webhook")
        status, _, reply_headers = await client.post(body, "application/json", headers)
        served = ServedWebhook(channel, client, base_url, received)
        await served.wait_for_messages(1, timeout=1.0)
    return status, reply_headers, received


async def test_a_request_is_not_answered_again_after_a_restart(
    fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    database = tmp_path / "dedup.db"
    event = message_event("hi", user="U0RESTART", channel="D0RESTART")
    body = json.dumps(event_envelope(event)).encode()
    # Signed 47 seconds ago: still inside Slack's 5-minute window.
    headers = {"Content-Type": "application/json", **sign(body, timestamp=int(time.time()) - 47)}

    status, _, first = await serve_once(fake_slack, database, body, headers)
    assert status == 200 and [m.text for m in first] == ["hi"]

    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, reply_headers, second = await serve_once(fake_slack, database, body, retry)
    assert status == 200 and second == []
    assert reply_headers.get("X-Slack-No-Retry") == "1"


# -- bounds ---------------------------------------------------------------------------------------


async def test_a_huge_signed_message_is_cut_and_not_logged_whole(
    webhook: ServedWebhook, caplog: pytest.LogCaptureFixture
) -> None:
    text = "follow up " * 10_000  # 100 KB
    event = message_event(text, user="U0HUGE001", channel="D0HUGE001")
    with caplog.at_level(logging.DEBUG):
        started = time.monotonic()
        status, _, _ = await webhook.client.event(event_envelope(event))
        assert status == 200 and time.monotonic() - started < 2.0
        (message,) = await webhook.wait_for_messages(1)
    # cut by the channel (MAX_TURN_TEXT), then by the guard every channel shares, before NLU
    assert MAX_MESSAGE_CHARS - 10 < len(message.text) <= MAX_MESSAGE_CHARS < MAX_TURN_TEXT
    assert text.startswith(message.text)
    assert all(len(record.getMessage()) < 2000 for record in caplog.records)
    assert any("100000 characters was cut" in record.getMessage() for record in caplog.records)


async def test_a_body_over_the_limit_is_refused(webhook: ServedWebhook) -> None:
    event = message_event("x" * (1024 * 1024), user="U0HUGE002", channel="D0HUGE002")
    status, _, _ = await webhook.client.event(event_envelope(event))
    assert status == 413
    assert await webhook.wait_for_messages(1, timeout=0.3) == []
    # The next normal message is answered.
    status, _, _ = await webhook.client.event(event_envelope(message_event("hi")))
    assert status == 200 and len(await webhook.wait_for_messages(1)) == 1
