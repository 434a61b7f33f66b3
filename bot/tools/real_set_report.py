"""Reads Rasa's NLU test results on the real-question set and reports accuracy per language,
off-topic recall and the worst confusions. It only measures: the gates live elsewhere.

    rasa test nlu --nlu tests/nlu/real_questions.yml --model models/sales-coach.tar.gz \\
        --out results/real --successes --no-plot
    python -m bot.tools.real_set_report results/real
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
REAL_QUESTIONS = PROJECT_DIR / "tests" / "nlu" / "real_questions.yml"
OUT_OF_SCOPE = "out_of_scope"
WORST = 10


def languages_by_text(questions: Path) -> dict[str, str]:
    """The language label of each question; Rasa's result files carry the text, not the metadata."""
    document = yaml.safe_load(questions.read_text(encoding="utf-8"))
    return {
        example["text"].strip(): example["metadata"]["language"]
        for block in document["nlu"]
        for example in block["examples"]
    }


def predictions(results: Path) -> list[tuple[str, str, str]]:
    """(text, intent, predicted intent) for every example Rasa tested."""
    return [
        (item["text"].strip(), item["intent"], (item.get("intent_prediction") or {}).get("name"))
        for name in ("intent_successes.json", "intent_errors.json")
        for item in json.loads((results / name).read_text(encoding="utf-8"))
    ]


def report(results: Path, questions: Path = REAL_QUESTIONS) -> dict[str, Any]:
    """Figures from a `rasa test nlu --successes` folder, joined to the set on the text."""
    language_of = languages_by_text(questions)
    rows = predictions(results)
    unknown = sorted({text for text, _, _ in rows if text not in language_of})
    if unknown:  # results from another set would silently mix with this one's labels
        raise ValueError(f"{len(unknown)} tested texts are not in {questions}: {unknown[:3]}")
    total, correct = Counter(), Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for text, intent, predicted in rows:
        language = language_of[text]
        total[language] += 1
        correct[language] += intent == predicted
        if intent != predicted:
            confusions[(intent, predicted)] += 1
    off_topic = [predicted for _, intent, predicted in rows if intent == OUT_OF_SCOPE]
    return {
        "examples": len(rows),
        "accuracy": sum(correct.values()) / len(rows) if rows else 0.0,
        "languages": {
            language: {"examples": total[language], "accuracy": correct[language] / total[language]}
            for language in sorted(total)
        },
        "out_of_scope": {
            "examples": len(off_topic),
            "recall": off_topic.count(OUT_OF_SCOPE) / len(off_topic) if off_topic else 0.0,
        },
        "confusions": [
            {"intent": intent, "predicted": predicted, "count": count}
            for (intent, predicted), count in sorted(
                confusions.items(), key=lambda item: (-item[1], item[0])
            )[:WORST]
        ],
    }


def print_report(figures: dict[str, Any]) -> None:
    print(f"{'language':<12}{'examples':>9}{'accuracy':>10}")
    for language, scores in figures["languages"].items():
        print(f"{language:<12}{scores['examples']:>9}{scores['accuracy']:>10.3f}")
    print(f"{'all':<12}{figures['examples']:>9}{figures['accuracy']:>10.3f}")
    off_topic = figures["out_of_scope"]
    print(f"\noff-topic recall {off_topic['recall']:.3f} ({off_topic['examples']} off-topic)")
    print(f"\n{'worst confusions (intent -> predicted)':<56}{'count':>6}")
    for confusion in figures["confusions"]:
        pair = f"{confusion['intent']} -> {confusion['predicted']}"
        print(f"{pair:<56}{confusion['count']:>6}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """`python -m bot.tools.real_set_report RESULTS_DIR [QUESTIONS_YML]`"""
    args = sys.argv[1:] if argv is None else argv
    results = Path(args[0] if args else "results/real")
    figures = report(results, Path(args[1]) if len(args) > 1 else REAL_QUESTIONS)
    print_report(figures)
    return figures


if __name__ == "__main__":
    main()
