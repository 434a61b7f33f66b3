"""Typos in English role and skill words ("regoinal manger", "comunication"), respelled to the
knowledge base's own words so the entity ruler finds them. Reps type on phones; a role that is
not recognised turns "regional manager vs sales manager" into a table of all four roles.

Only role and competency words are respelled: stage words are everyday English ("closing",
"trial"), where a near miss ("clothing") is usually another word, not a typo.
"""

from __future__ import annotations

RESPELLED_ENTITIES = ("role", "competency")
SHORTEST = 5  # below this a single edit turns too many words into others ("rap" -> "rep")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with adjacent swaps counted as one edit; `limit` + 1 once over it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (char_a != char_b),
            )
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    return 1 if len(word) < 8 else 2


def respelled(word: str, known: frozenset[str]) -> str | None:
    """The one known word within the allowed edits of `word` (same first letter), else None:
    no guess where two known words are equally close."""
    lower = word.lower()
    if len(lower) < SHORTEST or not lower.isascii() or not lower.isalpha() or lower in known:
        return None
    limit = allowed_edits(lower)
    scored = [
        (edit_distance(lower, candidate, limit), candidate)
        for candidate in sorted(known)
        if candidate[0] == lower[0]
    ]
    close = sorted((d, c) for d, c in scored if d <= limit)
    if not close or (len(close) > 1 and close[0][0] == close[1][0]):
        return None
    return close[0][1]


def term_words(terms_by_entity: dict[str, dict[str, dict[str, list[str]]]]) -> frozenset[str]:
    """The English words of the respelled entities' terms, long enough to respell towards."""
    return frozenset(
        word.lower()
        for entity in RESPELLED_ENTITIES
        for by_language in terms_by_entity.get(entity, {}).values()
        for term in by_language.get("en", [])
        for word in term.split()
        if len(word) >= SHORTEST and word.isalpha()
    )
