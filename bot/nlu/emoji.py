"""Emoji and messages without words, as the NLU components read them.

Rasa's `CountVectorsFeaturizer` keeps only `\\w+` runs of the tokens: an emoji token never
reached the features, so 👍, 👎 and 🙂 got the very same probabilities. The tokenizer therefore
writes each emoji as a word (`emoji1f44d`), with the skin-tone modifiers, variation selectors and
joiners folded away (👍🏻 is 👍). A message without a word in English or Chinese ("", "???", "🤔🔥",
Hebrew) gives the classifier nothing to read: it is feedback when its emoji clearly are, else not
understood.
"""

from __future__ import annotations

import re
import unicodedata

from bot.language import CJK

LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")

# 👍 👌 👏 🙌 💯: approval in chat; 👎: disapproval. Other emoji (🙂 🤔 🔥 ...) say nothing clear.
POSITIVE = frozenset("\U0001f44d\U0001f44c\U0001f44f\U0001f64c\U0001f4af")
NEGATIVE = frozenset("\U0001f44e")
FEEDBACK_POSITIVE = "feedback_positive"
FEEDBACK_NEGATIVE = "feedback_negative"


def folded(char: str) -> bool:
    """A character that only modifies the emoji before it: skin tone (U+1F3FB-1F3FF),
    variation selector (U+FE0E, U+FE0F), zero-width joiner (U+200D)."""
    return "\U0001f3fb" <= char <= "\U0001f3ff" or char in "\ufe0e\ufe0f\u200d"


def is_emoji(char: str) -> bool:
    """A pictographic symbol (Unicode category So: emoji, dingbats, ©)."""
    return len(char) == 1 and unicodedata.category(char) == "So"


def emoji_word(char: str) -> str:
    """The word a `\\w+` pattern keeps for an emoji, the same in every message."""
    return f"emoji{ord(char):x}"


def has_words(text: str) -> bool:
    """Whether the text has a word in a script the bot reads: a Latin letter, a digit or a
    Chinese character. Other scripts (Arabic, Hebrew ...) are not understood: no n-gram of theirs
    was ever seen, the sentence vector alone decided, and "שלום" came out as a confident yes."""
    return bool(LATIN_OR_DIGIT.search(text) or CJK.search(text))


def wordless_intent(text: str) -> str | None:
    """For a message without words: feedback if all its emoji are 👍-like or all are 👎, else
    None (not understood: "", "???", "🙂", "🤔🤔🔥", "👍👎")."""
    emoji = {char for char in text if is_emoji(char) and not folded(char)}
    if emoji and emoji <= POSITIVE:
        return FEEDBACK_POSITIVE
    if emoji and emoji <= NEGATIVE:
        return FEEDBACK_NEGATIVE
    return None
