"""Which language and script a message is written in: `en`, `zh-Hans`, `zh-Hant` or `zh`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.knowledge.script import simplified_character, to_traditional

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
# Undecided Chinese: no character tells the scripts apart ("你好", "好的").
CHINESE_UNDECIDED = "zh"


def script_of(text: str) -> str:
    """`zh-Hant`, `zh-Hans`, or `zh` when no character is specific to one script."""
    traditional = simplified = 0
    for char in CJK.findall(text):
        if simplified_character(char) != char:
            traditional += 1
        elif to_traditional(char) != char:
            simplified += 1
    if traditional == simplified:
        return CHINESE_UNDECIDED
    return "zh-Hant" if traditional > simplified else "zh-Hans"


@lru_cache(maxsize=8)
def _term_patterns(terms: tuple[str, ...]) -> tuple[re.Pattern[str] | None, list[re.Pattern[str]]]:
    """The terms' patterns, compiled once, longest term first; and one pattern matching any
    of them. Taking the terms out one by one (315 terms, every message) was 3% of the Rasa
    server's busy time, mostly in re's per-call pattern cache lookups. A message in which no
    term occurs is left as it is without the loop: when no term matches the text, no `sub`
    changes it, so the frame is the text, exactly as the loop would leave it."""
    ordered = sorted(terms, key=len, reverse=True)
    each_term = [re.compile(re.escape(term), re.IGNORECASE) for term in ordered]
    if not ordered:
        return None, each_term
    return re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE), each_term


def detect_language(text: str, domain_terms: Iterable[str] = ()) -> str | None:
    """The language of the sentence around any domain terms; None for text with no words.

    Reps mix languages: "sales manager 跟 account manager 差在哪" is a Chinese question about
    English role names, "what does 業務員 do" an English one. So the known role and skill terms
    are taken out first, and the rest decides: Chinese when it has at least as many Chinese
    characters as Latin words.
    """
    frame = text
    any_term, each_term = _term_patterns(tuple(domain_terms))
    if any_term is not None and any_term.search(text):
        for pattern in each_term:
            frame = pattern.sub(" ", frame)
    chinese, latin = len(CJK.findall(frame)), len(LATIN_WORD.findall(frame))
    if not chinese and not latin:  # nothing but terms: judge by the terms themselves
        chinese, latin = len(CJK.findall(text)), len(LATIN_WORD.findall(text))
    if not chinese and not latin:
        return None
    return script_of(text) if chinese >= latin else "en"
