"""The answer language: detected per message, settled from the conversation, or chosen."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.common import entity_values, language_of
from bot.language import CHINESE_UNDECIDED, detect_language
from bot.rendering.strings import text


class ValidateSlotMappings(ValidationAction):
    """Rasa runs this after slot extraction on every message."""

    def validate_language(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A language the user chose wins; Chinese with no script-specific character ("好的")
        keeps the script used so far."""
        preference = tracker.get_slot("language_preference")
        if preference:
            return {"language": preference}
        if slot_value != CHINESE_UNDECIDED:
            return {"language": slot_value}
        for event in reversed(tracker.events):
            if event.get("event") == "slot" and event.get("name") == "language":
                if event.get("value") in ("zh-Hans", "zh-Hant"):
                    return {"language": event["value"]}
        return {"language": "zh-Hans"}


class ActionSwitchLanguage(Action):
    """ "answer in English", "请用中文", "用繁體字回答": sticks for the rest of the conversation."""

    def name(self) -> str:
        return "action_switch_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        asked = next(iter(entity_values(tracker, "script")), None)
        if asked == "zh":  # "Chinese" alone: the script the request is written in
            written = detect_language(tracker.latest_message.get("text") or "")
            asked = written if written in ("zh-Hans", "zh-Hant") else "zh-Hans"
        if asked is None:
            dispatcher.utter_message(text=text("which_language", language_of(tracker)))
            return []
        dispatcher.utter_message(text=text("language_switched", asked))
        return [SlotSet("language_preference", asked), SlotSet("language", asked)]
