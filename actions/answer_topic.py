"""Answers a coaching question (follow-up, the sales process …) from the knowledge base."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, language_of, send_answer
from bot.composer.answer import topic_answer
from bot.knowledge.base import knowledge_base


class ActionAnswerTopic(Action):
    def name(self) -> str:
        return "action_answer_topic"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        intent = tracker.latest_message.get("intent", {}).get("name")
        topic = kb.topic_for_intent(intent)
        if topic is None:  # a rule mapped an intent the knowledge base has no topic for
            dispatcher.utter_message(response="utter_help")
            return []
        # "what is execution?": a competency the topic focuses on gets its own entries first
        focus = next(iter(entity_values(tracker, "competency")), None)
        answer = topic_answer(kb, topic, language_of(tracker), focus=focus)
        events = send_answer(dispatcher, answer, tracker)
        # a new topic: the roles talked about before no longer apply
        return [SlotSet("topic", topic.id), SlotSet("roles", None), *events]
