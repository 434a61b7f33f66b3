"""The welcome, with topics as buttons, once per conversation; later greetings are short."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, send_question
from bot.composer.coaching import welcome
from bot.rendering.strings import text


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        if tracker.get_slot("welcomed"):
            dispatcher.utter_message(text=text("greet_again", language))
            return []
        send_question(dispatcher, welcome(language))
        return [SlotSet("welcomed", True)]
