"""Rasa's `rasa test nlu --successes` result files, as the report tools read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def prediction(text: str, intent: str, predicted: str) -> dict[str, Any]:
    return {"text": text, "intent": intent, "intent_prediction": {"name": predicted}}


def write_results(folder: Path, successes: list[dict], errors: list[dict]) -> None:
    (folder / "intent_successes.json").write_text(json.dumps(successes), encoding="utf-8")
    (folder / "intent_errors.json").write_text(json.dumps(errors), encoding="utf-8")
