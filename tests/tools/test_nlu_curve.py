from pathlib import Path

from bot.tools.nlu_curve import Scored, configured_fallback, curve


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
