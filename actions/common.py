"""What every action needs: the user's language, entities, and a way to send an answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.composer.answer import Answer
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


FEEDBACK_PAYLOADS = ("/feedback_positive", "/feedback_negative")
ANSWER_REF = "answer_ref"


def with_answer_ref(answer: Answer) -> Answer:
    """The answer with a reference of its own, carried by its 👍/👎 payloads, so that a click
    under an older answer rates that answer (bot/channels/guard.py moves it into the message's
    metadata; actions/feedback.py looks it up)."""
    ref = uuid.uuid4().hex[:12]
    suffix = json.dumps({ANSWER_REF: ref}, separators=(",", ":"))
    buttons = [
        {**b, "payload": b["payload"] + suffix} if b.get("payload") in FEEDBACK_PAYLOADS else b
        for b in answer["buttons"]
    ]
    return {**answer, "ref": ref, "buttons": buttons}


def send_answer(dispatcher: CollectingDispatcher, answer: Answer) -> list[EventType]:
    """Sends one message (web markdown, buttons, and the structured answer for channels that
    render their own) and remembers which answer it was, for feedback and follow-ups."""
    answer = with_answer_ref(answer)
    dispatcher.utter_message(
        text=to_markdown(answer), buttons=answer["buttons"], json_message={"sales_coach": answer}
    )
    return [SlotSet("last_answer", remembered(answer)), SlotSet("has_answer", True)]


def remembered(answer: Answer) -> dict[str, Any]:
    """What follow-ups ("tell me more") and feedback need of an answer, taken from its own
    fields: its id and entries (feedback), its kind, roles and the one aspect asked, if any."""
    return {
        "id": answer["id"],
        "kind": answer["kind"],
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
# or stop).
NOT_SUGGESTED = {"nlu_fallback", "out_of_scope"}


def suggestable(ranking: list[dict[str, Any]]) -> list[str]:
    """The ranked intents a button may offer: questions with a label, not fallback or off-topic."""
    return [
        item["name"]
        for item in ranking
        if item["name"] not in NOT_SUGGESTED and has_text(f"intent.{item['name']}")
    ]
