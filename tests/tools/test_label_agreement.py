from pathlib import Path

import pytest

from bot.tools.label_agreement import disagreements, figures, judged, main, second_labels
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
- intent: describe_stalled_deal
  examples:
  - text: "deal stuck at legal for a month"
    metadata: {source: "https://example.org/c", language: en}
- intent: out_of_scope
  examples:
  - text: "明天會下雨嗎"
    metadata: {source: "https://example.org/d", language: zh-Hant}
"""
SECOND = """\
labels:
- text: "client ghosted me, now what?"
  intent: ask_follow_up
- text: "客户已读不回怎么办"
  intent: ask_follow_up
- text: "deal stuck at legal for a month"
  intent: ask_follow_up
  hesitated_with: describe_stalled_deal
- text: "明天會下雨嗎"
  intent: out_of_scope
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "questions.yml").write_text(QUESTIONS, encoding="utf-8")
    (tmp_path / "second.yml").write_text(SECOND, encoding="utf-8")
    ok = [
        prediction("client ghosted me, now what?", "ask_follow_up", "ask_follow_up"),
        prediction("明天會下雨嗎", "out_of_scope", "out_of_scope"),
    ]
    bad = [
        # the model sides with the second annotator where the two split
        prediction("deal stuck at legal for a month", "describe_stalled_deal", "ask_follow_up"),
        # and misses one both agree on
        prediction("客户已读不回怎么办", "ask_follow_up", "ask_communication"),
    ]
    write_results(tmp_path, ok, bad)
    return tmp_path


def test_figures_count_agreement_and_the_model_against_each_annotator(folder: Path) -> None:
    rows = judged(folder, folder / "questions.yml", second_labels(folder / "second.yml"))
    assert figures(rows) == {
        "questions": 4,
        "annotators_agree": 0.75,
        "model_vs_first": 0.5,
        "model_vs_second": 0.75,
        "agreed_questions": 3,
        "model_on_agreed": pytest.approx(2 / 3),
        "model_matches_either": 0.75,
    }
    assert disagreements(rows) == [(("describe_stalled_deal", "ask_follow_up"), 1)]


def test_a_question_without_a_second_label_is_an_error(folder: Path) -> None:
    (folder / "second.yml").write_text(SECOND.split('- text: "明天')[0], encoding="utf-8")
    with pytest.raises(ValueError, match="1 tested texts have no second label"):
        judged(folder, folder / "questions.yml", second_labels(folder / "second.yml"))


def test_main_prints_per_language_rows(folder: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("bot.tools.label_agreement.SECOND_LABELS", folder / "second.yml")
    assert main([str(folder), str(folder / "questions.yml")]) == 0
    printed = capsys.readouterr().out
    english = next(line for line in printed.splitlines() if line.startswith("en "))
    assert english.split() == ["en", "2", "0.500", "0.500", "1.000", "1", "1.000", "1.000"]
    assert "describe_stalled_deal / ask_follow_up: 1" in printed
