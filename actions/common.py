"""What every action needs: the user's language, entities, and a way to send an answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.composer.answer import RATING_PAYLOADS, Answer, with_alternative
from bot.language_choice import answer_language
from bot.rendering.markdown import to_markdown
from bot.rendering.strings import has_text


def language_of(tracker: Tracker) -> str:
    """The language to answer in, settled from the slots (bot/language_choice.py)."""
    return answer_language(tracker.slots)


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Canonical values of `entity` in the latest message, in order, without repeats."""
    values = [
        item["value"]
        for item in tracker.latest_message.get("entities", [])
        if item.get("entity") == entity
    ]
    return list(dict.fromkeys(values))


ANSWER_REF = "answer_ref"


def with_answer_ref(answer: Answer) -> Answer:
    """The answer with a reference of its own, carried by its 👍/👎 payloads, so that a click
    under an older answer rates that answer (bot/channels/guard.py moves it into the message's
    metadata; actions/feedback.py looks it up)."""
    ref = uuid.uuid4().hex[:12]
    suffix = json.dumps({ANSWER_REF: ref}, separators=(",", ":"))
    buttons = [
        {**b, "payload": b["payload"] + suffix} if b.get("payload") in RATING_PAYLOADS else b
        for b in answer["buttons"]
    ]
    return {**answer, "ref": ref, "buttons": buttons}


def send_answer(
    dispatcher: CollectingDispatcher, answer: Answer, asked: Tracker | None = None
) -> list[EventType]:
    """Sends one message (web markdown, buttons, and the structured answer for channels that
    render their own) and remembers which answer it was, for feedback and follow-ups. `asked`:
    the tracker when the answer is to the question just asked, which then gets a "did you
    mean …?" button if NLU found another topic close to it."""
    if asked is not None:
        ranking = asked.latest_message.get("intent_ranking") or []
        answer = with_alternative(answer, close_second_guess(ranking), language_of(asked))
        answer = without_restart_of(answer, asked.active_loop.get("name"))
    answer = with_answer_ref(answer)
    dispatcher.utter_message(
        text=to_markdown(answer), buttons=answer["buttons"], json_message={"sales_coach": answer}
    )
    return [SlotSet("last_answer", remembered(answer)), SlotSet("has_answer", True)]


# The button that starts each coaching flow (data/stories rules): offered under a side answer
# in the middle of that flow, a click started it again and dropped the answers given so far.
FLOW_STARTERS = {
    "readiness_form": "/ask_promotion_readiness",
    "stalled_deal_form": "/describe_stalled_deal",
}


def without_restart_of(answer: Answer, active_flow: str | None) -> Answer:
    starter = FLOW_STARTERS.get(active_flow or "")
    if starter is None:
        return answer
    return {**answer, "buttons": [b for b in answer["buttons"] if b["payload"] != starter]}


def remembered(answer: Answer) -> dict[str, Any]:
    """What follow-ups ("tell me more") and feedback need of an answer, taken from its own
    fields: its id and entries (feedback), its kind, roles and the one aspect asked, if any, and
    its title (a "that is all" after it is titled after it)."""
    return {
        "id": answer["id"],
        "kind": answer["kind"],
        "title": answer["title"],
        "entry_ids": answer["entry_ids"],
        "roles": list(answer.get("roles") or []),
        "aspect": answer.get("aspect"),
    }


def send_question(
    dispatcher: CollectingDispatcher, question: tuple[str, list[dict[str, Any]]]
) -> None:
    text, buttons = question
    dispatcher.utter_message(text=text, buttons=buttons)


# Offered as buttons: intents with a label in strings.yml (questions; not chit-chat, yes/no
# or stop). Help has a label too, but it is the way out, offered on its own ("Something else").
NOT_SUGGESTED = {"nlu_fallback", "out_of_scope", "help"}


def suggestable(ranking: list[dict[str, Any]]) -> list[str]:
    """The ranked intents a button may offer: questions with a label, not fallback or off-topic."""
    return [
        item["name"]
        for item in ranking
        if item["name"] not in NOT_SUGGESTED and has_text(f"intent.{item['name']}")
    ]


# A second guess this close to the first gets a "did you mean …?" button under the answer: on
# the two real sets it is the topic asked for 5 of 32 and 6 of 14 wrong answers, and shows
# under 13 of 88 and 3 of 27 right ones (`make nlu-curve`; docs/nlu.md, "What the user gets").
SECOND_GUESS_MARGIN = 0.3


def close_second_guess(ranking: list[dict[str, Any]]) -> str | None:
    """The best-ranked question intent after the top one, if its confidence is within
    SECOND_GUESS_MARGIN of the top's."""
    ranked = [item for item in ranking if item["name"] != "nlu_fallback"]
    if not ranked:
        return None
    top = ranked[0]
    for item in ranked[1:]:
        if suggestable([item]):
            close = top["confidence"] - item["confidence"] < SECOND_GUESS_MARGIN
            return item["name"] if close else None
    return None
