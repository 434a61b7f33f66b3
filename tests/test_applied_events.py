"""bot/applied_events.py: Rasa's applied events, walked once per event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.applied_events import _applied_events, applied_events
from tests.conftest import PROJECT_DIR


def same_as_rasa(tracker: DialogueStateTracker) -> None:
    ours = applied_events(tracker)
    theirs = _applied_events(tracker)
    assert len(ours) == len(theirs)
    assert all(a is b for a, b in zip(ours, theirs, strict=True))


def replayed(events: list[Event], domain: Domain | None = None) -> int:
    """Each event added in turn, compared with Rasa's after each; how many comparisons."""
    tracker = DialogueStateTracker("rep", domain.slots if domain else [])
    for event in events:
        tracker.update(event)
        same_as_rasa(tracker)
        same_as_rasa(tracker)  # a second call, from what was kept
    return len(events)


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "domain.yml"))


def test_the_same_at_every_step_of_every_story_and_rule(rasa_domain) -> None:
    """The project's stories, rules and test stories, as Rasa's training builds them (forms'
    happy paths, interruptions, conversation starts)."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.loading import load_data_from_files
    from rasa.shared.core.training_data.structures import StoryGraph

    files = sorted(str(p) for p in (PROJECT_DIR / "data" / "stories").glob("*.yml"))
    files += sorted(str(p) for p in (PROJECT_DIR / "tests" / "stories").glob("test_*.yml"))
    graph = StoryGraph(load_data_from_files(files, rasa_domain))
    trackers = TrainingDataGenerator(graph, rasa_domain, augmentation_factor=0).generate()
    assert len(trackers) > 50
    assert sum(replayed(list(story.events), rasa_domain) for story in trackers) > 1000


def test_the_same_at_every_step_of_a_recorded_conversation(rasa_domain) -> None:
    recorded = json.loads(
        (PROJECT_DIR / "tests" / "fixtures" / "recorded_conversation.json").read_text()
    )
    events = deserialise_events(recorded)
    assert any(isinstance(e, ActionExecutionRejected) for e in events)
    assert replayed(events, rasa_domain) > 800


def loop_turns(loop: str) -> list[Event]:
    return [
        ActionExecuted("action_listen"),
        UserUttered("deal stalled", {"name": "describe_stalled_deal"}),
        ActionExecuted(loop),
        ActiveLoop(loop),
        ActionExecuted("action_listen"),
        UserUttered("samples", {"name": "inform"}),
        ActionExecuted(loop),
        SlotSet("deal_stage", "product_delivery"),
        ActionExecuted("action_listen"),
        UserUttered("hm", {"name": "out_of_scope"}),
        ActionExecutionRejected(loop),
        ActionExecuted("action_clarify"),
        ActionExecuted(loop),
        ActiveLoop(None),
    ]


def test_the_same_through_reverts_restarts_sessions_and_loops() -> None:
    events: list[Event] = [
        *loop_turns("stalled_deal_form"),
        ActionExecuted("action_listen"),
        UserUttered("hm", {"name": "out_of_scope"}),
        UserUtteranceReverted(),
        ActionExecuted("action_greet"),
        ActionReverted(),
        SessionStarted(),
        *loop_turns("stalled_deal_form"),
        Restarted(),
        *loop_turns("readiness_form"),
    ]
    assert replayed(events) == len(events)


def test_a_loop_named_later_changes_how_earlier_events_count() -> None:
    """Rasa's loop names cover all the events: a form's earlier runs are folded only once its
    ActiveLoop event is there."""
    tracker = DialogueStateTracker("rep", [])
    for event in [
        ActionExecuted("action_listen"),
        UserUttered("a", {"name": "inform"}),
        ActionExecuted("feedback_form"),
        ActionExecuted("action_listen"),
        UserUttered("b", {"name": "inform"}),
        ActionExecuted("feedback_form"),
    ]:
        tracker.update(event)
    before = applied_events(tracker)
    tracker.update(ActiveLoop("feedback_form"))
    after = applied_events(tracker)
    same_as_rasa(tracker)
    assert len(after) < len(before) + 1  # the second run was folded into the first


def test_a_new_events_deque_or_a_changed_one_is_walked_anew() -> None:
    tracker = DialogueStateTracker("rep", [])
    for event in loop_turns("stalled_deal_form"):
        tracker.update(event)
    applied_events(tracker)
    tracker.events = tracker._create_events([ActionExecuted("action_listen")])
    same_as_rasa(tracker)
    tracker.events.pop()
    tracker.events.append(ActionExecuted("action_greet"))  # as many events, a different one
    same_as_rasa(tracker)


def test_each_call_hands_out_its_own_list() -> None:
    tracker = DialogueStateTracker("rep", [])
    tracker.update(ActionExecuted("action_listen"))
    first: Any = applied_events(tracker)
    first.clear()
    assert len(applied_events(tracker)) == 1


def test_installed_in_the_server_when_endpoints_yml_loads_our_nlg() -> None:
    import bot.nlg  # noqa: F401  (installs the fixes, as the server does)

    assert DialogueStateTracker.applied_events is applied_events


def test_rasas_applied_events_is_the_one_this_was_written_against() -> None:
    """bot/applied_events.py repeats the loop's body: read the new one before updating this."""
    import hashlib
    import inspect

    source = inspect.getsource(_applied_events)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "764d5065ea9997d6"
