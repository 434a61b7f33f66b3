"""bot/nlg.py: the domain's responses in the settled answer language."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import AnswerLanguageNLG
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "domain.yml"))


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({"language": "zh-Hant"}, "再見,祝你業績長紅!"),
        # "再见" with English chosen before: the choice wins
        (
            {"language": "zh-Hans", "language_preference": "en"},
            "Bye, and good luck with your deals!",
        ),
        # undecided Chinese after Traditional, English in between: Traditional
        ({"language": "zh", "chinese_script": "zh-Hant"}, "再見,祝你業績長紅!"),
        ({"language": "zh"}, "再见,祝你业绩长红!"),
    ],
)
def test_responses_use_the_settled_language(rasa_domain, slots, expected) -> None:
    events = [SlotSet(name, value) for name, value in slots.items()]
    tracker = DialogueStateTracker.from_events("u", events, slots=rasa_domain.slots)
    nlg = AnswerLanguageNLG(domain=rasa_domain)
    message = asyncio.run(nlg.generate("utter_goodbye", tracker, "rest"))
    assert message["text"] == expected
    assert tracker.get_slot("language") == slots["language"]  # the tracker is left as it was
