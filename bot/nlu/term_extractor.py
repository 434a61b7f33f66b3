"""Rasa entity extractor: roles, competencies, stages, aspects and scripts as canonical ids."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu.rule_extractor import RuleBasedExtractor
from bot.nlu.spacy_pipeline import build_pipeline


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TermEntityExtractor(RuleBasedExtractor):
    """Finds knowledge-base terms ("AM", "業務主管", "区域经理") with the spaCy entity ruler."""

    def extract(self, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        return [
            {
                "entity": ent.label_,
                "value": ent.ent_id_,
                "start": ent.start_char,
                "end": ent.end_char,
                "confidence": 1.0,
            }
            for ent in build_pipeline()(text).ents
        ]
