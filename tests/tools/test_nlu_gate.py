import json
from pathlib import Path

import pytest

from bot.tools.nlu_gate import gate


def scores(f1: float) -> dict:
    return {"precision": f1, "recall": f1, "f1-score": f1, "support": 2}


def prediction(text: str, intent: str, predicted: str) -> dict:
    return {"text": text, "intent": intent, "intent_prediction": {"name": predicted}}


@pytest.fixture
def reports(tmp_path: Path):
    def write(accuracy: float, greet_f1: float) -> Path:
        report = {"accuracy": accuracy, "greet": scores(greet_f1), "macro avg": scores(0.1)}
        (tmp_path / "intent_report.json").write_text(json.dumps(report))
        ok = [prediction("hi", "greet", "greet"), prediction("你好嗎", "greet", "greet")]
        bad = [prediction("您好啊", "greet", "thanks")]
        (tmp_path / "intent_successes.json").write_text(json.dumps(ok))
        (tmp_path / "intent_errors.json").write_text(json.dumps(bad))
        return tmp_path

    return write


def test_passes_above_both_thresholds(reports, capsys) -> None:
    assert gate(reports(0.95, 0.9)) == []
    printed = capsys.readouterr().out
    assert "en                          1     1.000" in printed
    assert "zh-Hant                     1     1.000" in printed
    assert "zh (either script)          1     0.000" in printed


def test_fails_on_accuracy_and_on_one_weak_intent(reports) -> None:
    assert gate(reports(0.85, 0.7)) == [
        "intent greet: F1 0.700 < 0.8",
        "intent accuracy 0.850 < 0.9",
    ]
