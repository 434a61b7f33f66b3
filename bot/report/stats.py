"""Counts for the trainers' report, from conversations as Rasa stores them (tracker events).

What counts as what (the intents and actions of domain.yml):
- a question: a user message whose intent is one of the topic intents below (typed or a button);
- unanswered: ``nlu_fallback`` (the bot asked to rephrase) or ``out_of_scope`` (off-topic),
  as a share of the messages typed by users (button payloads, which start with "/", are not);
- feedback: the ``feedback`` slot (``{rating, answer_id, entry_ids}``), its comment the next
  ``feedback_comment`` slot, its answer the last bot message whose ``custom.sales_coach.id``
  is the ``answer_id``;
- a coaching flow: its form activated (started), its summary action (completed), or
  ``action_deactivate_loop`` while it ran (stopped); anything else is unfinished;
- misread: a typed message, then a click on a topic the bot offered instead of what it did:
  a "did you mean …?" of ``action_clarify`` or ``action_decline``, or the button an answer
  carries for its second guess (``custom.sales_coach.second_guess``). What the user wrote, what
  the bot took it for and what the user chose: questions to train on, once reviewed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

# The question intents and the topic each one is about.
TOPICS = {
    "ask_follow_up": "Following up",
    "ask_commitment": "Commitments",
    "ask_communication": "Communication",
    "ask_tenacity": "Tenacity",
    "ask_drive": "Drive",
    "ask_competencies": "Core competencies",
    "ask_sales_process": "Sales process",
    "ask_role_duties": "Role duties",
    "compare_roles": "Comparing roles",
    "ask_promotion": "Promotion",
    "ask_management_offer": "Management offer",
    "describe_stalled_deal": "Stalled deal (flow)",
    "ask_promotion_readiness": "Promotion readiness (flow)",
}
FALLBACK_INTENT = "nlu_fallback"
OFF_TOPIC_INTENT = "out_of_scope"
LANGUAGES = {"en": "English", "zh-Hans": "Simplified Chinese", "zh-Hant": "Traditional Chinese"}
UNTOLD_CHINESE = "Chinese (script not told)"  # no character tells Simplified from Traditional
NOT_DETECTED = "not detected"  # a button's payload: no text to detect a language in
# form → (the flow's name in the report, the action that completes it)
FLOWS = {
    "stalled_deal_form": ("Stalled deal", "action_stalled_deal_summary"),
    "readiness_form": ("Promotion readiness", "action_readiness_summary"),
}
STOP_ACTION = "action_deactivate_loop"
# actions whose buttons are all guesses at what a typed message meant
GUESSING_ACTIONS = {"action_clarify", "action_decline"}


@dataclass
class Unanswered:
    when: dt.datetime
    kind: str  # "fallback" or "off-topic"
    language: str
    text: str


@dataclass
class Misread:
    when: dt.datetime
    language: str
    text: str  # what the user wrote
    taken_for: str  # a topic, "not understood" or "off-topic"
    meant: str  # the topic the user chose


@dataclass
class Feedback:
    when: dt.datetime
    rating: str  # "up" or "down"
    answer_id: str | None
    comment: str | None = None  # None: none asked or given yet; "": declined
    answer_title: str = ""
    answer_text: str = ""
    question: str = ""


@dataclass
class Report:
    conversations: int = 0
    typed_messages: int = 0
    questions: int = 0
    # ISO week ("2026-W48") → Counter
    topics_by_week: dict[str, Counter] = field(default_factory=dict)
    languages_by_week: dict[str, Counter] = field(default_factory=dict)
    unanswered: list[Unanswered] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    flows: dict[str, Counter] = field(default_factory=dict)  # flow → started/completed/stopped
    misread: list[Misread] = field(default_factory=list)

    @property
    def topics(self) -> Counter:
        return sum(self.topics_by_week.values(), Counter())

    @property
    def languages(self) -> Counter:
        return sum(self.languages_by_week.values(), Counter())

    @property
    def weeks(self) -> list[str]:
        return sorted(set(self.topics_by_week) | set(self.languages_by_week))

    def count(self, kind: str) -> int:
        return sum(1 for item in self.unanswered if item.kind == kind)

    def rate(self, kind: str) -> float:
        return self.count(kind) / self.typed_messages if self.typed_messages else 0.0

    @property
    def thumbs_down(self) -> list[Feedback]:
        return [item for item in self.feedback if item.rating == "down"]


def week_of(when: dt.datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def language_of(parse_data: dict[str, Any]) -> str:
    """The language the message was written in (the language detector's entity)."""
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "language":
            return LANGUAGES.get(entity.get("value"), UNTOLD_CHINESE)
    return NOT_DETECTED


def taken_for(intent: str | None) -> str:
    """What the bot took a message for, in the report's words."""
    if intent == FALLBACK_INTENT:
        return "not understood"
    if intent == OFF_TOPIC_INTENT:
        return "off-topic"
    return TOPICS.get(intent or "", intent or "unknown")


def build(conversations: Iterable[list[dict[str, Any]]]) -> Report:
    """The report over conversations, each given as its events (``tracker.as_dialogue()``'s
    event dicts, oldest first)."""
    report = Report()
    for events in conversations:
        report.conversations += 1
        add_conversation(report, events)
    return report


def add_conversation(report: Report, events: list[dict[str, Any]]) -> None:
    answers: dict[str, dict[str, str]] = {}  # answer id → its title, text and question
    last_question = ""
    open_flow: str | None = None
    active_form: str | None = None  # a form asking for a slot: what is typed answers it
    waiting_comment: Feedback | None = None
    typed_message: Misread | None = None  # the last typed message, what the bot took it for
    guessed: set[str] = set()  # the topic intents offered as guesses at it
    for event in events:
        kind = event.get("event")
        when = dt.datetime.fromtimestamp(event.get("timestamp") or 0, tz=dt.timezone.utc)
        if kind == "user":
            if waiting_comment is not None and waiting_comment.comment is not None:
                waiting_comment = None  # the comment's turn is over: its last value stands
            text = event.get("text") or ""
            parse = event.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name")
            typed = not text.startswith("/")
            report.typed_messages += typed
            if not typed and typed_message and intent in TOPICS and intent in guessed:
                report.misread.append(replace(typed_message, meant=TOPICS[intent]))
            typed_message = (
                Misread(when, language_of(parse), text, taken_for(intent), "") if typed else None
            )
            guessed = set()
            if typed and (not active_form or intent in TOPICS):
                # what the user asked in words: a button's payload ("/ask_tenacity") is not, nor
                # an answer to a flow's question; a follow-up ("and the regional manager?") is
                last_question = text
            if intent in TOPICS:
                report.questions += 1
                week = week_of(when)
                report.topics_by_week.setdefault(week, Counter())[TOPICS[intent]] += 1
                report.languages_by_week.setdefault(week, Counter())[language_of(parse)] += 1
            elif typed and intent in (FALLBACK_INTENT, OFF_TOPIC_INTENT) and not active_form:
                # typed into a form (a 👎's comment, a deal stage) it answers the form, not asks
                label = "fallback" if intent == FALLBACK_INTENT else "off-topic"
                report.unanswered.append(Unanswered(when, label, language_of(parse), text))
        elif kind == "bot":
            answer = ((event.get("data") or {}).get("custom") or {}).get("sales_coach") or {}
            if answer.get("second_guess"):
                guessed = {answer["second_guess"]}
            if answer.get("id"):
                answers[answer["id"]] = {
                    "title": str(answer.get("title") or ""),
                    "text": event.get("text") or "",
                    "question": last_question,
                }
        elif kind == "slot" and event.get("name") == "feedback" and event.get("value"):
            value = event["value"]
            answer_id = value.get("answer_id")
            if not answer_id:
                # a rating of no answer (stored before actions/feedback.py refused them): nothing
                # a trainer can act on, and its comment would be attached to nothing
                waiting_comment = None
                continue
            answer = answers.get(answer_id, {})
            item = Feedback(
                when,
                "down" if value.get("rating") == "down" else "up",
                answer_id,
                answer_title=answer.get("title", ""),
                answer_text=answer.get("text", ""),
                question=answer.get("question", ""),
            )
            report.feedback.append(item)
            waiting_comment = item if item.rating == "down" else None
        elif kind == "slot" and event.get("name") == "feedback_comment":
            # the form sets what was typed, then its validation may clear it ("skip", "算了"):
            # the last value of the turn counts
            if waiting_comment is not None and event.get("value") is not None:
                waiting_comment.comment = str(event["value"])
        elif kind == "active_loop":
            active_form = event.get("name")
            if active_form in FLOWS:
                open_flow = active_form
                report.flows.setdefault(FLOWS[open_flow][0], Counter())["started"] += 1
        elif kind == "action" and event.get("name") in GUESSING_ACTIONS:
            guessed = set(TOPICS)
        elif kind == "action" and open_flow:
            name, completes = FLOWS[open_flow]
            if event.get("name") == completes:
                report.flows[name]["completed"] += 1
                open_flow = None
            elif event.get("name") == STOP_ACTION:
                report.flows[name]["stopped"] += 1
                open_flow = None
        elif kind == "restart":
            open_flow, active_form, waiting_comment = None, None, None
