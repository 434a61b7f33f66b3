"""Off-topic: say what the bot coaches on, with the topics the question came closest to."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of, send_question, suggestable
from bot.composer.coaching import decline


class ActionDecline(Action):
    def name(self) -> str:
        return "action_decline"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # 11 of the 13 real coaching questions the model declines have their topic among the
        # first three it ranks (docs/nlu.md, "What the user gets")
        ranking = tracker.latest_message.get("intent_ranking") or []
        send_question(dispatcher, decline(suggestable(ranking), language_of(tracker)))
        return []
