import json
from pathlib import Path

import pytest

from bot.tools.nlu_gate import Thresholds, gate, labelled_languages, main


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


@pytest.fixture
def real_reports(tmp_path: Path):
    """Four off-topic lines (one taken as follow-up, one not understood) and two questions."""
    report = {"accuracy": 0.5, "out_of_scope": scores(0.7), "ask_follow_up": scores(0.5)}
    (tmp_path / "intent_report.json").write_text(json.dumps(report))
    ok = [
        prediction("what is geology", "out_of_scope", "out_of_scope"),
        prediction("明天會下雨嗎", "out_of_scope", "out_of_scope"),
        prediction("要怎麼追客戶", "ask_follow_up", "ask_follow_up"),
    ]
    bad = [
        prediction("奶茶", "out_of_scope", "ask_follow_up"),
        prediction("天气", "out_of_scope", "nlu_fallback"),
        prediction("chase him?", "ask_follow_up", "out_of_scope"),
    ]
    (tmp_path / "intent_successes.json").write_text(json.dumps(ok))
    (tmp_path / "intent_errors.json").write_text(json.dumps(bad))
    return tmp_path


def test_languages_come_from_the_sets_metadata(tmp_path: Path) -> None:
    nlu = tmp_path / "set.yml"
    nlu.write_text(
        'version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples:\n'
        "  - text: 奶茶\n    metadata:\n      language: zh-Hant\n"
    )
    assert labelled_languages(nlu) == {"奶茶": "zh-Hant"}


def test_real_set_gate_reports_languages_off_topic_and_confusions(real_reports, capsys) -> None:
    thresholds = Thresholds(
        accuracy=0.85, language_accuracy=0.80, intent_f1=None, off_topic_recall=0.90
    )
    failures = gate(real_reports, thresholds, {"奶茶": "zh-Hant", "天气": "zh-Hans"})
    assert failures == [
        "en accuracy 0.500 < 0.8",
        "zh-Hans accuracy 0.000 < 0.8",
        "zh-Hant accuracy 0.667 < 0.8",
        "off-topic recall 0.500 < 0.9",
        "intent accuracy 0.500 < 0.85",
    ]
    printed = capsys.readouterr().out
    assert "zh-Hant                     3     0.667" in printed
    assert "off-topic recall (out_of_scope)            0.500 of 4" in printed
    assert "off-topic not answered (incl. nlu_fallback) 0.750" in printed
    assert "  out_of_scope → ask_follow_up: 1\n" in printed
    assert "  ask_follow_up → out_of_scope: 1\n" in printed


def test_a_regression_guard_is_labelled_as_such(real_reports, capsys) -> None:
    guard = Thresholds(accuracy=0.6, intent_f1=None, label=" (guard; target 0.85)")
    assert gate(real_reports, guard) == ["intent accuracy 0.500 < 0.6 (guard; target 0.85)"]


def test_main_passes_and_fails_by_the_command_line(real_reports, capsys) -> None:
    assert main([str(real_reports), "--min-accuracy", "0.5"]) == 0
    assert main([str(real_reports), "--min-accuracy", "0.5", "--min-off-topic-recall", "0.6"]) == 1
    assert "NLU gate FAILED: off-topic recall 0.500 < 0.6" in capsys.readouterr().out
