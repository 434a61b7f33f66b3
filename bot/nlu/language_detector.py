"""Rasa component that tags every message with its language as a `language` entity.

The `language` slot is filled from it; `actions/language.py` settles undecided Chinese ("好的")
from the conversation.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.knowledge.base import term_list, user_terms
from bot.language import detect_language
from bot.nlu.rule_extractor import RuleBasedExtractor


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
        return [
            {
                "entity": "language",
                "value": language,
                "start": 0,
                "end": len(text),
                "confidence": 1.0,
            }
        ]
