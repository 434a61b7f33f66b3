"""Base for our rule-based entity extractors: they need no training, only `extract(text)`."""

from __future__ import annotations

import abc
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.code_version import CodeVersioned


class RuleBasedExtractor(CodeVersioned, GraphComponent, EntityExtractorMixin, abc.ABC):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleBasedExtractor:
        return cls()

    @abc.abstractmethod
    def extract(self, text: str) -> list[dict[str, Any]]:
        """Entities (entity, value, start, end, confidence) found in `text`."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "")
            if found:
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, []) + self.add_extractor_name(found),
                    add_to_output=True,
                )
        return messages
