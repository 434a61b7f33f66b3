"""Misread questions in the trainers' report: a typed message, then a click on one of the bot's
guesses at it (bot/report/stats.py), from events as the tracker store gives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.report.page import render
from bot.report.stats import Misread, build

T0 = 1_764_600_000.0  # 2025-12-01 14:40 UTC


class Events:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, event: dict[str, Any]) -> Events:
        self.events.append({**event, "timestamp": T0 + len(self.events)})
        return self

    def user(self, text: str, intent: str, language: str | None = "en") -> Events:
        entities = [{"entity": "language", "value": language}] if language else []
        parse = {"intent": {"name": intent}, "entities": entities}
        return self.add({"event": "user", "text": text, "parse_data": parse})

    def action(self, name: str) -> Events:
        return self.add({"event": "action", "name": name})

    def answer(self, answer_id: str, second_guess: str | None = None) -> Events:
        answer = {"id": answer_id, **({"second_guess": second_guess} if second_guess else {})}
        return self.add({"event": "bot", "text": "…", "data": {"custom": {"sales_coach": answer}}})


def misread_of(events: Events) -> list[tuple[str, str, str, str]]:
    return [
        (item.language, item.text, item.taken_for, item.meant)
        for item in build([events.events]).misread
    ]


def test_a_click_on_a_did_you_mean_guess_is_a_misread_question() -> None:
    events = Events().user("my buyer keeps saying maybe", "nlu_fallback").action("action_clarify")
    events.user("/ask_follow_up", "ask_follow_up", None)
    assert misread_of(events) == [
        ("English", "my buyer keeps saying maybe", "not understood", "Following up")
    ]


def test_a_topic_chosen_from_an_off_topic_reply_is_a_misread_question() -> None:
    events = Events().user("40 nos this week, am I cut out for this", "out_of_scope")
    events.action("action_decline").user("/ask_tenacity", "ask_tenacity", None)
    assert misread_of(events) == [
        ("English", "40 nos this week, am I cut out for this", "off-topic", "Tenacity")
    ]


def test_the_second_guess_under_an_answer_is_a_misread_but_its_offers_are_not() -> None:
    events = Events().user("該升主管職嗎", "ask_promotion", "zh-Hant").action("action_answer_topic")
    events.answer("topic.promotion", second_guess="ask_management_offer")
    events.user("/ask_management_offer", "ask_management_offer", None)
    events.user("客戶已讀不回", "ask_follow_up", "zh-Hant").action("action_answer_topic")
    events.answer("topic.follow_up")  # offers a stalled-deal button, but as a next step
    events.user("/describe_stalled_deal", "describe_stalled_deal", None)
    assert misread_of(events) == [
        ("Traditional Chinese", "該升主管職嗎", "Promotion", "Management offer")
    ]


def test_a_click_on_help_is_not_a_misread_question() -> None:
    events = Events().user("blah", "nlu_fallback").action("action_clarify")
    events.user("/help", "help", None)
    assert misread_of(events) == []


def test_a_guess_counts_only_as_the_reply_to_the_message_just_typed() -> None:
    events = Events().user("blah", "nlu_fallback").action("action_clarify")
    events.user("hello", "greet").user("/ask_drive", "ask_drive", None)  # typed again first
    events.user("/ask_drive", "ask_drive", None)  # a button after a button
    assert misread_of(events) == []


def test_the_page_lists_them_escaped() -> None:
    report = build([])
    when = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    report.misread.append(Misread(when, "English", "<b>maybe</b>", "off-topic", "Following up"))
    html = render(report)
    assert '<h2 id="misread">' in html
    assert "<td>&lt;b&gt;maybe&lt;/b&gt;</td><td>off-topic</td><td>Following up</td>" in html
    assert '<td>Misread, then a topic offered was chosen</td><td class="n">1</td>' in html
