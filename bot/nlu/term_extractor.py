"""Rasa entity extractor: roles, competencies, stages, aspects and scripts as canonical ids."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from spacy.tokens import Doc

from bot.knowledge.base import user_terms
from bot.nlu.rule_extractor import RuleBasedExtractor
from bot.nlu.spacy_pipeline import build_pipeline
from bot.nlu.spelling import respelled, term_words


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    return term_words(user_terms())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TermEntityExtractor(RuleBasedExtractor):
    """Finds knowledge-base terms ("AM", "業務主管", "区域经理", "regoinal manger") with the spaCy
    entity ruler."""

    def extract(self, text: str) -> list[dict[str, Any]]:
        if not text:
            return []
        nlp = build_pipeline()
        doc = nlp.make_doc(text)
        words = [respelled(token.text, known_words()) or token.text for token in doc]
        # the ruler reads the respelled words; offsets stay those of what the user wrote
        spaces = [bool(token.whitespace_) for token in doc]
        found = nlp.get_pipe("entity_ruler")(Doc(nlp.vocab, words=words, spaces=spaces))
        return [
            {
                "entity": ent.label_,
                "value": ent.ent_id_,
                "start": doc[ent.start].idx,
                "end": doc[ent.end - 1].idx + len(doc[ent.end - 1]),
                "confidence": 1.0,
            }
            for ent in found.ents
        ]
