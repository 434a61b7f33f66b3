"""Reads Rasa's NLU test reports for one evaluation set, prints accuracy per language, F1 per
intent, off-topic recall and the worst confusions (counts of intent pairs, never texts), and
fails below the gate. Rasa 3.6 has no threshold flag, so this is the gate.

    python -m bot.tools.nlu_gate results/nlu --min-accuracy 0.95 --min-intent-f1 0.80
    python -m bot.tools.nlu_gate results/nlu-real --languages-from tests/nlu/real_questions.yml \
        --min-accuracy 0.85 --min-language-accuracy 0.80 --min-off-topic-recall 0.90
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.language import CJK, script_of

OFF_TOPIC = "out_of_scope"
AVERAGES = ("macro avg", "weighted avg", "micro avg")


@dataclass(frozen=True)
class Thresholds:
    """What a set must reach; None means not gated. `label` marks a regression guard below
    the issue's target, so the printout says which is which."""

    accuracy: float | None = 0.90
    language_accuracy: float | None = None
    intent_f1: float | None = 0.80
    off_topic_recall: float | None = None
    label: str = ""


def language_of_example(text: str) -> str:
    if not CJK.search(text):
        return "en"
    script = script_of(text)
    return script if script != "zh" else "zh (either script)"


def labelled_languages(nlu_file: Path) -> dict[str, str]:
    """text → language from the `metadata: language` of an evaluation set (the real set says
    which script a question was asked in, even when no character tells)."""
    languages = {}
    for block in yaml.safe_load(nlu_file.read_text(encoding="utf-8")).get("nlu", []):
        for example in block.get("examples") or []:
            if isinstance(example, dict) and (example.get("metadata") or {}).get("language"):
                languages[example["text"].strip()] = example["metadata"]["language"]
    return languages


def _outcomes(report_dir: Path) -> list[tuple[str, str, str]]:
    """(text, labelled intent, predicted intent) for every example of the set."""
    return [
        (item["text"], item["intent"], item["intent_prediction"]["name"])
        for name in ("intent_successes.json", "intent_errors.json")
        for item in json.loads((report_dir / name).read_text(encoding="utf-8"))
    ]


def gate(
    report_dir: Path,
    thresholds: Thresholds = Thresholds(),
    languages: dict[str, str] | None = None,
) -> list[str]:
    """Prints the figures; returns the reasons the gate fails (empty when it passes)."""
    report = json.loads((report_dir / "intent_report.json").read_text(encoding="utf-8"))
    outcomes = _outcomes(report_dir)
    languages = languages or {}
    total, correct = Counter(), Counter()
    for text, intent, predicted in outcomes:
        language = languages.get(text.strip()) or language_of_example(text)
        total[language] += 1
        correct[language] += intent == predicted
    failures = []
    print(f"{'language':<20}{'examples':>9}{'accuracy':>10}")
    for language in sorted(total):
        share = correct[language] / total[language]
        print(f"{language:<20}{total[language]:>9}{share:>10.3f}")
        if thresholds.language_accuracy is not None and share < thresholds.language_accuracy:
            wanted = thresholds.language_accuracy
            failures.append(f"{language} accuracy {share:.3f} < {wanted}{thresholds.label}")
    accuracy = report["accuracy"]
    print(f"{'all':<20}{sum(total.values()):>9}{accuracy:>10.3f}\n")

    print(f"{'intent':<24}{'support':>8}{'precision':>10}{'recall':>8}{'f1':>7}")
    intents = {
        k: v
        for k, v in report.items()
        if isinstance(v, dict) and "support" in v and k not in AVERAGES
    }
    for intent, scores in sorted(intents.items()):
        print(
            f"{intent:<24}{scores['support']:>8}{scores['precision']:>10.3f}"
            f"{scores['recall']:>8.3f}{scores['f1-score']:>7.3f}"
        )
        if (
            thresholds.intent_f1 is not None
            and scores["f1-score"] < thresholds.intent_f1
            and scores["support"] > 0
        ):
            failures.append(
                f"intent {intent}: F1 {scores['f1-score']:.3f} < {thresholds.intent_f1}"
            )

    off_topic = [predicted for _, intent, predicted in outcomes if intent == OFF_TOPIC]
    if off_topic:
        recall = off_topic.count(OFF_TOPIC) / len(off_topic)
        declined = sum(p in (OFF_TOPIC, "nlu_fallback") for p in off_topic) / len(off_topic)
        print(f"\noff-topic recall (out_of_scope)            {recall:.3f} of {len(off_topic)}")
        print(f"off-topic not answered (incl. nlu_fallback) {declined:.3f}")
        if thresholds.off_topic_recall is not None and recall < thresholds.off_topic_recall:
            failures.append(
                f"off-topic recall {recall:.3f} < {thresholds.off_topic_recall}{thresholds.label}"
            )

    confusions = Counter((i, p) for _, i, p in outcomes if i != p)
    print("\nworst confusions (labelled → predicted: count)")
    for (intent, predicted), count in confusions.most_common(10):
        print(f"  {intent} → {predicted}: {count}")

    if thresholds.accuracy is not None and accuracy < thresholds.accuracy:
        failures.append(f"intent accuracy {accuracy:.3f} < {thresholds.accuracy}{thresholds.label}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", nargs="?", default="results/nlu", type=Path)
    parser.add_argument("--min-accuracy", type=float, default=0.90)
    parser.add_argument("--min-language-accuracy", type=float)
    parser.add_argument("--min-intent-f1", type=float)
    parser.add_argument("--min-off-topic-recall", type=float)
    parser.add_argument("--languages-from", type=Path, help="evaluation set with metadata")
    parser.add_argument(
        "--guard", default="", help="label printed beside thresholds set below the target"
    )
    args = parser.parse_args(argv)
    thresholds = Thresholds(
        accuracy=args.min_accuracy,
        language_accuracy=args.min_language_accuracy,
        intent_f1=args.min_intent_f1,
        off_topic_recall=args.min_off_topic_recall,
        label=f" ({args.guard})" if args.guard else "",
    )
    languages = labelled_languages(args.languages_from) if args.languages_from else None
    failures = gate(args.report_dir, thresholds, languages)
    for failure in failures:
        print(f"NLU gate FAILED: {failure}")
    if not failures:
        print(f"NLU gate passed for {args.report_dir}{thresholds.label}.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
