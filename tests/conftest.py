from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge.base import KnowledgeBase, knowledge_base

PROJECT_DIR = Path(__file__).resolve().parents[1]
MODEL = PROJECT_DIR / "models" / "sales-coach.tar.gz"


@pytest.fixture(scope="session")
def trained_agent() -> Any:
    """The model `make test` trains before pytest: loaded once (about 10 s) for every test that
    parses with it. Missing, it fails in CI and skips elsewhere."""
    if not MODEL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no trained model at {MODEL}: `make test` trains it first")
        pytest.skip(f"no trained model at {MODEL}: run `make train`")
    from rasa.core.agent import Agent  # heavy: only for the tests that ask for it

    return Agent.load(str(MODEL))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """A tracker whose latest message has `intent` and `entities`, with `slots` set."""

    def make(
        intent: str = "greet",
        entities: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
        text: str = "",
        active_loop: str | None = None,
        intent_ranking: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        latest = {
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "text": text,
            "intent_ranking": intent_ranking or [],
        }
        return Tracker(
            sender_id="test-user",
            slots=slots or {},
            latest_message=latest,
            events=events or [],
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return make
