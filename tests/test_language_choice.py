"""The answer language settled from the slots alone (what action_validate_slot_mappings did)."""

import pytest

from bot.language_choice import answer_language


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ({"language": "zh-Hant"}, "zh-Hant"),  # a decided language is kept
        ({"language": "en", "chinese_script": "zh-Hant"}, "en"),
        # undecided Chinese keeps the script used before, even with English in between
        ({"language": "zh", "chinese_script": "zh-Hant"}, "zh-Hant"),
        ({"language": "zh", "chinese_script": None}, "zh-Hans"),  # none before: Simplified
        ({"language": "zh-Hant", "language_preference": "en"}, "en"),  # a chosen one wins
        ({"language": "zh", "language_preference": "zh-Hant"}, "zh-Hant"),
        ({}, "en"),  # only buttons or emoji so far
    ],
)
def test_answer_language(slots: dict, expected: str) -> None:
    assert answer_language(slots) == expected
