"""The bot's interface wording in the user's language (Simplified derived from Traditional)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.script import wording_in_script

STRINGS_PATH = Path(__file__).parent / "strings.yml"


@lru_cache(maxsize=1)
def _strings() -> dict[str, dict[str, str]]:
    return yaml.safe_load(STRINGS_PATH.read_text(encoding="utf-8"))


def text(key: str, language: str, **values: Any) -> str:
    """The string `key` in `language` (`en`, `zh-Hans` or `zh-Hant`), formatted with `values`."""
    by_language = _strings()[key]
    template = (
        by_language["en"] if language == "en" else wording_in_script(by_language["zh"], language)
    )
    return template.format(**values)


def has_text(key: str) -> bool:
    return key in _strings()
