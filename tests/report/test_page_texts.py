"""What the trainers' report shows of long texts and of ratings (bot/report/stats.py, page.py),
from tracker events as the store gives them."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.report.page import USER_TEXT_CHARS, render
from bot.report.stats import build

LONG = "我的客戶一直沒有回覆" * 2000  # 20,000 characters


def user(text: str, intent: str, at: float, **extra: Any) -> dict[str, Any]:
    parse = {"intent": {"name": intent}, "entities": [], "text": text}
    return {"event": "user", "text": text, "parse_data": parse, "timestamp": at, **extra}


def slot(name: str, value: Any, at: float) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "timestamp": at}


def answer(answer_id: str, at: float) -> dict[str, Any]:
    custom = {"sales_coach": {"id": answer_id, "title": "Drive"}}
    return {"event": "bot", "text": "**Drive**", "data": {"custom": custom}, "timestamp": at}


def test_a_long_message_takes_a_readable_cell_and_stays_whole_in_the_data() -> None:
    """QA defect 8: a 20,000-character message took a 2,000-character cell under Unanswered."""
    report = build([[user(LONG, "nlu_fallback", 1.0)]])
    assert report.unanswered[0].text == LONG
    page = render(report)
    shown = LONG[:USER_TEXT_CHARS] + "…"
    assert f"<td>{escape(shown)}</td>" in page
    assert LONG[: USER_TEXT_CHARS + 1] not in page


def test_a_long_comment_and_question_are_cut_too() -> None:
    events = [
        user(LONG + "?", "ask_drive", 1.0),
        answer("topic.drive", 2.0),
        user("/feedback_negative", "feedback_negative", 3.0),
        slot("feedback", {"rating": "down", "answer_id": "topic.drive", "entry_ids": []}, 4.0),
        user("x" * 5000, "out_of_scope", 5.0),
        slot("feedback_comment", "x" * 5000, 6.0),
    ]
    report = build([events])
    assert report.thumbs_down[0].comment == "x" * 5000
    page = render(report)
    item = page.split('<li class="thumbs-down">')[1]
    assert f"<blockquote>{'x' * USER_TEXT_CHARS}…</blockquote>" in item
    assert f"<blockquote>{LONG[:USER_TEXT_CHARS]}…</blockquote>" in item


def test_a_rating_of_no_answer_is_not_shown() -> None:
    """QA defect 3: a 👎 stored with answer_id None showed as "Comment: no comment given /
    Question: (empty) / Answer: no answer recorded"."""
    events = [
        user("idk", "feedback_negative", 1.0),
        slot("feedback", {"rating": "down", "answer_id": None, "entry_ids": []}, 2.0),
        user("no idea", "inform", 3.0),
        slot("feedback_comment", "no idea", 4.0),
        user("🙂", "feedback_positive", 5.0),
        slot("feedback", {"rating": "up", "answer_id": None, "entry_ids": []}, 6.0),
    ]
    report = build([events])
    assert report.feedback == []
    page = render(report)
    assert "thumbs-down" not in page.split('id="thumbs-down"')[1]
    assert "no answer recorded" not in page
