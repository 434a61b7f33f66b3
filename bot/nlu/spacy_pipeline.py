"""The spaCy pipeline the NLU components share, built from the knowledge base's terms.

A blank Chinese pipeline with the jieba segmenter (it keeps English words whole) and an entity
ruler that maps every term, in English and both Chinese scripts, to its canonical id. Nothing
is downloaded: the pipeline is made from repo files each time the model is loaded.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jieba
import spacy
from spacy.language import Language

from bot.knowledge.base import term_list, user_terms

ACRONYM = re.compile(r"^[A-Z]{2,4}$")


@lru_cache(maxsize=1)
def build_pipeline() -> Language:
    terms = term_list(user_terms())
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    # jieba's dictionary is mostly Simplified: without our terms it splits 業務員想 into 業務員想.
    # This changes jieba's process-wide dictionary, which only this pipeline uses.
    for term in terms:
        if not term.text.isascii():
            jieba.add_word(term.text, freq=50_000)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(
        [
            {
                "label": term.entity,
                "id": term.value,
                # "AM" is a role, "am" is a verb: acronyms match on exact case
                "pattern": [{"TEXT": term.text}] if ACRONYM.match(term.text) else term.text,
            }
            for term in terms
        ]
    )
    return nlp
