"""Stalled-deal coach: where the deal stands, then the article's steps for that stage."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checklist import STALLED_DEAL_FORM, ChecklistFormValidation
from actions.common import entity_values, language_of, send_answer, send_question
from bot.composer.coaching import deal_stage_question, deal_summary
from bot.knowledge.base import knowledge_base
from bot.rendering.strings import text

# The stage buttons are numbered ("5. Business negotiation"): "5", "#5", "stage 5", "第五步"
STAGE_NUMBER = re.compile(
    r"^(?:stage|step|#|no\.?|第)?\s*([1-9]|[一二三四五六七八九])\s*"
    r"(?:步|個?階段|个?阶段|stage|step)?[\s.。!！?？]*$",
    re.IGNORECASE,
)
CHINESE_DIGITS = "一二三四五六七八九"


def stage_numbered(typed: str, stages: tuple[str, ...]) -> str | None:
    """The stage a typed number names, counting from 1 as the buttons do."""
    found = STAGE_NUMBER.match(typed.strip())
    if not found:
        return None
    digit = found.group(1)
    number = CHINESE_DIGITS.index(digit) + 1 if digit in CHINESE_DIGITS else int(digit)
    return stages[number - 1] if number <= len(stages) else None


class ValidateStalledDealForm(ChecklistFormValidation):
    def name(self) -> str:
        return f"validate_{STALLED_DEAL_FORM}"

    def validate_deal_stage(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value is None:  # reset by action_start_checklist: the form asks, no hint yet
            return {"deal_stage": None}
        stages = knowledge_base().stages
        if slot_value not in stages:  # free text: a stage's number, or a stage named in it
            named = entity_values(tracker, "stage")
            slot_value = stage_numbered(str(slot_value), stages) or (named[0] if named else None)
        if slot_value is None:
            dispatcher.utter_message(text=text("deal_stage_hint", language_of(tracker)))
            return {"deal_stage": None}
        return stage_slots(slot_value)

    def switched_checklist(self, tracker: Tracker) -> dict[str, Any] | None:
        """ "We're stuck at negotiation" (or a stage button) while a step is asked: the coach
        starts over at the stage named, whatever the intent NLU gave it."""
        named = [s for s in entity_values(tracker, "stage") if s in knowledge_base().stalled_deal]
        if not named or named[0] == tracker.get_slot("deal_stage"):
            return None
        restart = {"checklist_answer": None, "checklist_step": 0, "checklist_done": []}
        return {**restart, **stage_slots(named[0])}


def stage_slots(stage: str) -> dict[str, Any]:
    """The slots for a deal at `stage`: its checklist is asked from the first step, or, when the
    article has no steps for it, the form ends and the summary says what the article lacks."""
    if not knowledge_base().stalled_deal[stage].steps:
        return {"deal_stage": stage, "checklist_answer": False}
    return {"deal_stage": stage}


class ActionAskDealStage(Action):
    def name(self) -> str:
        return "action_ask_deal_stage"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        send_question(dispatcher, deal_stage_question(knowledge_base(), language_of(tracker)))
        return []


class ActionStalledDealSummary(Action):
    def name(self) -> str:
        return "action_stalled_deal_summary"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        stage = tracker.get_slot("deal_stage")
        done = [int(step) for step in tracker.get_slot("checklist_done") or []]
        answer = deal_summary(knowledge_base(), stage, done, language_of(tracker))
        return [*send_answer(dispatcher, answer), SlotSet("checklist_answer", None)]
