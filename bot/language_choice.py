"""The language to answer in, from the conversation's slots alone.

Rasa's slot mappings fill `language` (the latest message's language: `en`, `zh-Hans`,
`zh-Hant`, or `zh` when no character tells the scripts apart) and `chinese_script` (the latest
script a Chinese message told) from the language detector's entities; "answer in English" sets
`language_preference`. Actions (actions/common.py) and the response generator (bot/nlg.py) both
call `answer_language`, so neither needs an action-server round trip nor a walk over the
conversation's events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.knowledge.base import LANGUAGES
from bot.language import CHINESE_UNDECIDED

CHINESE_SCRIPTS = ("zh-Hans", "zh-Hant")


def answer_language(slots: Mapping[str, Any]) -> str:
    """A language the user chose wins; undecided Chinese ("好的") keeps the script used so far,
    Simplified when none was; no language yet (only buttons or emoji) answers in English."""
    preference = slots.get("language_preference")
    if preference in LANGUAGES:
        return preference
    language = slots.get("language")
    if language == CHINESE_UNDECIDED:
        script = slots.get("chinese_script")
        return script if script in CHINESE_SCRIPTS else "zh-Hans"
    return language if language in LANGUAGES else "en"
