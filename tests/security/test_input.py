"""Issue 7, "Input": bounded, validated, and stored as text, against run.sh's servers."""

from __future__ import annotations

import json
import time

import pytest

from bot.channels.guard import MAX_LOG_CHARS
from tests.security.conftest import TOKEN, RunSh, request
from tests.security.test_access import ANSWERED, answered


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        '"hello"',
        "null",
        "{not json",
        '{"sender": "me", "message": "\\ud800"}',  # a lone surrogate
        '{"sender": "me", "message": 42}',
        '{"sender": "me"}',
        json.dumps({"sender": "x" * 65, "message": "hi"}),
        json.dumps({"sender": "a\nb", "message": "hi"}),
    ],
)
def test_malformed_bodies_are_400(app: RunSh, body: str) -> None:
    response = request(app.rest, body)
    assert response.status == 400, response.body[:200]
    answered(app)


def test_a_body_over_the_limit_is_refused(app: RunSh) -> None:
    response = request(app.rest, {"sender": "s" * 1_000_000, "message": "hi"})
    assert response.status == 413
    answered(app)


@pytest.mark.parametrize(
    ("message", "note", "understood"),
    [
        ("follow up " * 10_000, "Your message was longer than 2,000 characters", "Following up"),
        # a stalled deal after the samples: the flow starts at that stage
        ("客戶收到樣品後就沒消息了,要怎麼跟進? " * 200, "你的訊息超過2,000個字", "產品送達"),
    ],
    ids=["en-100KB", "zh-Hant"],
)
def test_a_long_message_is_cut_with_a_note_and_its_start_understood(
    app: RunSh, message: str, note: str, understood: str
) -> None:
    started = time.monotonic()
    texts = app.texts(f"long-{len(message)}", message)
    assert time.monotonic() - started < 20  # 100 KB took the server down before
    assert texts[0].startswith(note)
    assert understood in texts[1]
    # log lines are trimmed: the message is never repeated whole
    assert all(len(line) < MAX_LOG_CHARS + 200 for line in app.log().splitlines())
    answered(app)


def stored(app: RunSh, conversation: str) -> str:
    return json.dumps(app.tracker(conversation), ensure_ascii=False)


def test_typed_unknown_role_is_dropped_and_answered(app_with_token: RunSh) -> None:
    texts = app_with_token.texts("typed-role", '/compare_roles{"role":"not_a_role"}')
    assert texts and texts[0]  # was 200 [] (KeyError in the action)
    assert "not_a_role" not in stored(app_with_token, "rest:typed-role")
    assert "typed entity 'role'='not_a_role' from 'rest:typed-role' dropped" in app_with_token.log()


def test_typed_unknown_stage_never_fills_the_form(app_with_token: RunSh) -> None:
    app_with_token.texts("typed-stage", "/describe_stalled_deal")
    texts = app_with_token.texts("typed-stage", '/inform{"stage":"xyz"}')
    assert texts[0].startswith("I didn't catch the stage")
    tracker = app_with_token.tracker("rest:typed-stage")
    assert tracker["slots"]["deal_stage"] is None
    assert "xyz" not in stored(app_with_token, "rest:typed-stage")
    # the form goes on with a real stage
    texts = app_with_token.texts("typed-stage", '/inform{"stage":"product_delivery"}')
    assert app_with_token.tracker("rest:typed-stage")["slots"]["deal_stage"] == "product_delivery"


def test_typed_unknown_script_switches_nothing(app_with_token: RunSh) -> None:
    texts = app_with_token.texts("typed-script", '/switch_language{"script":"xx"}')
    assert "中文" not in texts[0]  # was "好的,之後我會用中文回答", then English anyway
    tracker = app_with_token.tracker("rest:typed-script")
    assert tracker["slots"]["language_preference"] is None
    assert '"xx"' not in stored(app_with_token, "rest:typed-script")


def test_thumbs_up_with_no_answer_records_nothing(app_with_token: RunSh) -> None:
    app_with_token.texts("early-thumb", "/feedback_positive")
    assert app_with_token.tracker("rest:early-thumb")["slots"]["feedback"] is None


def test_a_feedback_comment_is_stored_as_text_and_escaped_in_the_report(
    app_with_token: RunSh,
) -> None:
    comment = "<img src=x onerror=alert(1)> missing: Acme"
    app_with_token.texts("xss", ANSWERED)
    app_with_token.texts("xss", "/feedback_negative")
    app_with_token.texts("xss", comment)
    assert app_with_token.tracker("rest:xss")["slots"]["feedback_comment"] == comment
    page = request(f"{app_with_token.base}/report?token={TOKEN}")
    assert page.status == 200
    html = page.body.decode()
    assert "&lt;img src=x onerror=alert(1)&gt; missing: Acme" in html
    assert "<img src=x" not in html


@pytest.mark.parametrize(
    ("payload", "question"),
    [
        ("/describe_stalled_deal", "Let's get that deal moving"),
        ("/ask_promotion_readiness", "Let's check against what the article says"),
    ],
)
def test_the_bots_own_flow_buttons_ask_one_question(app: RunSh, payload, question) -> None:
    texts = app.texts(f"button-{payload[1:]}", payload)
    # was: "I didn't catch the stage…", "Please answer yes or no…", then the question
    assert len(texts) == 1 and texts[0].startswith(question), texts
