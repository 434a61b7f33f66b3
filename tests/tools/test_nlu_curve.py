from pathlib import Path

import pytest

from bot.tools.nlu_curve import Scored, configured_fallback, curve, outcome

# out_of_scope is never offered as a button: the three offered are tenacity, drive, follow-up
RANKED = (
    ("out_of_scope", 0.3),
    ("ask_tenacity", 0.25),
    ("ask_drive", 0.2),
    ("ask_follow_up", 0.1),
    ("ask_commitment", 0.05),
)
# an answer (tenacity) whose second guess (drive) is within 0.3: a did-you-mean button for it
CLOSE = (("ask_tenacity", 0.5), ("greet", 0.3), ("ask_drive", 0.3), ("out_of_scope", 0.1))


def test_curve_trades_answered_share_for_accuracy() -> None:
    scored = [
        Scored("ask_drive", "ask_drive", 0.9, 0.8),
        Scored("ask_drive", "ask_tenacity", 0.5, 0.3),
        Scored("out_of_scope", "out_of_scope", 0.7, 0.02),  # ambiguous: never answered
        Scored("ask_why", "ask_why", 0.3, 0.1),
    ]
    assert curve(scored, ambiguity=0.05, thresholds=[0.0, 0.4, 0.6, 0.95]) == [
        (0.0, 0.75, 2 / 3),
        (0.4, 0.5, 0.5),
        (0.6, 0.25, 1.0),
        (0.95, 0.0, 0.0),
    ]


def test_fallback_settings_are_read_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: DIETClassifier\n  - name: FallbackClassifier\n"
        "    threshold: 0.4\n    ambiguity_threshold: 0.08\n"
    )
    assert configured_fallback(config) == (0.4, 0.08)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (Scored("ask_drive", "ask_drive", 0.9, 0.8), "right answer"),
        (Scored("out_of_scope", "out_of_scope", 0.9, 0.8), "declined, rightly"),
        # a decline's buttons are the first three labelled questions of the ranking
        (
            Scored("ask_drive", "out_of_scope", 0.9, 0.8, RANKED),
            "coaching question declined, buttons offer it",
        ),
        (
            Scored("ask_commitment", "out_of_scope", 0.9, 0.8, RANKED),
            "coaching question declined without it",
        ),
        (Scored("out_of_scope", "ask_drive", 0.9, 0.8), "wrong answer"),
        (Scored("ask_drive", "ask_tenacity", 0.9, 0.8), "wrong answer"),
        (
            Scored("ask_drive", "ask_tenacity", 0.5, 0.2, CLOSE),
            "wrong answer, a did-you-mean button offers it",
        ),
        (Scored("ask_follow_up", "ask_tenacity", 0.5, 0.2, CLOSE), "wrong answer"),
        (
            Scored("ask_tenacity", "ask_tenacity", 0.5, 0.2, CLOSE),
            "right answer, with a did-you-mean button too",
        ),
        # below the threshold: action_clarify offers the first three labelled questions
        (
            Scored("ask_drive", "out_of_scope", 0.3, 0.1, RANKED),
            "clarify offers the right topic",
        ),
        (Scored("ask_commitment", "out_of_scope", 0.3, 0.1, RANKED), "clarify without it"),
        # ambiguous (margin below 0.05) is not answered either
        (
            Scored("ask_tenacity", "ask_tenacity", 0.6, 0.01, RANKED),
            "clarify offers the right topic",
        ),
        (Scored("out_of_scope", "ask_tenacity", 0.3, 0.1, RANKED), "clarify, off-topic question"),
    ],
)
def test_outcome_is_what_the_user_sees(item: Scored, expected: str) -> None:
    assert outcome(item, threshold=0.4, ambiguity=0.05) == expected
