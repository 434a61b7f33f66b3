"""The user messages of the test stories are understood as the stories say.

`rasa test core` checks the dialogue with the stories' intent labels; this checks that the
trained NLU gives those labels to the messages themselves, in all three languages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data

from bot.language import CJK, script_of

PROJECT_DIR = Path(__file__).resolve().parents[2]


def story_messages() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((PROJECT_DIR / "tests" / "stories").glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            for step in story["steps"]:
                if "user" in step and not step["user"].startswith("/"):
                    found.append((story["story"], step["user"].strip(), step["intent"]))
    return found


def test_story_messages_are_understood_as_labelled(trained_agent: Agent) -> None:
    """The same bar as the held-out gate (90%): the NLU is statistical, the stories are not."""
    messages = story_messages()
    wrong = []
    for story, text, intent in messages:
        parsed = asyncio.run(trained_agent.parse_message(text))
        if parsed["intent"]["name"] != intent:
            wrong.append(f"{story}: {text!r} → {parsed['intent']['name']} (expected {intent})")
    accuracy = 1 - len(wrong) / len(messages)
    print(f"story messages understood: {accuracy:.3f} of {len(messages)}", *wrong, sep="\n  ")
    assert accuracy >= 0.90, wrong


def test_every_intent_is_tested_in_all_three_languages(domain) -> None:
    covered = {
        (intent, script_of(text) if CJK.search(text) else "en")
        for _, text, intent in story_messages()
    }
    missing = [
        (intent, language)
        for intent in domain["intents"]
        for language in ("en", "zh-Hans", "zh-Hant")
        if (intent, language) not in covered
    ]
    assert missing == []


def test_no_story_message_is_a_training_example() -> None:
    def normalized(text: str) -> str:
        return "".join(text.lower().split()).rstrip("?!.。?!~")  # noqa: B005 (a set of marks)

    training = {
        normalized(m.get("text"))
        for m in load_data(str(PROJECT_DIR / "data" / "nlu")).intent_examples
    }
    assert [text for _, text, _ in story_messages() if normalized(text) in training] == []
