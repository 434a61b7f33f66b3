"""Reads Rasa's NLU test reports, prints accuracy per language and F1 per intent, and fails
below the gate. Rasa 3.6 has no threshold flag, so this is the gate.

    python -m bot.tools.nlu_gate results/nlu
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bot.language import CJK, script_of

MIN_ACCURACY = 0.90
MIN_INTENT_F1 = 0.80


def language_of_example(text: str) -> str:
    if not CJK.search(text):
        return "en"
    script = script_of(text)
    return script if script != "zh" else "zh (either script)"


def gate(report_dir: Path) -> list[str]:
    """Prints the figures; returns the reasons the gate fails (empty when it passes)."""
    report = json.loads((report_dir / "intent_report.json").read_text(encoding="utf-8"))
    outcomes = [
        (item["text"], item["intent"] == item["intent_prediction"]["name"])
        for name in ("intent_successes.json", "intent_errors.json")
        for item in json.loads((report_dir / name).read_text(encoding="utf-8"))
    ]
    total, correct = Counter(), Counter()
    for text, ok in outcomes:
        language = language_of_example(text)
        total[language] += 1
        correct[language] += ok
    print(f"{'language':<20}{'examples':>9}{'accuracy':>10}")
    for language in sorted(total):
        print(f"{language:<20}{total[language]:>9}{correct[language] / total[language]:>10.3f}")
    accuracy = report["accuracy"]
    print(f"{'all':<20}{sum(total.values()):>9}{accuracy:>10.3f}\n")
    print(f"{'intent':<24}{'support':>8}{'precision':>10}{'recall':>8}{'f1':>7}")
    failures = []
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v}
    for intent, scores in sorted(intents.items()):
        if intent in ("macro avg", "weighted avg", "micro avg"):
            continue
        print(
            f"{intent:<24}{scores['support']:>8}{scores['precision']:>10.3f}"
            f"{scores['recall']:>8.3f}{scores['f1-score']:>7.3f}"
        )
        if scores["f1-score"] < MIN_INTENT_F1 and scores["support"] > 0:
            failures.append(f"intent {intent}: F1 {scores['f1-score']:.3f} < {MIN_INTENT_F1}")
    if accuracy < MIN_ACCURACY:
        failures.append(f"intent accuracy {accuracy:.3f} < {MIN_ACCURACY}")
    return failures


def main() -> int:
    failures = gate(Path(sys.argv[1] if len(sys.argv) > 1 else "results/nlu"))
    for failure in failures:
        print(f"NLU gate FAILED: {failure}")
    if not failures:
        print(f"NLU gate passed (accuracy >= {MIN_ACCURACY}, every intent F1 >= {MIN_INTENT_F1}).")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
