"""What one role does, from the knowledge base."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, language_of, send_answer
from bot.composer.answer import duties_answer, role_buttons
from bot.knowledge.base import knowledge_base
from bot.rendering.strings import text


class ActionRoleDuties(Action):
    def name(self) -> str:
        return "action_role_duties"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        language = language_of(tracker)
        named = entity_values(tracker, "role")
        # "what do they do?" refers to the role talked about last
        role = named[0] if named else next(iter(tracker.get_slot("roles") or []), None)
        if role is None:
            dispatcher.utter_message(
                text=text("ask_which_role", language),
                buttons=role_buttons(kb, "ask_role_duties", language),
            )
            return []
        # "who does a rep report to?" asks one aspect: answer that, not the whole role card
        aspect = next(iter(entity_values(tracker, "aspect")), None)
        events = send_answer(dispatcher, duties_answer(kb, role, language, aspect), tracker)
        return [SlotSet("roles", [role]), SlotSet("topic", None), *events]
