from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge.base import KnowledgeBase, knowledge_base

PROJECT_DIR = Path(__file__).resolve().parents[1]


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
