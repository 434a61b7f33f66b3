"""The coaching flows (stalled deal, promotion readiness) are Rasa forms that walk a checklist
from the knowledge base one yes/no question at a time. This module holds what they share."""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import entity_values, language_of, send_question
from bot.composer.coaching import readiness_question, step_question
from bot.knowledge.base import ChecklistItem, KnowledgeBase, knowledge_base
from bot.rendering.strings import text

STALLED_DEAL_FORM = "stalled_deal_form"
READINESS_FORM = "readiness_form"


def checklist_items(kb: KnowledgeBase, tracker: Tracker) -> tuple[ChecklistItem, ...]:
    """The checklist of the active form: the stage's steps, or the readiness questions."""
    if tracker.active_loop.get("name") == READINESS_FORM:
        return kb.readiness
    stage = tracker.get_slot("deal_stage")
    return kb.stalled_deal[stage].steps if stage in kb.stalled_deal else ()


class ActionStartChecklist(Action):
    """Clears what a previous run left, so a flow can be stopped and started again."""

    def name(self) -> str:
        return "action_start_checklist"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        stages = entity_values(tracker, "stage")  # "went silent after the samples" names one
        stage = stages[0] if stages else None
        readiness = tracker.latest_message["intent"]["name"] == "ask_promotion_readiness"
        # "why?" or "tell me more" mid-flow is about the flow's topic (topics.yml `flows`)
        topic = kb.topic_of_flow(READINESS_FORM if readiness else STALLED_DEAL_FORM)
        # a stage with no steps leaves nothing to ask: a value ends the form, whose summary says
        # what the article lacks. Restarted mid-flow ("we're stuck at negotiation"), the form
        # validates nothing before it asks, so it must be set here.
        nothing_to_ask = (
            not readiness and stage in kb.stalled_deal and not kb.stalled_deal[stage].steps
        )
        return [
            SlotSet("deal_stage", stage),
            SlotSet("checklist_answer", False if nothing_to_ask else None),
            SlotSet("checklist_step", 0),
            SlotSet("checklist_done", []),
            SlotSet("topic", topic.id if topic else None),
        ]


class ActionAskChecklistAnswer(Action):
    def name(self) -> str:
        return "action_ask_checklist_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        language = language_of(tracker)
        step = int(tracker.get_slot("checklist_step") or 0)
        if tracker.active_loop.get("name") == READINESS_FORM:
            send_question(dispatcher, readiness_question(kb, step, language))
        else:
            send_question(
                dispatcher, step_question(kb, checklist_items(kb, tracker), step, language)
            )
        return []


class ChecklistFormValidation(FormValidationAction, abc.ABC):
    """Records each yes/no answer and keeps asking until the checklist is through."""

    @abc.abstractmethod
    def name(self) -> str:
        """Each form's validation action names itself `validate_<form>`."""

    def switched_checklist(self, tracker: Tracker) -> dict[str, Any] | None:
        """The slots of another checklist the message names instead of answering, if any."""
        return None

    def validate_checklist_answer(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value is None:  # the flow's own reset (start, next question): nothing to check
            return {"checklist_answer": None}
        switched = None if isinstance(slot_value, bool) else self.switched_checklist(tracker)
        if switched is not None:
            return switched
        if not isinstance(slot_value, bool):  # free text that is neither yes nor no
            dispatcher.utter_message(text=text("yes_no_hint", language_of(tracker)))
            return {"checklist_answer": None}
        step = int(tracker.get_slot("checklist_step") or 0)
        done = list(tracker.get_slot("checklist_done") or []) + ([step] if slot_value else [])
        more = step + 1 < len(checklist_items(knowledge_base(), tracker))
        return {
            # None asks the next question; a value ends the form
            "checklist_answer": None if more else slot_value,
            "checklist_step": step + 1 if more else step,
            "checklist_done": done,
        }
