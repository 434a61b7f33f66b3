"""A new conversation session that carries over each slot's value once.

Rasa's own `action_session_start` carries slots over by copying every `SlotSet` event of the
session that ended (rasa/core/actions/action.py, `_slot_set_events_from_tracker`): the language
slot alone is set once per message, so a session of 50 messages began the next one with about
230 slot events, and each session began with the events of all the sessions before it. Every
message loads its session's events, so a rep's long-lived DM got slower with every session. Here
each slot that differs from its initial value is set once (Rasa's documented way to customise
the session start: this action in domain.yml's actions).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from bot.rendering.strings import text


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.latest_message.get("intent", {}).get("name") == "session_start":
            # typed "/session_start" (not a session that expired, which Rasa starts before the
            # new message): say what happened rather than nothing; the slots carry over
            dispatcher.utter_message(text=text("session_continued", language_of(tracker)))
        events: list[EventType] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            for name, slot in (domain.get("slots") or {}).items():
                value = tracker.get_slot(name)
                if value != slot.get("initial_value"):
                    events.append(SlotSet(name, value))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionRestart(Action):
    """Rasa's `/restart` (the widget's "new conversation", Slack's `/coach restart`), which
    otherwise wipes the conversation without a word: it says so first, in the conversation's
    language. (Rasa's own action would say a response `utter_restart`, which no story can use.)"""

    def name(self) -> str:
        return "action_restart"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("restarted", language_of(tracker)))
        return [Restarted()]
