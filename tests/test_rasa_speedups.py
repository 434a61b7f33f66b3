"""bot/rasa_speedups.py: Rasa's own results, installed in the server by bot/nlg.py."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    SlotSet,
    UserUttered,
    deserialise_events,
)

from bot.composer.answer import topic_answer
from bot.rasa_speedups import (
    _resolve_by_type,
    _validate_action_result,
    resolve_by_type,
    validation_error,
)
from bot.rendering.markdown import to_markdown
from tests.conftest import PROJECT_DIR

SCHEMA = RemoteAction.action_response_format_spec()
USER = {
    "event": "user",
    "text": "hi",
    "parse_data": {
        "intent": {"name": "greet", "confidence": 0.9},
        "entities": [{"entity": "language", "value": "en", "start": 0, "end": 2}],
    },
}


@pytest.fixture(scope="module")
def answer_result(kb) -> dict[str, Any]:
    """A real answer as the action server sends it (actions/common.py's send_answer)."""
    answer = topic_answer(kb, kb.topics["follow_up"], "zh-Hant", "short")
    message = {"text": to_markdown(answer), "buttons": answer["buttons"], "custom": answer}
    return {
        "events": [
            {"event": "slot", "timestamp": None, "name": "topic", "value": "follow_up"},
            {"event": "slot", "timestamp": None, "name": "last_answer", "value": {"id": "x"}},
        ],
        "responses": [message],
    }


def results(answer_result: dict[str, Any]) -> list[Any]:
    """Valid results and broken ones, each broken in one way."""

    def with_events(*events: Any) -> dict[str, Any]:
        return {**copy.deepcopy(answer_result), "events": list(events)}

    every_kind = [{"event": name} for name in ("action", "bot", "restart", "reset_slots")]
    return [
        answer_result,
        {"events": [], "responses": []},
        {},
        with_events(USER, *every_kind, {"event": "active_loop", "name": None}),
        with_events({"event": "slot", "name": "topic"}),  # no value
        with_events({"event": "slot", "name": 3, "value": 1}),
        with_events({"event": "no_such_event"}),
        with_events({"name": "topic", "value": 1}),  # no event
        with_events({"event": 7}),
        with_events({"event": "action", "timestamp": "yesterday"}),
        with_events({"event": "action", "confidence": "high"}),
        with_events({**USER, "parse_data": {"entities": [{"entity": "role"}]}}),
        with_events("slot"),
        {**answer_result, "events": {"event": "slot"}},
        {**answer_result, "responses": ["hello"]},
        [],
    ]


def test_same_verdicts_as_rasas_check(answer_result) -> None:
    verdicts = []
    for result in results(answer_result):
        try:
            jsonschema.validate(result, SCHEMA)
            rasa_valid = True
        except jsonschema.ValidationError:
            rasa_valid = False
        assert (validation_error(result) is None) == rasa_valid, json.dumps(result)[:300]
        verdicts.append(rasa_valid)
    assert verdicts.count(True) == 4 and verdicts.count(False) == len(verdicts) - 4


def test_an_invalid_result_raises_with_rasas_message() -> None:
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        _validate_action_result(None, {"events": [{"event": "slot"}]})
    assert _validate_action_result(None, {"events": [], "responses": []}) is True


def test_the_server_runs_with_it_when_endpoints_yml_loads_our_nlg() -> None:
    from rasa.core.nlg.generator import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(str(PROJECT_DIR / "endpoints.yml"), "nlg")
    nlg = NaturalLanguageGenerator.create(config, Domain.load(str(PROJECT_DIR / "domain.yml")))
    assert type(nlg).__name__ == "AnswerLanguageNLG"
    assert RemoteAction._validate_action_result is _validate_action_result
    assert Event.resolve_by_type is resolve_by_type


def test_event_classes_are_the_ones_rasa_finds() -> None:
    names = ["user", "bot", "slot", "action", "session_started", "active_loop", "restart"]
    for name in names * 2:  # the second time from what was remembered
        assert resolve_by_type(name) is _resolve_by_type(name)
    assert resolve_by_type("topic") is None  # Rasa's answer for an old event name
    assert resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_by_type("no_such_event")
    # whole trackers come back as Rasa builds them
    events = [UserUttered("hi", {"name": "greet"}), SlotSet("language", "en"), ActionExecuted("x")]
    assert deserialise_events([e.as_dict() for e in events]) == events


def test_sqlite_tracker_stores_write_ahead(tmp_path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    import bot.nlg  # noqa: F401  # what the server imports: installs the fixes

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
