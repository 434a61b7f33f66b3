import json
from pathlib import Path

import pytest

from bot.tools.real_set_report import main, report
from tests.tools.rasa_results import prediction, write_results

QUESTIONS = """\
version: "3.1"
nlu:
- intent: ask_follow_up
  examples:
  - text: "client ghosted me, now what?"
    metadata: {source: "https://example.org/a", language: en}
  - text: "客户已读不回怎么办"
    metadata: {source: "https://example.org/b", language: zh-Hans}
  - text: |
      客戶已讀不回怎麼辦
    metadata: {source: "https://example.org/c", language: zh-Hant}
- intent: out_of_scope
  examples:
  - text: "will it rain tomorrow?"
    metadata: {source: "https://example.org/d", language: en}
  - text: "明天會下雨嗎"
    metadata: {source: "https://example.org/e", language: zh-Hant}
"""


@pytest.fixture
def results(tmp_path: Path) -> Path:
    (tmp_path / "questions.yml").write_text(QUESTIONS, encoding="utf-8")
    ok = [
        prediction("client ghosted me, now what?", "ask_follow_up", "ask_follow_up"),
        prediction("客户已读不回怎么办", "ask_follow_up", "ask_follow_up"),
        prediction("明天會下雨嗎", "out_of_scope", "out_of_scope"),
    ]
    bad = [
        prediction("客戶已讀不回怎麼辦\n", "ask_follow_up", "describe_stalled_deal"),
        prediction("will it rain tomorrow?", "out_of_scope", "ask_why"),
    ]
    write_results(tmp_path, ok, bad)
    return tmp_path


def test_reports_each_language_off_topic_recall_and_confusions(results: Path) -> None:
    figures = report(results, results / "questions.yml")
    assert figures["examples"] == 5
    assert figures["accuracy"] == pytest.approx(3 / 5)
    assert figures["languages"] == {
        "en": {"examples": 2, "accuracy": 0.5},
        "zh-Hans": {"examples": 1, "accuracy": 1.0},
        "zh-Hant": {"examples": 2, "accuracy": 0.5},
    }
    assert figures["out_of_scope"] == {"examples": 2, "recall": 0.5}
    assert figures["confusions"] == [
        {"intent": "ask_follow_up", "predicted": "describe_stalled_deal", "count": 1},
        {"intent": "out_of_scope", "predicted": "ask_why", "count": 1},
    ]


def test_refuses_results_from_another_set(results: Path) -> None:
    stray = [prediction("what is chemistry", "out_of_scope", "ask_why")]
    (results / "intent_errors.json").write_text(json.dumps(stray), encoding="utf-8")
    with pytest.raises(ValueError, match="1 tested texts are not in"):
        report(results, results / "questions.yml")


def test_main_prints_the_figures_and_returns_them(results: Path, capsys) -> None:
    figures = main([str(results), str(results / "questions.yml")])
    printed = capsys.readouterr().out
    assert figures["out_of_scope"]["recall"] == 0.5
    assert "zh-Hant             2     0.500" in printed
    assert "off-topic recall 0.500 (2 off-topic)" in printed
    assert "ask_follow_up -> describe_stalled_deal" in printed
