"""The NLU code's version, for Rasa's training cache.

Rasa fingerprints a component by its config and inputs, not by its code: after an edit to a
component here, `rasa train` reused the old component's output unless forced. Every custom
component adds this version to its fingerprint (`fingerprint_addon`), so any change to the
project's NLU code or term lists retrains them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

BOT_DIR = Path(__file__).resolve().parent.parent


def code_files() -> list[Path]:
    return sorted(BOT_DIR.glob("nlu/*.py")) + [
        BOT_DIR / "language.py",
        BOT_DIR / "knowledge" / "terms.yml",
    ]


@lru_cache(maxsize=1)
def code_version() -> str:
    digest = hashlib.sha256()
    for path in code_files():
        digest.update(path.relative_to(BOT_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class CodeVersioned:
    """Mixed into each custom component (first among its bases)."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        return code_version()
