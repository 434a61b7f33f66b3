"""The FallbackClassifier's trade-off on an evaluation set: for each threshold, the share of
questions the bot would answer (top intent confident enough) and the accuracy of those answers.
Prints figures only, never the questions: `make nlu-curve`.

    python -m bot.tools.nlu_curve tests/nlu/real_questions.yml tests/nlu/held_out.yml
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.log_utils import configure_structlog

from actions.common import close_second_guess, suggestable
from bot.composer.coaching import clarification_guesses

PROJECT_DIR = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("SALES_COACH_MODEL", PROJECT_DIR / "models" / "sales-coach.tar.gz"))
THRESHOLDS = [round(0.05 * step, 2) for step in range(0, 19)]
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Scored:
    """One question: its label, the classifier's top guess and the margins fallback looks at."""

    intent: str
    guess: str
    confidence: float
    margin: float  # top confidence minus the runner-up's (the ambiguity threshold's measure)
    # every intent with its confidence, most likely first (what the buttons are chosen from)
    ranking: tuple[tuple[str, float], ...] = ()


def configured_fallback(config: Path = PROJECT_DIR / "config.yml") -> tuple[float, float]:
    """(threshold, ambiguity_threshold) of the FallbackClassifier in config.yml."""
    for component in yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]:
        if component["name"] == "FallbackClassifier":
            return component["threshold"], component.get("ambiguity_threshold", 0.1)
    raise ValueError("no FallbackClassifier in the pipeline")


def curve(
    scored: list[Scored], ambiguity: float, thresholds: list[float] = THRESHOLDS
) -> list[tuple[float, float, float]]:
    """(threshold, share answered, accuracy of the answered) for each threshold."""
    rows = []
    for threshold in thresholds:
        answered = [s for s in scored if s.confidence >= threshold and s.margin >= ambiguity]
        right = sum(s.guess == s.intent for s in answered)
        rows.append(
            (threshold, len(answered) / len(scored), right / len(answered) if answered else 0.0)
        )
    return rows


async def score(agent: Agent, nlu_file: Path) -> list[Scored]:
    scored = []
    for example in load_data(str(nlu_file)).intent_examples:
        parsed = await agent.parse_message(example.get("text"))
        ranking = [item for item in parsed["intent_ranking"] if item["name"] != FALLBACK]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        scored.append(
            Scored(
                example.get("intent"),
                ranking[0]["name"],
                ranking[0]["confidence"],
                ranking[0]["confidence"] - second,
                tuple((item["name"], item["confidence"]) for item in ranking),
            )
        )
    return scored


OUTCOMES = (
    "right answer",
    "right answer, with a did-you-mean button too",
    "declined, rightly",
    "clarify offers the right topic",
    "clarify without it",
    "clarify, off-topic question",
    "coaching question declined, buttons offer it",
    "coaching question declined without it",
    "wrong answer, a did-you-mean button offers it",
    "wrong answer",
)


def outcome(item: Scored, threshold: float, ambiguity: float) -> str:
    """What the user sees for one question: the answer given, or the "did you mean …?" buttons
    (`action_clarify`) when FallbackClassifier takes the message. A decline (`action_decline`)
    offers the same buttons as "did you mean …?"; an answer whose second guess is close has a
    button for it (actions/common.py `close_second_guess`)."""
    ranking = [{"name": name, "confidence": confidence} for name, confidence in item.ranking]
    offered = clarification_guesses(suggestable(ranking))
    if item.confidence >= threshold and item.margin >= ambiguity:
        if item.guess == item.intent == OUT_OF_SCOPE:
            return "declined, rightly"
        if item.guess == item.intent:
            if close_second_guess(ranking):
                return "right answer, with a did-you-mean button too"
            return "right answer"
        if item.guess != OUT_OF_SCOPE:
            if close_second_guess(ranking) == item.intent:
                return "wrong answer, a did-you-mean button offers it"
            return "wrong answer"
        if item.intent in offered:
            return "coaching question declined, buttons offer it"
        return "coaching question declined without it"
    if item.intent == OUT_OF_SCOPE:
        return "clarify, off-topic question"
    return "clarify offers the right topic" if item.intent in offered else "clarify without it"


def print_outcomes(scored: list[Scored], threshold: float, ambiguity: float) -> None:
    counts = Counter(outcome(item, threshold, ambiguity) for item in scored)
    print(f"what the user gets at threshold {threshold} (share of questions):")
    for name in OUTCOMES:
        print(f"  {name:<46}{counts[name] / len(scored):>7.3f}{counts[name]:>5}")


def print_curve(name: str, rows: list[tuple[float, float, float]], configured: float) -> None:
    print(f"\n{name}\n{'threshold':>10}{'answered':>10}{'accuracy':>10}  (accuracy of answered)")
    for threshold, answered, accuracy in rows:
        mark = "  <- config.yml" if abs(threshold - configured) < 1e-9 else ""
        print(f"{threshold:>10.2f}{answered:>10.3f}{accuracy:>10.3f}{mark}")


def main(argv: list[str]) -> int:
    # Rasa's debug log prints every parsed text to stdout: the figures must come without them
    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    sets = [Path(p) for p in argv] or [PROJECT_DIR / "tests" / "nlu" / "held_out.yml"]
    threshold, ambiguity = configured_fallback()
    agent = Agent.load(str(MODEL))
    print(f"FallbackClassifier in config.yml: threshold {threshold}, ambiguity {ambiguity}")
    for nlu_file in sets:
        if nlu_file.exists():
            scored = asyncio.run(score(agent, nlu_file))
            rows = curve(scored, ambiguity)
            print_curve(f"{nlu_file.name} ({len(scored)} questions)", rows, threshold)
            print_outcomes(scored, threshold, ambiguity)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
