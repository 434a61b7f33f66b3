"""How far two annotators of the real-question sets agree, and where a model stands against that
ceiling. Prints figures only, never the questions: run after `make nlu-gate`.

    python -m bot.tools.label_agreement                       # both real sets, results/nlu-real*
    python -m bot.tools.label_agreement results/nlu-real tests/nlu/real_questions.yml

Per set and language: the share of questions both annotators labelled alike; the model's
accuracy against the first labels (the set's own, which the gates use), against the second, on
the questions both agree on, and where it matches either; then the annotators' disagreements.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.tools.real_set_report import languages_by_text, predictions

PROJECT_DIR = Path(__file__).resolve().parents[2]
SECOND_LABELS = PROJECT_DIR / "tests" / "nlu" / "second_labels.yml"
SETS = (
    ("real", PROJECT_DIR / "results" / "nlu-real", PROJECT_DIR / "tests/nlu/real_questions.yml"),
    (
        "unseen",
        PROJECT_DIR / "results" / "nlu-unseen",
        PROJECT_DIR / "tests/nlu/real_questions_unseen.yml",
    ),
)
WORST = 8


@dataclass(frozen=True)
class Judged:
    """One question: its language, the set's label, the second annotator's, the model's guess."""

    language: str
    first: str
    second: str
    predicted: str | None


def second_labels(path: Path = SECOND_LABELS) -> dict[str, str]:
    """The second annotator's intent for each question text."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {item["text"].strip(): item["intent"] for item in document["labels"]}


def judged(results: Path, questions: Path, second: dict[str, str]) -> list[Judged]:
    """The model's results on one set joined to both annotators' labels on the text."""
    language_of = languages_by_text(questions)
    rows = predictions(results)
    missing = sorted({text for text, _, _ in rows if text not in second or text not in language_of})
    if missing:  # a question without a second label would silently leave the figures
        raise ValueError(f"{len(missing)} tested texts have no second label: {missing[:3]}")
    return [Judged(language_of[t], first, second[t], guess) for t, first, guess in rows]


def figures(rows: list[Judged]) -> dict[str, float]:
    """Agreement and the model's accuracies over some questions (see the module's docstring)."""
    agreed = [r for r in rows if r.first == r.second]
    return {
        "questions": len(rows),
        "annotators_agree": len(agreed) / len(rows),
        "model_vs_first": sum(r.predicted == r.first for r in rows) / len(rows),
        "model_vs_second": sum(r.predicted == r.second for r in rows) / len(rows),
        "agreed_questions": len(agreed),
        "model_on_agreed": sum(r.predicted == r.first for r in agreed) / len(agreed)
        if agreed
        else float("nan"),
        "model_matches_either": sum(r.predicted in (r.first, r.second) for r in rows) / len(rows),
    }


def disagreements(rows: list[Judged]) -> list[tuple[tuple[str, str], int]]:
    """(first label, second label) pairs the annotators split on, most frequent first."""
    pairs = Counter((r.first, r.second) for r in rows if r.first != r.second)
    return sorted(pairs.items(), key=lambda item: (-item[1], item[0]))


def print_figures(name: str, rows: list[Judged]) -> None:
    print(
        f"{name + ' set':<18}{'questions':>10}{'humans':>8}{'model/1st':>10}{'model/2nd':>10}"
        f"{'agreed':>8}{'model':>7}{'either':>8}"
    )
    languages = sorted({r.language for r in rows})
    for language in [*languages, "all"]:
        mine = [r for r in rows if language in ("all", r.language)]
        f = figures(mine)
        print(
            f"{language:<18}{f['questions']:>10}{f['annotators_agree']:>8.3f}"
            f"{f['model_vs_first']:>10.3f}{f['model_vs_second']:>10.3f}"
            f"{f['agreed_questions']:>8}{f['model_on_agreed']:>7.3f}{f['model_matches_either']:>8.3f}"
        )
    print("  annotators split on (set's label / second label: count):")
    for (first, second), count in disagreements(rows)[:WORST]:
        print(f"    {first} / {second}: {count}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    second = second_labels(SECOND_LABELS)  # read at call time: tests point it elsewhere
    sets = [("given", Path(args[0]), Path(args[1]))] if args else SETS
    print(
        "humans: both annotators gave the same label; model/1st, model/2nd: accuracy against "
        "each annotator;\nagreed: questions both label alike, model: accuracy on them; "
        "either: the model matches one of the two."
    )
    for name, results, questions in sets:
        if (results / "intent_successes.json").exists():
            print_figures(name, judged(results, questions, second))
    return 0


if __name__ == "__main__":
    sys.exit(main())
