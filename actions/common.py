"""What every action needs: the user's language, entities, and a way to send an answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.language_choice import answer_language
from bot.rendering.answer import Answer
from bot.rendering.markdown import to_markdown


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


def send_answer(dispatcher: CollectingDispatcher, answer: Answer) -> list[EventType]:
    """Sends one message (web markdown, buttons, and the structured answer for channels that
    render their own) and remembers which answer it was, for feedback and follow-ups."""
    dispatcher.utter_message(
        text=to_markdown(answer), buttons=answer["buttons"], json_message={"sales_coach": answer}
    )
    return [
        SlotSet("last_answer", {"id": answer["id"], "entry_ids": answer["entry_ids"]}),
        SlotSet("has_answer", True),
    ]


def send_question(
    dispatcher: CollectingDispatcher, question: tuple[str, list[dict[str, Any]]]
) -> None:
    text, buttons = question
    dispatcher.utter_message(text=text, buttons=buttons)
