"""Chinese script conversion (OpenCC). Simplified Chinese is always derived, never stored.

Both the article's words and ours are converted character by character with `tw2s` (which gives
mainland forms such as 执着, where `t2s` gives 执著). Our own wording then takes the reviewed word
pairs in `simplified_wording.yml` (点选 → 点击), so that it reads as Simplified Chinese. OpenCC's
phrase conversion (`tw2sp`) is not used: it turns 核心 ("core") into 内核 ("kernel").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import opencc
import yaml

WORDING_PATH = Path(__file__).parent / "simplified_wording.yml"


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def _wording() -> dict[str, str]:
    return yaml.safe_load(WORDING_PATH.read_text(encoding="utf-8"))


def to_simplified(text: str) -> str:
    """The article's words in Simplified characters (quotes keep their words)."""
    return _converter("tw2s").convert(text)


def simplified_character(char: str) -> str:
    """One character's Simplified form, for telling the scripts apart (`t2s`: character by
    character, without the Taiwan phrase table that turns 什麼 and 什么 into each other)."""
    return _converter("t2s").convert(char)


def to_simplified_wording(text: str) -> str:
    """Our own wording as a Simplified Chinese reader would write it."""
    text = to_simplified(text)
    for taiwan, mainland in _wording().items():
        text = text.replace(taiwan, mainland)
    return text


def to_traditional(text: str) -> str:
    """Simplified (or mixed) to Taiwan-standard Traditional characters."""
    return _converter("s2tw").convert(text)


def in_script(text: str, language: str) -> str:
    """Article text stored in Traditional Chinese, shown in the user's script."""
    return to_simplified(text) if language == "zh-Hans" else text


def wording_in_script(text: str, language: str) -> str:
    """Our own Traditional Chinese wording, shown in the user's script."""
    return to_simplified_wording(text) if language == "zh-Hans" else text
