"""Rasa component that tags every message with its language as a `language` entity.

The `language` slot is filled from it. A Chinese message whose script is known also gets a
`chinese_script` entity, which fills the `chinese_script` slot: the script that undecided Chinese
("好的") is answered in later (`bot/language_choice.py`). Both slots are filled by Rasa's own
slot mappings, so settling the language costs no action-server round trip.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.knowledge.base import term_list, user_terms
from bot.language import CHINESE_UNDECIDED, detect_language
from bot.language_choice import CHINESE_SCRIPTS
from bot.nlu.rule_extractor import RuleBasedExtractor

# Written Cantonese: particles and words Hong Kong writes and Mandarin does not. They are the
# same in both scripts, so "sales rep 要做咩" told no script and was answered in Simplified; a
# Cantonese writer reads Traditional (Hong Kong usage), so they decide where nothing else does.
CANTONESE = re.compile(r"[咩咗嘅唔冇啲佢喺嘢乜哋嗰啱嚟畀攞嘥攰揸噃嘞喎]|點解|乜嘢|咁樣|睇下")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(RuleBasedExtractor):
    """Classifies each message as `en`, `zh-Hans`, `zh-Hant`, or `zh` (script undecided)."""

    @cached_property
    def _domain_terms(self) -> list[str]:
        return [term.text for term in term_list(user_terms())]

    def extract(self, text: str) -> list[dict[str, Any]]:
        language = detect_language(text, self._domain_terms)
        if language is None or text.startswith("/"):  # emoji only, or a button payload
            return []
        if language == CHINESE_UNDECIDED and CANTONESE.search(text):
            language = "zh-Hant"
        entities = (
            ["language"] if language not in CHINESE_SCRIPTS else ["language", "chinese_script"]
        )
        return [
            {"entity": entity, "value": language, "start": 0, "end": len(text), "confidence": 1.0}
            for entity in entities
        ]
