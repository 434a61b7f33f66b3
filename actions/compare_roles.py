"""Compares roles, optionally on one aspect, with the other role taken from the conversation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, language_of, send_answer
from bot.composer.answer import comparison_answer
from bot.knowledge.base import knowledge_base


def roles_to_compare(named: list[str], earlier: list[str], every_role: Sequence[str]) -> list[str]:
    """Which roles a comparison is about.

    Two or more named: those. One named: it and the role talked about before ("and an account
    manager?"), or else it against all the others. None named: the roles talked about before
    when there were two or more; the one talked about against all the others ("how does it
    differ?" after a role card); else every role.
    """
    if len(named) >= 2:
        return named
    if len(named) == 1:
        other = next((role for role in earlier if role != named[0]), None)
        if other:
            return [other, named[0]]
        return [named[0], *(role for role in every_role if role != named[0])]
    if len(earlier) == 1:
        return [earlier[0], *(role for role in every_role if role != earlier[0])]
    return earlier if len(earlier) >= 2 else list(every_role)


class ActionCompareRoles(Action):
    def name(self) -> str:
        return "action_compare_roles"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        roles = roles_to_compare(
            entity_values(tracker, "role"), list(tracker.get_slot("roles") or []), kb.role_ids
        )
        aspect = next(iter(entity_values(tracker, "aspect")), None)
        answer = comparison_answer(kb, roles, language_of(tracker), aspect)
        events = send_answer(dispatcher, answer, tracker)
        return [SlotSet("roles", roles), SlotSet("topic", None), *events]
