"""👍/👎 on an answer, stored in the tracker as a slot event naming the answer's entries."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checklist import READINESS_FORM, STALLED_DEAL_FORM
from actions.common import ANSWER_REF, language_of
from bot.rendering.strings import text

SKIP_INTENTS = ("deny", "stop")
# The words the comment question itself suggests ("or say skip", 「略過」) and their like: a
# comment of "skip" is no comment, whatever the NLU makes of one word.
SKIP_WORDS = frozenset(
    {"skip", "pass", "no comment", "none", "nothing", "n/a", "na", "nope"}
    | {"略過", "略过", "跳過", "跳过", "沒有", "没有", "無", "无", "冇", "唔使", "不用"}
)


TRAILING_MARKS = re.compile(r"[\s.!。!~～]+$")


def is_skip(typed: Any) -> bool:
    # None is the form's own reset of the slot, not a typed "none"
    return isinstance(typed, str) and TRAILING_MARKS.sub("", typed.strip()).lower() in SKIP_WORDS


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rating = "up" if tracker.latest_message["intent"]["name"] == "feedback_positive" else "down"
        language = language_of(tracker)
        in_flow = tracker.active_loop.get("name") in (STALLED_DEAL_FORM, READINESS_FORM)
        if in_flow and not clicked_ref(tracker):
            # "idk" or "🙂" typed while a flow asks yes or no answers that question (unclearly),
            # it rates no earlier answer; only a 👍/👎 button names the answer it is under
            asked = tracker.get_slot("requested_slot")
            hint = "deal_stage_hint" if asked == "deal_stage" else "yes_no_hint"
            dispatcher.utter_message(text=text(hint, language))
            return []
        answer = clicked_answer(tracker)
        if not answer.get("id"):
            # a rating of nothing would reach the report as "no answer recorded"
            dispatcher.utter_message(text=text("feedback_no_answer", language))
            # out of a flow, a 👎 would go on to ask what was missing from it: listen instead
            return [] if in_flow else [FollowupAction("action_listen")]
        record = {
            "rating": rating,
            "answer_id": answer.get("id"),
            "entry_ids": answer.get("entry_ids", []),
        }
        if rating == "up":
            dispatcher.utter_message(text=text("feedback_thanks", language))
        elif in_flow:
            # no comment question inside a flow (its next question follows): say it was heard
            dispatcher.utter_message(text=text("feedback_down_in_flow", language))
        # a fresh comment slot, so the feedback form asks again after each 👎
        return [SlotSet("feedback", record), SlotSet("feedback_comment", None)]


def clicked_ref(tracker: Tracker) -> str | None:
    """The reference of the answer whose 👍/👎 button sent the latest message, if it was one."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    return (user.get("metadata") or {}).get(ANSWER_REF)


def clicked_answer(tracker: Tracker) -> dict[str, Any]:
    """The answer whose 👍/👎 was clicked (its reference is in the click's metadata), else the
    latest answer ("that helped" typed by the user); {} for a reference not in this session."""
    ref = clicked_ref(tracker)
    if not ref:
        return tracker.get_slot("last_answer") or {}
    for event in reversed(tracker.events):
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        answer = (custom or {}).get("sales_coach") or {}
        if answer.get("ref") == ref:
            return answer
    return {}


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_feedback_comment(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Whatever the user types is the comment; "no"/"skip" records that they declined."""
        skipped = tracker.latest_message["intent"]["name"] in SKIP_INTENTS or is_skip(slot_value)
        return {"feedback_comment": "" if skipped else slot_value}


class ActionAskFeedbackComment(Action):
    def name(self) -> str:
        return "action_ask_feedback_comment"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("feedback_ask_missing", language_of(tracker)))
        return []
