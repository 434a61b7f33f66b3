"""bot/rasa_speedups.py: Rasa's own results, installed in the server by bot/nlg.py."""

from __future__ import annotations

import asyncio
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
    _states_for_tracker_history,
    _validate_action_result,
    resolve_by_type,
    states_for_tracker_history,
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
    assert Domain.states_for_tracker_history is states_for_tracker_history
    from rasa.core.policies.rule_policy import RulePolicy

    from bot.rasa_speedups import format_tracker_states

    assert RulePolicy.format_tracker_states is format_tracker_states
    from bot.rasa_speedups import DEBUG_ONLY_COPY_MODULES, DebugOnlyCopy

    assert all(isinstance(module.copy, DebugOnlyCopy) for module in DEBUG_ONLY_COPY_MODULES)


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


@pytest.fixture(scope="module")
def story_trackers() -> tuple[Any, list[Any]]:
    """The domain, and a tracker per story and rule of the project's training and test data
    (forms with their happy paths folded, interruptions, conversation starts)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.loading import load_data_from_files

    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    files = sorted(str(p) for p in (PROJECT_DIR / "data" / "stories").glob("*.yml"))
    files += sorted(str(p) for p in (PROJECT_DIR / "tests" / "stories").glob("test_*.yml"))
    steps = load_data_from_files(files, domain)
    from rasa.shared.core.training_data.structures import StoryGraph

    graph = StoryGraph(steps)
    trackers = TrainingDataGenerator(graph, domain, augmentation_factor=0).generate()
    return domain, trackers


SETTINGS = [
    {},
    {"ignore_rule_only_turns": True, "rule_only_data": None},
    {
        "ignore_rule_only_turns": True,
        "rule_only_data": {"slots": ["welcomed", "has_answer"], "active_loops": ["feedback_form"]},
    },
    {"omit_unset_slots": True},
]


def test_states_are_rasas_at_every_step_of_every_story(story_trackers) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    domain, trackers = story_trackers
    assert len(trackers) > 50
    compared = 0
    for story in trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)
        for event in story.events:
            tracker.update(event)
            for settings in SETTINGS:
                ours = states_for_tracker_history(domain, tracker, **settings)
                assert ours == _states_for_tracker_history(domain, tracker, **settings)
                # callers change what they get (tracker_featurizers.py deletes keys of the
                # user sub-states): it must not stay
                for state in ours:
                    state.get("user", {}).pop("intent", None)
                    state.get("user", {}).pop("text", None)
                    state.pop("slots", None)
                    state.pop("prev_action", None)
                compared += 1
    assert compared > 1000


def test_states_are_rasas_at_every_step_of_a_recorded_conversation() -> None:
    """87 messages through the server (tests/fixtures/recorded_conversation.json, answers cut
    short): rule turns hidden from the memoization, both flows, a rejected form, fallback,
    feedback, a new session."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    recorded = json.loads(
        (PROJECT_DIR / "tests" / "fixtures" / "recorded_conversation.json").read_text()
    )
    events = deserialise_events(recorded)
    assert sum(getattr(e, "hide_rule_turn", False) for e in events) > 100
    tracker = DialogueStateTracker("rep", domain.slots)
    for event in events:
        tracker.update(event)
        for settings in SETTINGS:
            ours = states_for_tracker_history(domain, tracker, **settings)
            assert ours == _states_for_tracker_history(domain, tracker, **settings)


def test_states_are_rasas_after_a_revert_and_a_new_session() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionReverted,
        ActiveLoop,
        SessionStarted,
        UserUtteranceReverted,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    tracker = DialogueStateTracker("rep", domain.slots)
    events = [
        ActionExecuted("action_listen"),
        UserUttered("deal stalled", {"name": "describe_stalled_deal"}),
        ActionExecuted("action_start_checklist"),
        ActionExecuted("stalled_deal_form"),
        ActiveLoop("stalled_deal_form"),
        ActionExecuted("action_listen"),
        UserUttered("samples", {"name": "inform"}),
        ActionExecuted("stalled_deal_form"),
        SlotSet("deal_stage", "product_delivery"),
        ActionExecuted("action_listen"),
        UserUttered("hm", {"name": "out_of_scope"}),
        UserUtteranceReverted(),
        ActionExecuted("stalled_deal_form"),
        ActionReverted(),
        ActionExecuted("action_listen"),
        SessionStarted(),
        SlotSet("language", "en"),
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "greet"}),
    ]
    for event in events:
        tracker.update(event)
        for settings in SETTINGS:
            ours = states_for_tracker_history(domain, tracker, **settings)
            assert ours == _states_for_tracker_history(domain, tracker, **settings)
    # several events between two calls, as in a turn: the applied events grow but no longer
    # start with the ones replayed (the reverted message and its listen are gone)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("hm", {"name": "out_of_scope"}))
    states_for_tracker_history(domain, tracker)
    for event in [
        UserUtteranceReverted(),
        SlotSet("language", "zh-Hant"),
        ActionExecuted("action_greet"),
        ActionExecuted("action_listen"),
    ]:
        tracker.update(event)
    assert states_for_tracker_history(domain, tracker) == _states_for_tracker_history(
        domain, tracker
    )


def test_rasas_states_function_is_the_one_this_was_written_against() -> None:
    """bot/rasa_speedups.py repeats its loop body: read the new one before updating this."""
    import hashlib
    import inspect

    source = inspect.getsource(_states_for_tracker_history)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "035111ce73ac90ba"


def test_rasas_endpoint_session_and_request_are_the_ones_this_was_written_against() -> None:
    """bot/rasa_speedups.py repeats `session`'s settings and relies on `request` opening the
    session with `async with` (closing it after): read the new ones before updating this."""
    import hashlib
    import inspect

    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_speedups import _session

    digests = [
        hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
        for function in (_session, EndpointConfig.request)
    ]
    assert digests == ["e55aa13d9d4fb4bc", "ccdb778aed8208e2"]


async def _action_server(connections: list[object]):
    """A local action server that answers every POST and notes each new connection."""
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        transport = request.transport
        if transport not in connections:
            connections.append(transport)
        return web.json_response({"events": [], "responses": [], "got": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner


async def test_action_calls_reuse_one_connection_and_reach_a_restarted_server() -> None:
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from bot import rasa_speedups

    rasa_speedups.install()
    connections: list[object] = []
    runner = await _action_server(connections)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-A": "1"})
    try:
        for i in range(5):
            result = await endpoint.request(json={"n": i}, method="post")
            assert result["got"] == {"n": i}
        assert len(connections) == 1  # Rasa's own opens a new session and connection each time
        async with endpoint.session() as session:
            assert not session.closed
            assert session.headers["X-A"] == "1"
        # the action server restarts on the same port: the next call gets through
        await runner.cleanup()
        runner = await _action_server(connections)
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        assert (await endpoint.request(json={"n": 9}, method="post"))["got"] == {"n": 9}
        assert len(connections) == 2
    finally:
        await runner.cleanup()
        async with endpoint.session() as session:
            await session.close()


def test_outside_an_event_loop_the_session_is_rasas_own() -> None:
    import aiohttp
    from rasa.utils.endpoints import EndpointConfig

    from bot import rasa_speedups

    rasa_speedups.install()
    loop = asyncio.new_event_loop()  # aiohttp needs one set, not running
    asyncio.set_event_loop(loop)
    try:
        made = EndpointConfig("http://127.0.0.1:1/webhook").session()
        assert isinstance(made, aiohttp.ClientSession)  # not the kept one's wrapper
        loop.run_until_complete(made.close())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_rasas_graph_run_is_the_one_this_was_written_against() -> None:
    """bot/rasa_speedups.py repeats `DaskGraphRunner.run` without dask: read the new one
    before updating this."""
    import hashlib
    import inspect

    from bot.rasa_speedups import _dask_run

    assert (
        hashlib.sha256(inspect.getsource(_dask_run).encode()).hexdigest()[:16] == "45f0f52f574f3aa9"
    )


def test_the_graph_gives_dasks_results_for_parses_and_predictions() -> None:
    """The trained model's NLU and policy graphs, run by dask (Rasa's own) and without it."""
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import rasa_speedups

    model = Path(__file__).resolve().parents[1] / "models" / "sales-coach.tar.gz"
    if not model.exists():
        pytest.skip("no trained model: run `make train`")
    agent = Agent.load(str(model))
    texts = ["hi", "銷售經理跟客戶經理差在哪", "区域经理要干嘛", "tell me more", "/greet", "ok"]

    def outcomes(run: Any) -> list[Any]:
        saved = DaskGraphRunner.run
        DaskGraphRunner.run = run
        try:
            found = []
            for text in texts:
                parsed = asyncio.run(agent.parse_message(text))
                found.append(parsed)
                tracker = DialogueStateTracker.from_events(
                    "s",
                    [ActionExecuted("action_listen"), UserUttered(text, parsed["intent"])],
                    agent.domain.slots,
                )
                prediction = agent.processor._predict_next_with_tracker(tracker)
                found.append((prediction.policy_name, prediction.probabilities))
            return found
        finally:
            DaskGraphRunner.run = saved

    ours = outcomes(rasa_speedups.graph_run)
    assert ours == outcomes(rasa_speedups._dask_run)
    assert len({str(parsed) for parsed in ours[::2]}) == len(texts)  # not one answer for all


def test_a_failing_node_raises_as_under_dask() -> None:
    from bot.rasa_speedups import run_graph

    def boom(*_: Any) -> None:
        raise RuntimeError("node failed")

    def value_error(*_: Any) -> None:
        raise ValueError("bad input")

    graph = {"input": ("input", 1), "a": (boom, "input"), "b": (value_error, "input")}
    with pytest.raises(RuntimeError):
        run_graph(None, graph, ["a"])
    with pytest.raises(ValueError):
        run_graph(None, graph, ["b"])
    assert run_graph(None, {"x": ("x", [1]), "y": (lambda x: x, "x")}, ["y"]) == [("x", [1])]


@pytest.fixture(scope="module")
def trained_rule_policy() -> Any:
    """The trained model's RulePolicy and domain."""
    from pathlib import Path

    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    model = Path(__file__).resolve().parents[1] / "models" / "sales-coach.tar.gz"
    if not model.exists():
        pytest.skip("no trained model: run `make train`")
    agent = Agent.load(str(model))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    (policy,) = [n._component for n in nodes if isinstance(n._component, RulePolicy)]
    return policy, agent.domain


def _same_rules_and_predictions(policy: Any, domain: Any, tracker: Any) -> int:
    """Ours and Rasa's possible keys (as ordered sets) for both lookups, and the prediction."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    from bot import rasa_speedups

    compared = 0
    for use_text in (True, False):
        states = policy._prediction_states(
            tracker, domain, use_text, rule_only_data=policy._get_rule_only_data()
        )
        for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
            ours = rasa_speedups.get_possible_keys(policy, lookup, states)
            rasas = rasa_speedups._get_possible_keys(policy, lookup, states)
            assert list(ours) == list(rasas)  # the same order: max() picks among equals by it
            compared += bool(rasas)
    saved = type(policy)._get_possible_keys
    try:
        type(policy)._get_possible_keys = rasa_speedups.get_possible_keys
        ours = policy.predict_action_probabilities(tracker, domain)
        type(policy)._get_possible_keys = rasa_speedups._get_possible_keys
        rasas = policy.predict_action_probabilities(tracker, domain)
    finally:
        type(policy)._get_possible_keys = saved
    assert (ours.probabilities, ours.events, ours.is_end_to_end_prediction) == (
        rasas.probabilities,
        rasas.events,
        rasas.is_end_to_end_prediction,
    )
    return compared


def test_rule_matching_is_rasas_at_every_step_of_every_story(
    story_trackers, trained_rule_policy
) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    policy, domain = trained_rule_policy
    _, trackers = story_trackers
    matched = steps = 0
    for story in trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)
        for event in story.events:
            tracker.update(event)
            if isinstance(event, (ActionExecuted, UserUttered)):
                matched += _same_rules_and_predictions(policy, domain, tracker)
                steps += 1
    assert steps > 1000
    assert matched > 300  # steps where some rule applied


def test_rule_matching_is_rasas_at_every_step_of_a_recorded_conversation(
    trained_rule_policy,
) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    policy, domain = trained_rule_policy
    recorded = json.loads(
        (PROJECT_DIR / "tests" / "fixtures" / "recorded_conversation.json").read_text()
    )
    tracker = DialogueStateTracker("rep", domain.slots)
    matched = 0
    settings = {"rule_only_data": policy._get_rule_only_data()}  # RulePolicy's
    for event in deserialise_events(recorded):
        tracker.update(event)
        matched += _same_rules_and_predictions(policy, domain, tracker)
        # the featurizer changed the states the predictions got, not the ones kept
        ours = states_for_tracker_history(domain, tracker, **settings)
        assert ours == _states_for_tracker_history(domain, tracker, **settings)
    assert matched > 100


def test_the_featurizers_changes_to_the_states_are_the_ones_this_was_written_against() -> None:
    """bot/rasa_speedups.py hands the other sub-states out shared: only the user sub-states
    may be changed by the featurizer. Read the new code before updating these digests."""
    import hashlib
    import inspect

    from rasa.core.featurizers.tracker_featurizers import (
        MaxHistoryTrackerFeaturizer,
        TrackerFeaturizer,
    )
    from rasa.core.policies.policy import Policy

    functions = {
        "prediction_states": MaxHistoryTrackerFeaturizer.prediction_states,
        "_choose_last_user_input": TrackerFeaturizer._choose_last_user_input,
        "_remove_user_text_if_intent": TrackerFeaturizer._remove_user_text_if_intent,
        "_prediction_states": Policy._prediction_states,
    }
    digests = {
        name: hashlib.sha256(inspect.getsource(f).encode()).hexdigest()[:16]
        for name, f in functions.items()
    }
    assert digests == {
        "prediction_states": "451caf09a389e871",
        "_choose_last_user_input": "0a4f5a414bf19fbb",
        "_remove_user_text_if_intent": "b0dc0d2430e6b41e",
        "_prediction_states": "ed9b82bed2f26ad7",
    }


def test_rasas_rule_matching_is_the_one_this_was_written_against() -> None:
    """bot/rasa_speedups.py indexes rules by what `_does_rule_match_state` and
    `_is_rule_applicable` require, and repeats `_get_possible_keys`' loop: read the new ones
    before updating this."""
    import hashlib
    import inspect

    from rasa.core.policies.rule_policy import RulePolicy

    from bot.rasa_speedups import _get_possible_keys

    sources = "".join(
        inspect.getsource(f)
        for f in (
            _get_possible_keys,
            RulePolicy._is_rule_applicable,
            RulePolicy._does_rule_match_state,
        )
    )
    assert hashlib.sha256(sources.encode()).hexdigest()[:16] == "6e091b30db788de1"


def test_rule_matching_is_rasas_late_in_a_long_session(trained_rule_policy) -> None:
    """The recorded conversation three times over in one session (its rules' states far older
    than the longest rule): the keys stop being checked once past that rule's length."""
    from rasa.shared.core.trackers import DialogueStateTracker

    policy, domain = trained_rule_policy
    recorded = json.loads(
        (PROJECT_DIR / "tests" / "fixtures" / "recorded_conversation.json").read_text()
    )
    events = [e for e in deserialise_events(recorded) if e.type_name != "session_started"]
    tracker = DialogueStateTracker("rep", domain.slots)
    matched = 0
    for event in events * 3:
        tracker.update(event)
        if isinstance(event, (ActionExecuted, UserUttered)):
            matched += _same_rules_and_predictions(policy, domain, tracker)
    assert matched > 300
    assert len(tracker.past_states(domain)) > 150


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 40, 200])
def test_a_set_rebuilt_until_its_order_holds_is_rasas_rebuilt_every_time(size) -> None:
    """`_rebuilt` against Rasa's loop with every rule applicable: the same keys, same order."""
    import random

    from bot.rasa_speedups import _rebuilt

    rng = random.Random(size)
    for _ in range(50):
        keys = {f"[{rng.random()}]" * rng.randint(1, 3) for _ in range(size)}
        # as Rasa's first filter leaves them: some keys dropped from a larger set
        keys = set(filter(lambda _key: rng.random() < 0.7, keys))
        times = rng.randint(1, 60)
        rasas = keys
        for _ in range(times):
            rasas = set(filter(lambda _key: True, rasas))
        assert list(_rebuilt(keys, times)) == list(rasas)


@pytest.fixture
def structlog_at() -> Any:
    """Rasa's structlog set up at a log level, as `rasa run` does; the loggers of the modules
    bot/rasa_speedups.py looks at made anew (structlog caches them on first use); all restored
    after."""
    import structlog
    from rasa.utils.log_utils import configure_structlog

    from bot.rasa_speedups import DEBUG_ONLY_COPY_MODULES

    saved_config = structlog.get_config()
    saved_loggers = [(module, module.structlogger) for module in DEBUG_ONLY_COPY_MODULES]

    def set_up(level: int) -> None:
        configure_structlog(level)
        for module, _ in saved_loggers:
            module.structlogger = structlog.get_logger()

    yield set_up
    structlog.configure(**saved_config)
    for module, logger in saved_loggers:
        module.structlogger = logger


def test_states_are_formatted_only_when_the_debug_message_is_logged(
    structlog_at, trained_rule_policy
) -> None:
    import logging

    from rasa.core.policies.policy import Policy
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_speedups import format_tracker_states

    policy, domain = trained_rule_policy
    tracker = DialogueStateTracker("rep", domain.slots)
    recorded = json.loads(
        (PROJECT_DIR / "tests" / "fixtures" / "recorded_conversation.json").read_text()
    )
    for event in deserialise_events(recorded)[:40]:
        tracker.update(event)
    states = policy._prediction_states(tracker, domain, False)
    formatted = Policy.format_tracker_states(states)
    assert formatted.count("\n") >= 10
    structlog_at(logging.DEBUG)
    assert format_tracker_states(states) == formatted
    structlog_at(logging.INFO)
    assert format_tracker_states(states) == ""
    # and Rasa's prediction is unchanged by it (the string only goes to that message)
    assert _same_rules_and_predictions(policy, domain, tracker) >= 0


def test_rasas_state_formatting_is_used_only_for_the_debug_message() -> None:
    """bot/rasa_speedups.py skips `format_tracker_states` when `_find_action_from_rules`'
    debug message is dropped: read the new ones (and every new caller) before updating this."""
    import hashlib
    import inspect
    from pathlib import Path

    import rasa
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    sources = inspect.getsource(RulePolicy._find_action_from_rules) + inspect.getsource(
        Policy.format_tracker_states
    )
    assert hashlib.sha256(sources.encode()).hexdigest()[:16] == "07760ab16e60ae26"
    uses = [
        path.name
        for path in Path(rasa.__file__).parent.rglob("*.py")
        for line in path.read_text().splitlines()
        if "format_tracker_states(" in line and "def " not in line
    ]
    assert uses == ["rule_policy.py"]


def test_rasas_debug_copies_are_made_only_when_the_message_is_logged(structlog_at) -> None:
    import logging

    import bot.nlg  # noqa: F401  # what the server imports: installs the fixes
    from bot.rasa_speedups import DEBUG_ONLY_COPY_MODULES

    value = {"events": [{"event": "slot", "name": "topic", "value": ["a", "b"]}]}
    for module in DEBUG_ONLY_COPY_MODULES:
        structlog_at(logging.INFO)  # `rasa run`'s default
        assert module.copy.deepcopy(value) is value
        structlog_at(logging.DEBUG)
        copied = module.copy.deepcopy(value)
        assert copied == value and copied is not value
        assert copied["events"][0]["value"] is not value["events"][0]["value"]
        assert module.copy.copy is copy.copy  # the rest is the real module


def test_rasas_only_uses_of_copy_there_are_for_debug_messages() -> None:
    """bot/rasa_speedups.py skips `copy.deepcopy` in these modules when debug messages are
    dropped: every use of `copy` in them must be `copy.deepcopy(...)` as a keyword argument
    of `structlogger.debug(...)`. Read any new use before changing this test."""
    import ast
    import inspect

    from bot.rasa_speedups import DEBUG_ONLY_COPY_MODULES

    for module in DEBUG_ONLY_COPY_MODULES:
        tree = ast.parse(inspect.getsource(module))
        in_debug: set[int] = set()
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "structlogger.debug"
                and all(isinstance(a, ast.Constant) for a in node.args)
            ):
                for keyword in node.keywords:
                    value = keyword.value
                    if isinstance(value, ast.Call) and ast.unparse(value.func) == "copy.deepcopy":
                        in_debug.add(id(value.func.value))
        uses = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "copy" and isinstance(node.ctx, ast.Load)
        ]
        assert uses, module.__name__
        assert all(id(node) in in_debug for node in uses), module.__name__


def test_the_rule_only_data_key_is_its_json_while_it_holds_the_same_data() -> None:
    from bot.rasa_speedups import _settings_key

    def rasas(data: dict[str, Any]) -> str:
        return json.dumps(data, sort_keys=True, default=str)

    data = {"slots": ["feedback", "deal_stage"], "loops": ["stalled_deal_form"]}
    assert _settings_key(data) == _settings_key(data) == rasas(data)
    data["loops"].append("readiness_form")  # the same dict, changed in place
    assert _settings_key(data) == rasas(data)
    other = {"slots": [], "loops": []}
    assert _settings_key(other) == rasas(other)
