"""Follow-ups that lean on the conversation: "tell me more", "why?", "an example?",
"what about regional managers?"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, language_of, send_answer
from bot.composer.answer import (
    Answer,
    comparison_answer,
    duties_answer,
    example_answer,
    make_answer,
    topic_answer,
    why_answer,
)
from bot.knowledge.base import KnowledgeBase, Topic, knowledge_base
from bot.rendering.strings import text


def _last_answer(tracker: Tracker) -> dict[str, Any]:
    """The answer given last, as actions.common.remembered keeps it."""
    return tracker.get_slot("last_answer") or {}


def _nothing_more(language: str, last: dict[str, Any]) -> Answer:
    """That all is said, titled after the answer it continues ("…" for one remembered before
    answers kept their title)."""
    notice = [{"type": "paragraph", "text": text("nothing_more", language)}]
    title = last.get("title") or "…"
    if last.get("kind") != "more":  # not "…: more: more"
        title = text("more_title", language, title=title)
    return make_answer("more", language, title, notice, [], "more")


def _given_of_topic(last: dict[str, Any], topic: Topic) -> list[str]:
    """The topic's entries the answer before gave, so that "more" goes on after them."""
    if last.get("id") != f"topic.{topic.id}":
        return []
    # no entries: that answer already said there is no more (a short answer always has some)
    return list(last.get("entry_ids") or topic.entry_ids[-1:])


class ActionAnswerInContext(Action):
    def name(self) -> str:
        return "action_answer_in_context"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kb = knowledge_base()
        language = language_of(tracker)
        intent = tracker.latest_message.get("intent", {}).get("name")
        topic = kb.topics.get(tracker.get_slot("topic") or "")
        if intent == "what_about":
            return self._what_about(dispatcher, tracker, kb, language)
        if intent == "ask_why":
            answer = why_answer(kb, topic, language, _last_answer(tracker).get("entry_ids") or [])
        elif intent == "ask_example":
            answer = example_answer(kb, topic, language)
        elif topic is not None:
            given = _given_of_topic(_last_answer(tracker), topic)
            answer = topic_answer(kb, topic, language, "more", given)
        elif _last_answer(tracker).get("aspect") and _last_answer(tracker).get("roles"):
            # one aspect was answered: now all of them, for the same roles
            last = _last_answer(tracker)
            answer = (
                duties_answer(kb, last["roles"][0], language)
                if last.get("kind") == "duties"
                else comparison_answer(kb, last["roles"], language)
            )
        else:
            answer = _nothing_more(language, _last_answer(tracker))
        return send_answer(dispatcher, answer)

    def _what_about(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, kb: KnowledgeBase, language: str
    ) -> list[EventType]:
        roles = entity_values(tracker, "role")
        competencies = entity_values(tracker, "competency")
        earlier = list(tracker.get_slot("roles") or [])
        named_aspect = next(iter(entity_values(tracker, "aspect")), None)
        # "who does a rep report to?" then "and an account manager?" asks the same aspect
        aspect = named_aspect or _last_answer(tracker).get("aspect")
        if roles and _last_answer(tracker).get("kind") == "comparison" and earlier:
            # "…and regional managers?" after a comparison: swap in the new role
            pair = [earlier[0], roles[0]] if roles[0] != earlier[0] else earlier
            events = send_answer(dispatcher, comparison_answer(kb, pair, language, aspect))
            return [SlotSet("roles", pair), *events]
        if roles:
            events = send_answer(dispatcher, duties_answer(kb, roles[0], language, aspect))
            return [SlotSet("roles", [roles[0]]), SlotSet("topic", None), *events]
        if competencies:
            # which topic answers a competency is in the registry (topics.yml `competencies`)
            topic = kb.topic_for_competency(competencies[0])
            answer = topic_answer(kb, topic, language, focus=competencies[0])
            events = send_answer(dispatcher, answer)
            return [SlotSet("topic", topic.id), SlotSet("roles", None), *events]
        if named_aspect and earlier:
            # "who does he report to?": that aspect of the role(s) talked about
            answer = (
                duties_answer(kb, earlier[0], language, named_aspect)
                if len(earlier) == 1
                else comparison_answer(kb, earlier, language, named_aspect)
            )
            return send_answer(dispatcher, answer)
        dispatcher.utter_message(text=text("what_about_which", language))
        return []
