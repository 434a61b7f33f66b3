"""Rasa component that tags every message with its language as a `language` entity.

The `language` slot is filled from it; `actions/language.py` settles undecided Chinese ("好的")
from the conversation.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge.base import knowledge_base, term_list
from bot.language import detect_language


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Classifies each message as `en`, `zh-Hans`, `zh-Hant`, or `zh` (script undecided)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    @cached_property
    def _domain_terms(self) -> list[str]:
        return [term.text for term in term_list(knowledge_base())]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text, self._domain_terms)
            if language is None or text.startswith("/"):  # emoji only, or a button payload
                continue
            entity = {
                "entity": "language",
                "value": language,
                "start": 0,
                "end": len(text),
                "confidence": 1.0,
            }
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name([entity]),
                add_to_output=True,
            )
        return messages
