"""The Slack channel without a trained model: configuration, signatures, threads, de-duplication,
button clicks and what is posted to the (fake) Slack Web API."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from rasa.core.run import create_http_input_channels
from rasa.shared.exceptions import InvalidConfigException, RasaException

from bot.channels.slack import (
    DEFAULT_API_BASE_URL,
    RecentKeys,
    SalesCoachSlackBot,
    SalesCoachSlackInput,
    clean_user_text,
    parse_conversation_id,
    signature_failure,
    turn_from_event,
    turn_from_interaction,
)

from .fake_slack import (
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlackApi,
    ServedWebhook,
    block_actions_payload,
    event_envelope,
    mention_event,
    message_event,
    sign,
)

CREDENTIALS = {"slack_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET}

COMPARISON: dict[str, Any] = {
    "kind": "comparison",
    "language": "en",
    "title": "Sales manager vs account manager",
    "blocks": [
        {"type": "paragraph", "text": "They **differ** in scope."},
        {
            "type": "table",
            "columns": ["", "Sales manager", "Account manager"],
            "rows": [["Scope", "A team", "Key accounts"], ["Reports to", "—", "Regional manager"]],
        },
    ],
    "citations": [13, 15],
    "citation_text": "Source: ¶13, ¶15",
    "entry_ids": ["compare.sales_manager.account_manager.functions"],
    "buttons": [{"title": "Compare roles", "payload": "/compare_roles"}],
}
COMPARISON_MESSAGE: dict[str, Any] = {
    "text": "## Sales manager vs account manager\n\nThey **differ** in scope.\n\nSource: ¶13, ¶15",
    "buttons": [{"title": "Compare roles", "payload": "/compare_roles"}],
    "custom": {"sales_coach": COMPARISON},
}


# -- configuration -------------------------------------------------------------------------------


@pytest.fixture
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


@pytest.mark.usefixtures("no_slack_env")
def test_signing_secret_is_required() -> None:
    with pytest.raises(InvalidConfigException, match="signing secret"):
        SalesCoachSlackInput.from_credentials({"slack_token": BOT_TOKEN})


@pytest.mark.usefixtures("no_slack_env")
def test_token_is_required() -> None:
    with pytest.raises(InvalidConfigException, match="SLACK_BOT_TOKEN"):
        SalesCoachSlackInput.from_credentials({"slack_signing_secret": SIGNING_SECRET})


def test_token_and_secret_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret-from-env")
    channel = SalesCoachSlackInput.from_credentials(None)
    assert channel.slack_token == "xoxb-from-env"
    assert channel.slack_signing_secret == "secret-from-env"


def test_unexpanded_variable_is_refused() -> None:
    with pytest.raises(InvalidConfigException, match="SLACK_BOT_TOKEN"):
        SalesCoachSlackInput.from_credentials(
            {"slack_token": "${SLACK_BOT_TOKEN}", "slack_signing_secret": SIGNING_SECRET}
        )


def test_credentials_file_with_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-file")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret-from-file")
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        "bot.channels.slack.SalesCoachSlackInput:\n"
        "  slack_token: ${SLACK_BOT_TOKEN}\n"
        "  slack_signing_secret: ${SLACK_SIGNING_SECRET}\n"
        "  slack_api_base_url: http://127.0.0.1:9/api\n"
    )
    (channel,) = create_http_input_channels(None, str(credentials))
    assert isinstance(channel, SalesCoachSlackInput)
    assert channel.name() == "slack"  # served at /webhooks/slack/webhook
    assert channel.slack_token == "xoxb-from-file"
    assert channel.slack_signing_secret == "secret-from-file"
    assert channel.api_base_url == "http://127.0.0.1:9/api/"


@pytest.mark.usefixtures("no_slack_env")
def test_credentials_file_refuses_a_missing_environment_variable(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        "bot.channels.slack.SalesCoachSlackInput:\n"
        "  slack_token: ${SLACK_BOT_TOKEN}\n"
        "  slack_signing_secret: ${SLACK_SIGNING_SECRET}\n"
    )
    with pytest.raises(RasaException, match="SLACK_BOT_TOKEN"):
        create_http_input_channels(None, str(credentials))


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (None, DEFAULT_API_BASE_URL),
        ("http://127.0.0.1:8888/api", "http://127.0.0.1:8888/api/"),
        ("https://slack-proxy.internal/api/", "https://slack-proxy.internal/api/"),
    ],
)
def test_api_base_url(configured: str | None, expected: str) -> None:
    channel = SalesCoachSlackInput.from_credentials(
        {**CREDENTIALS, "slack_api_base_url": configured}
    )
    assert channel.api_base_url == expected
    output = channel.get_output_channel("C1", "1.2")
    assert isinstance(output, SalesCoachSlackBot)
    assert output.client.base_url == expected


def test_api_base_url_must_be_http() -> None:
    with pytest.raises(InvalidConfigException):
        SalesCoachSlackInput.from_credentials({**CREDENTIALS, "slack_api_base_url": "slack.com"})


def test_retry_headers_are_configured() -> None:
    # Rasa's bare constructor leaves them unset (field notes); ours always sets them.
    channel = SalesCoachSlackInput(BOT_TOKEN, SIGNING_SECRET)
    assert channel.retry_num_header == "x-slack-retry-num"
    assert channel.retry_reason_header == "x-slack-retry-reason"


# -- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"<@{BOT_USER_ID}> hi", "hi"),
        (f"what about <@{BOT_USER_ID}>?", "what about ?"),
        (f"<@{BOT_USER_ID}|sales-coach> hi", "hi"),
        ("ask <@U0OTHER> about it", "ask @U0OTHER about it"),
        ("see <#C0CHAN001|sales>", "see #sales"),
        ("<!here> hello", "@here hello"),
        ("read <https://example.com/a?b=1&amp;c=2|this page>", "read this page"),
        ("read <https://example.com>", "read https://example.com"),
        ("mail <mailto:a@example.com|a@example.com>", "mail a@example.com"),
        ("deals &lt; 5 &amp; visits &gt; 3", "deals < 5 & visits > 3"),
        (f"<@{BOT_USER_ID}> 銷售經理跟客戶經理差在哪", "銷售經理跟客戶經理差在哪"),
    ],
)
def test_clean_user_text(raw: str, expected: str) -> None:
    assert clean_user_text(raw, [BOT_USER_ID]) == expected


def test_direct_message_is_one_conversation_per_user() -> None:
    turn = turn_from_event(event_envelope(message_event("hi", user="U1", channel="D1")))
    assert turn is not None
    assert (turn.text, turn.sender_id, turn.channel, turn.thread_ts) == ("hi", "U1", "D1", None)
    assert turn.metadata["slack"]["kind"] == "direct_message"


def test_direct_message_in_a_thread_is_answered_in_that_thread() -> None:
    event = message_event("hi", user="U1", channel="D1", thread_ts="100.000001")
    turn = turn_from_event(event_envelope(event))
    assert turn is not None
    assert (turn.sender_id, turn.thread_ts) == ("U1", "100.000001")


def test_mention_starts_a_thread_on_the_mention() -> None:
    envelope = event_envelope(mention_event("hi", channel="C1", ts="200.000001"))
    turn = turn_from_event(envelope)
    assert turn is not None
    assert turn.text == "hi"
    assert (turn.channel, turn.thread_ts) == ("C1", "200.000001")
    assert turn.sender_id == "C1_200.000001"
    assert turn.metadata["out_channel"] == "C1"
    assert turn.metadata["thread_id"] == "200.000001"


def test_mentions_in_a_thread_share_the_thread_conversation() -> None:
    first = turn_from_event(
        event_envelope(mention_event("hi", user="U1", channel="C1", thread_ts="200.000001"))
    )
    second = turn_from_event(
        event_envelope(mention_event("and you?", user="U2", channel="C1", thread_ts="200.000001"))
    )
    assert first is not None and second is not None
    assert first.sender_id == second.sender_id == "C1_200.000001"
    assert first.thread_ts == second.thread_ts == "200.000001"


def test_channel_message_mentioning_the_bot_counts_as_a_mention() -> None:
    event = message_event(
        f"<@{BOT_USER_ID}> hi", channel="C1", channel_type="channel", ts="300.000001"
    )
    turn = turn_from_event(event_envelope(event))
    assert turn is not None
    assert (turn.text, turn.sender_id, turn.thread_ts) == ("hi", "C1_300.000001", "300.000001")


@pytest.mark.parametrize(
    "event",
    [
        message_event("just chatting", channel="C1", channel_type="channel"),
        message_event("thread chatter", channel="C1", channel_type="channel", thread_ts="1.1"),
        message_event("my own reply", bot_id="B0001"),
        message_event("my own reply", user=BOT_USER_ID),
        message_event("edited", subtype="message_changed"),
        message_event("joined", subtype="channel_join", channel="C1", channel_type="channel"),
        message_event(""),
        mention_event(""),
        {"type": "reaction_added", "user": "U1", "reaction": "thumbsup"},
    ],
)
def test_events_the_bot_ignores(event: dict[str, Any]) -> None:
    assert turn_from_event(event_envelope(event)) is None


def test_message_and_app_mention_share_dedup_keys() -> None:
    mention = mention_event("hi", channel="C1", ts="400.000001", client_msg_id="m-1")
    message = message_event(
        mention["text"], channel="C1", channel_type="channel", ts="400.000001", client_msg_id="m-1"
    )
    as_mention = turn_from_event(event_envelope(mention))
    as_message = turn_from_event(event_envelope(message))
    assert as_mention is not None and as_message is not None
    assert set(as_mention.dedup_keys) & set(as_message.dedup_keys)
    assert as_mention.sender_id == as_message.sender_id


def test_button_click_in_a_channel_thread() -> None:
    payload = block_actions_payload(
        "/compare_roles", channel="C1", message_ts="500.000002", thread_ts="500.000001"
    )
    turn = turn_from_interaction(payload)
    assert turn is not None
    assert turn.text == "/compare_roles"
    assert (turn.sender_id, turn.channel, turn.thread_ts) == ("C1_500.000001", "C1", "500.000001")


def test_button_click_in_a_direct_message() -> None:
    payload = block_actions_payload("/greet", user="U7", channel="D7", thread_ts=None)
    turn = turn_from_interaction(payload)
    assert turn is not None
    assert (turn.text, turn.sender_id, turn.channel, turn.thread_ts) == ("/greet", "U7", "D7", None)


def test_link_buttons_and_other_interactions_are_ignored() -> None:
    link = block_actions_payload("x")
    del link["actions"][0]["value"]
    assert turn_from_interaction(link) is None
    assert turn_from_interaction({"type": "view_submission", "user": {"id": "U1"}}) is None


def test_recent_keys_remember_and_forget() -> None:
    recent = RecentKeys(capacity=3)
    assert not recent.seen_before(["event:1", "message:C1:1"])
    assert recent.seen_before(["event:2", "message:C1:1"])  # same message, new event id
    assert recent.seen_before(["event:1"])
    assert len(recent) <= 3
    for number in range(10):
        recent.seen_before([f"event:x{number}"])
    assert len(recent) == 3
    assert "event:1" not in recent  # the oldest keys go first
    with pytest.raises(ValueError):
        RecentKeys(0)


def test_signature_check_cases() -> None:
    body = b'{"type":"event_callback"}'
    now = time.time()
    good = sign(body, timestamp=int(now))
    timestamp, signature = good["X-Slack-Request-Timestamp"], good["X-Slack-Signature"]
    assert signature_failure(SIGNING_SECRET, body, timestamp, signature, now=now) is None
    assert "missing" in signature_failure(SIGNING_SECRET, body, None, signature, now=now)
    assert "missing" in signature_failure(SIGNING_SECRET, body, timestamp, "", now=now)
    assert "malformed" in signature_failure(SIGNING_SECRET, body, "soon", signature, now=now)
    assert "match" in signature_failure("other", body, timestamp, signature, now=now)
    assert "match" in signature_failure(SIGNING_SECRET, body + b" ", timestamp, signature, now=now)
    assert "stale" in signature_failure(SIGNING_SECRET, body, timestamp, signature, now=now + 301)
    assert "stale" in signature_failure(SIGNING_SECRET, body, timestamp, signature, now=now - 301)


@pytest.mark.parametrize(
    ("conversation_id", "target"),
    [
        ("C0CHAN001_1700000000.000100", ("C0CHAN001", "1700000000.000100")),
        ("U0USER1", ("U0USER1", None)),
    ],
)
def test_parse_conversation_id(conversation_id: str, target: tuple[str, str | None]) -> None:
    assert parse_conversation_id(conversation_id) == target


# -- the webhook over HTTP -----------------------------------------------------------------------


async def test_url_verification(webhook: ServedWebhook) -> None:
    body = {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    status, text, _ = await webhook.client.event({**body, "type": "url_verification"})
    assert status == 200
    assert json.loads(text) == {"challenge": body["challenge"]}


def _unsigned(headers: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in headers.items() if not key.startswith("X-Slack")}


@pytest.mark.parametrize(
    ("case", "headers", "reason"),
    [
        ("missing", {"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""}, "missing"),
        ("wrong", {"X-Slack-Signature": "v0=" + "0" * 64}, "does not match"),
        ("stale", sign(b"later", timestamp=int(time.time()) - 600), "stale"),
        ("future", sign(b"later", timestamp=int(time.time()) + 600), "stale"),
        ("malformed", {"X-Slack-Request-Timestamp": "yesterday"}, "malformed"),
    ],
)
async def test_unsigned_requests_are_refused_and_logged(
    webhook: ServedWebhook,
    caplog: pytest.LogCaptureFixture,
    case: str,
    headers: dict[str, str],
    reason: str,
) -> None:
    envelope = event_envelope(message_event("hi"))
    if case in ("stale", "future"):
        # Correctly signed, but for a timestamp outside the 5-minute window.
        body = json.dumps(envelope).encode()
        headers = sign(body, timestamp=int(headers["X-Slack-Request-Timestamp"]))
        with caplog.at_level(logging.WARNING, logger="bot.channels.slack"):
            status, _, _ = await webhook.client.post(body, "application/json", headers)
    else:
        with caplog.at_level(logging.WARNING, logger="bot.channels.slack"):
            status, _, _ = await webhook.client.event(envelope, headers)
    assert status == 401
    assert any(
        "Refused Slack webhook request" in record.getMessage() and reason in record.getMessage()
        for record in caplog.records
    )
    await webhook.settle()
    assert webhook.received == []


async def test_tampered_body_is_refused(webhook: ServedWebhook) -> None:
    original = json.dumps(event_envelope(message_event("hi"))).encode()
    tampered = original.replace(b'"hi"', b'"/restart"')
    status, _, _ = await webhook.client.post(tampered, "application/json", sign(original))
    assert status == 401
    await webhook.settle()
    assert webhook.received == []


async def test_challenge_is_not_answered_without_a_signature(webhook: ServedWebhook) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
    status, text, _ = await webhook.client.post(
        body, "application/json", {"X-Slack-Signature": "v0=bad"}
    )
    assert status == 401
    assert "abc" not in text


async def test_health(webhook: ServedWebhook) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{webhook.base_url}/webhooks/slack/") as reply:
            assert reply.status == 200


async def test_direct_message_reaches_the_bot(webhook: ServedWebhook) -> None:
    status, _, _ = await webhook.client.event(
        event_envelope(message_event("hi", user="U0USER1", channel="D0DM0001"))
    )
    assert status == 200
    (message,) = await webhook.wait_for_messages(1)
    assert message.text == "hi"
    assert message.sender_id == "U0USER1"
    assert message.input_channel == "slack"
    assert isinstance(message.output_channel, SalesCoachSlackBot)
    assert message.output_channel.slack_channel == "D0DM0001"
    assert message.output_channel.thread_id is None


async def test_mention_reaches_the_bot_in_its_thread(webhook: ServedWebhook) -> None:
    event = mention_event("銷售經理跟客戶經理差在哪", channel="C0CHAN001", ts="1700000000.000100")
    status, _, _ = await webhook.client.event(event_envelope(event))
    assert status == 200
    (message,) = await webhook.wait_for_messages(1)
    assert message.text == "銷售經理跟客戶經理差在哪"
    assert message.sender_id == "C0CHAN001_1700000000.000100"
    assert message.output_channel.thread_id == "1700000000.000100"


async def test_message_and_app_mention_are_answered_once(webhook: ServedWebhook) -> None:
    mention = mention_event("hi", channel="C0CHAN001")
    message = message_event(
        mention["text"],
        channel="C0CHAN001",
        channel_type="channel",
        ts=mention["ts"],
        client_msg_id=mention["client_msg_id"],
    )
    first = await webhook.client.event(event_envelope(message))
    second = await webhook.client.event(event_envelope(mention))
    assert first[0] == second[0] == 200
    assert second[2].get("X-Slack-No-Retry") == "1"
    await webhook.settle()
    assert len(webhook.received) == 1


@pytest.mark.parametrize("reason", ["http_timeout", "http_error", "connection_failed", "unknown"])
async def test_retries_are_answered_once_and_quickly(webhook: ServedWebhook, reason: str) -> None:
    envelope = event_envelope(message_event("hi"))
    assert (await webhook.client.event(envelope))[0] == 200
    started = time.monotonic()
    status, _, headers = await webhook.client.event(
        envelope, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason}
    )
    assert status == 200
    assert time.monotonic() - started < 1.0
    assert headers.get("X-Slack-No-Retry") == "1"
    await webhook.settle()
    assert len(webhook.received) == 1


async def test_retry_of_a_delivery_we_never_got_is_answered(webhook: ServedWebhook) -> None:
    envelope = event_envelope(message_event("hi"))
    retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    assert (await webhook.client.event(envelope, retry))[0] == 200
    assert (await webhook.client.event(envelope, retry))[0] == 200
    await webhook.settle()
    assert len(webhook.received) == 1


async def test_button_click_reaches_the_bot_in_the_buttons_thread(webhook: ServedWebhook) -> None:
    payload = block_actions_payload(
        "/compare_roles", channel="C0CHAN001", thread_ts="1700000000.000100"
    )
    status, _, _ = await webhook.client.interaction(payload)
    assert status == 200
    (message,) = await webhook.wait_for_messages(1)
    assert message.text == "/compare_roles"
    assert message.sender_id == "C0CHAN001_1700000000.000100"
    assert message.output_channel.slack_channel == "C0CHAN001"
    assert message.output_channel.thread_id == "1700000000.000100"
    # Pressing twice is two answers; the same click delivered twice is one.
    assert (await webhook.client.interaction(payload))[0] == 200
    await webhook.settle()
    assert len(webhook.received) == 1


async def test_link_button_click_is_acknowledged_and_ignored(webhook: ServedWebhook) -> None:
    payload = block_actions_payload("x")
    del payload["actions"][0]["value"]
    assert (await webhook.client.interaction(payload))[0] == 200
    await webhook.settle()
    assert webhook.received == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"hello", "text/plain"),
    ],
)
async def test_malformed_signed_requests_get_400(
    webhook: ServedWebhook, body: bytes, content_type: str
) -> None:
    status, _, _ = await webhook.client.post(body, content_type)
    assert status == 400


# -- what reaches the Slack Web API --------------------------------------------------------------


def _bot(fake_slack: FakeSlackApi, channel: str | None, thread: str | None) -> SalesCoachSlackBot:
    slack = SalesCoachSlackInput.from_credentials(
        {**CREDENTIALS, "slack_api_base_url": fake_slack.base_url}
    )
    output = slack.get_output_channel(channel, thread)
    assert isinstance(output, SalesCoachSlackBot)
    return output


async def test_an_answer_is_one_block_kit_message_in_the_thread(fake_slack: FakeSlackApi) -> None:
    output = _bot(fake_slack, "C0CHAN001", "1700000000.000100")
    await output.send_response("C0CHAN001_1700000000.000100", dict(COMPARISON_MESSAGE))
    (post,) = fake_slack.posts
    assert fake_slack.calls[0]["authorization"] == f"Bearer {BOT_TOKEN}"
    assert post["channel"] == "C0CHAN001"
    assert post["thread_ts"] == "1700000000.000100"
    assert "as_user" not in post
    assert "**" not in post["text"]
    fields = [field["text"] for block in post["blocks"] for field in block.get("fields", [])]
    assert any("Sales manager" in text for text in fields)
    assert any("Account manager" in text for text in fields)
    (actions,) = [block for block in post["blocks"] if block["type"] == "actions"]
    assert actions["elements"][0]["value"] == "/compare_roles"


async def test_text_with_blank_lines_is_one_message(fake_slack: FakeSlackApi) -> None:
    output = _bot(fake_slack, "D0DM0001", None)
    await output.send_response("U0USER1", {"text": "Hi!\n\nI am **Sales Coach**.\n\n- one"})
    (post,) = fake_slack.posts
    assert post["channel"] == "D0DM0001"
    assert "thread_ts" not in post
    assert post["text"] == "Hi!\n\nI am *Sales Coach*.\n\n• one"


async def test_text_with_buttons_is_one_message(fake_slack: FakeSlackApi) -> None:
    output = _bot(fake_slack, "D0DM0001", None)
    buttons = [{"title": f"Option {n}", "payload": f"/option_{n}"} for n in range(7)]
    await output.send_response("U0USER1", {"text": "Pick one", "buttons": buttons})
    (post,) = fake_slack.posts
    assert post["text"] == "Pick one"
    assert [block["type"] for block in post["blocks"]] == ["section", "actions"]
    titles = [element["text"]["text"] for element in post["blocks"][1]["elements"]]
    assert titles == [f"Option {n}" for n in range(7)]  # up to 25 in one block


@pytest.mark.parametrize("error", ["invalid_blocks", "msg_blocks_too_long", "internal_error"])
async def test_any_refused_message_with_blocks_falls_back_to_text(
    fake_slack: FakeSlackApi, error: str
) -> None:
    fake_slack.errors.append(error)
    output = _bot(fake_slack, "C0CHAN001", "1.000001")
    await output.send_response("C0CHAN001_1.000001", dict(COMPARISON_MESSAGE))
    first, second = fake_slack.posts
    assert "blocks" in first and "blocks" not in second
    # The whole message as text, its buttons' titles last.
    assert second["text"] == (
        "*Sales manager vs account manager*\n\nThey *differ* in scope.\n\nSource: ¶13, ¶15"
        "\n\nCompare roles"
    )
    assert second["thread_ts"] == "1.000001"


async def test_an_oversized_message_is_posted_as_text_at_once(fake_slack: FakeSlackApi) -> None:
    output = _bot(fake_slack, "C0CHAN001", "1.000001")
    long_text = "\n\n".join(f"Paragraph {n}: " + "word " * 400 for n in range(10))
    await output.send_response("C0CHAN001_1.000001", {"text": long_text, "buttons": []})
    (post,) = fake_slack.posts  # no refused first attempt
    assert "blocks" not in post
    assert post["text"].startswith("Paragraph 0: word") and "Paragraph 9:" in post["text"]


async def test_rate_limited_posts_are_retried(fake_slack: FakeSlackApi) -> None:
    fake_slack.errors.append("ratelimited")
    output = _bot(fake_slack, "C0CHAN001", "1.000001")
    await output.send_response("C0CHAN001_1.000001", {"text": "hi"})
    assert [post["text"] for post in fake_slack.posts] == ["hi", "hi"]
    assert len(fake_slack.calls) == 2 and "ts" in fake_slack.calls[1]


async def test_other_slack_errors_are_logged_not_raised(
    fake_slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    # Raising would make Rasa drop the whole turn from the tracker.
    fake_slack.errors.append("not_in_channel")
    output = _bot(fake_slack, "C0CHAN001", "1.000001")
    with caplog.at_level(logging.ERROR, logger="bot.channels.slack"):
        await output.send_response("C0CHAN001_1.000001", {"text": "hi"})
    assert len(fake_slack.posts) == 1
    assert any("not_in_channel" in record.getMessage() for record in caplog.records)


async def test_an_unreachable_slack_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    slack = SalesCoachSlackInput.from_credentials(
        {**CREDENTIALS, "slack_api_base_url": "http://127.0.0.1:9/api/"}
    )
    output = slack.get_output_channel("D0DM0001")
    with caplog.at_level(logging.ERROR, logger="bot.channels.slack"):
        await output.send_response("U0USER1", {"text": "hi"})
    assert any("Could not reach Slack" in record.getMessage() for record in caplog.records)


async def test_message_without_an_incoming_event_finds_its_thread(
    fake_slack: FakeSlackApi,
) -> None:
    # E.g. an intent triggered through Rasa's HTTP API for an existing thread conversation.
    output = _bot(fake_slack, None, None)
    await output.send_response("C0CHAN001_1700000000.000100", {"text": "Reminder"})
    await output.send_response("U0USER1", {"text": "Reminder"})
    thread_post, dm_post = fake_slack.posts
    assert (thread_post["channel"], thread_post["thread_ts"]) == (
        "C0CHAN001",
        "1700000000.000100",
    )
    assert dm_post["channel"] == "U0USER1" and "thread_ts" not in dm_post


async def test_other_custom_payloads_pass_through(fake_slack: FakeSlackApi) -> None:
    output = _bot(fake_slack, "C0CHAN001", "1.000001")
    blocks = [{"type": "divider"}]
    await output.send_response("C0CHAN001_1.000001", {"custom": {"text": "x", "blocks": blocks}})
    (post,) = fake_slack.posts
    assert post["blocks"] == blocks
    assert post["thread_ts"] == "1.000001"
    assert "as_user" not in post


async def test_reply_from_the_webhook_goes_to_the_mention_thread(
    webhook: ServedWebhook, fake_slack: FakeSlackApi
) -> None:
    event = mention_event("hi", channel="C0CHAN001", ts="1700000000.000100")
    await webhook.client.event(event_envelope(event))
    (message,) = await webhook.wait_for_messages(1)
    await message.output_channel.send_response(message.sender_id, {"text": "Hello!"})
    (post,) = fake_slack.posts
    assert (post["channel"], post["thread_ts"], post["text"]) == (
        "C0CHAN001",
        "1700000000.000100",
        "Hello!",
    )


# -- docs/slack.md -------------------------------------------------------------------------------


def test_the_documented_manifests_match_the_channel() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "slack.md").read_text(encoding="utf-8")
    socket_mode, events_api = [
        yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", doc, re.S)[:2]
    ]
    scopes = set(socket_mode["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
        "im:read",
        "im:write",
        "reactions:write",
    } <= scopes
    settings = socket_mode["settings"]
    assert settings["socket_mode_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
    }
    assert settings["interactivity"] == {"is_enabled": True}
    assert "request_url" not in settings["event_subscriptions"]
    features = socket_mode["features"]
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert [command["command"] for command in features["slash_commands"]] == ["/coach"]

    url = "https://YOUR-HOST/webhooks/slack/webhook"
    assert events_api["settings"]["socket_mode_enabled"] is False
    assert events_api["settings"]["event_subscriptions"]["request_url"] == url
    assert events_api["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert events_api["features"]["slash_commands"][0]["url"] == url
    assert "connections:write" in doc  # the app-level token's scope
