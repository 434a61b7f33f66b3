"""The held-out set is independent of the training data and covers every intent and language."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.language import CJK, script_of

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _normalized(text: str) -> str:
    return "".join(text.lower().split()).rstrip("?!.。?!~")  # noqa: B005 (a set of marks)


@pytest.fixture(scope="module")
def training():
    return load_data(str(PROJECT_DIR / "data" / "nlu"))


@pytest.fixture(scope="module")
def held_out():
    return load_data(str(PROJECT_DIR / "tests" / "nlu" / "held_out.yml"))


def test_no_held_out_example_is_in_the_training_data(training, held_out) -> None:
    trained = {_normalized(m.get("text")) for m in training.intent_examples}
    overlap = [
        m.get("text") for m in held_out.intent_examples if _normalized(m.get("text")) in trained
    ]
    assert overlap == []


def test_held_out_covers_every_intent_in_all_three_languages(training, held_out, domain) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for message in held_out.intent_examples:
        text = message.get("text")
        language = script_of(text) if CJK.search(text) else "en"
        counts[(message.get("intent"), language)] += 1
    for intent in domain["intents"]:
        for language in ("en", "zh-Hans", "zh-Hant"):
            assert counts[(intent, language)] >= 5, (intent, language)
    assert set(held_out.intents) == set(training.intents) == set(domain["intents"])
