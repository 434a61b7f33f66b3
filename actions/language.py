"""The answer language a user chooses ("answer in English", "请用中文", "用繁體字回答").

Detection and settling need no action: the NLU fills the `language` and `chinese_script` slots
and bot/language_choice.py settles the answer language from them.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, language_of
from bot.language import detect_language
from bot.rendering.strings import text


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
