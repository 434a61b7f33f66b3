"""Low NLU confidence: "did you mean …?" with up to three guesses; a second miss lists topics."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, send_question, suggestable
from bot.composer.coaching import clarification

INTERNAL_ACTIONS = {"action_listen", "action_extract_slots"}


def previous_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the latest user message."""
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    for event in reversed(events[:last_user]):
        if event.get("event") == "action" and event.get("name") not in INTERNAL_ACTIONS:
            return event.get("name")
    return None


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if previous_action(tracker) == self.name():  # misunderstood twice: show the topics
            dispatcher.utter_message(response="utter_help")
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        send_question(dispatcher, clarification(suggestable(ranking), language_of(tracker)))
        return []
