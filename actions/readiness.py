"""Promotion readiness check: the sales manager's functions as yes/no questions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.checklist import READINESS_FORM, ChecklistFormValidation
from actions.common import language_of, send_answer
from bot.composer.coaching import readiness_summary
from bot.knowledge.base import knowledge_base


class ValidateReadinessForm(ChecklistFormValidation):
    def name(self) -> str:
        return f"validate_{READINESS_FORM}"


class ActionReadinessSummary(Action):
    def name(self) -> str:
        return "action_readiness_summary"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        yes = [int(step) for step in tracker.get_slot("checklist_done") or []]
        answer = readiness_summary(knowledge_base(), yes, language_of(tracker))
        return [*send_answer(dispatcher, answer), SlotSet("checklist_answer", None)]
