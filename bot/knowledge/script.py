"""Chinese script conversion (OpenCC). Simplified Chinese is always derived, never stored."""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    """Simplified (or mixed) to Taiwan-standard Traditional characters."""
    return _converter("s2tw").convert(text)


def in_script(text: str, language: str) -> str:
    """Text stored in Traditional Chinese, shown in the user's script (`zh-Hans` or `zh-Hant`)."""
    return to_simplified(text) if language == "zh-Hans" else text
