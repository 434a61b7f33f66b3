"""Fixes of Rasa 3.6's per-message cost, installed in the Rasa server by bot/nlg.py.

Every Rasa server of the project loads bot/nlg.py (endpoints.yml names it as the NLG), which
calls `install()`. Each fix gives exactly Rasa's results, faster (tests/test_rasa_speedups.py).

1. The check of every custom action's result. `RemoteAction._validate_action_result` calls
   `jsonschema.validate`, which checks the schema itself before each use; with jsonschema 4.17
   that was 83% of the Rasa server's CPU (RasaHQ/rasa#11717). Per call on a real answer
   (2.5 KB, 6 events; idle machine): Rasa as shipped 19.9 ms; jsonschema 3.2.0 pinned 2.8 ms;
   a validator compiled once 1.1 ms (with 3.2.0: 0.76 ms); fastjsonschema 1.7 ms; this 0.17 ms.
   It accepts exactly what Rasa's schema accepts: each event's `oneOf` alternative is chosen by
   its `event` name (every alternative fixes a different one, so at most one can match), and
   checked with validators compiled once from Rasa's own schemas. An invalid result raises
   `jsonschema.ValidationError` with Rasa's message, as before.
2. Finding an event's class by its name. `Event.resolve_by_type` walks every subclass of
   `Event` (`all_subclasses`, recursively, for each call), once per event each time a tracker
   is loaded: about a quarter of a message's time late in a long session. The classes do not
   change once Rasa is imported, so each name's class is remembered after the first walk.
3. (SQLite's commit: see `sqlite_journal_mode` in bot/tracker_store.py and endpoints.yml. A
   listener here set it on every SQLAlchemy engine, but Rasa builds the tracker store before
   the NLG that installs these fixes, so the store's pooled connection never had it.)
4. The dialogue states the policies look at. Each prediction (three or four per message) makes
   RulePolicy and MemoizationPolicy call `Domain.states_for_tracker_history`, which replays the
   whole session from its first event into a new tracker and builds a state before every
   action: 5-7 ms per call at the end of a 50-message session (loaded machine), growing with the
   session. Each state depends only on the events before it (and, when rule-only turns are
   ignored, on three loop variables carried from the steps before), so the states of a prefix of
   the applied events never change. Here they are kept on the tracker with the replayed tracker
   and the loop variables, and a later call on the same tracker (the next prediction; with
   bot/tracker_store.py, the next message) only replays the events added since. When the applied
   events no longer start with the ones replayed (a revert, a loop's happy path folded, another
   domain or settings), everything is rebuilt as Rasa does. Callers change the states they get
   (tracker_featurizers.py deletes keys of the user sub-states), so each call hands out fresh
   state dicts and user sub-states; the kept ones are never handed out.
   tests/test_rasa_speedups.py compares the states with Rasa's at every step of
   recorded conversations, and fails if Rasa's function changes.
5. The connection to the action server. `EndpointConfig.request` opens a new aiohttp
   `ClientSession` for every request (`async with self.session()`), so each custom action call
   built a session and a connector and made a new TCP connection, which the action server then
   accepted and set up: two or more per message. Here `EndpointConfig.session` hands out one
   session per endpoint and event loop, kept open (the same headers, auth and timeout), so
   calls reuse a kept-alive connection. Idle connections are dropped after 2 s, before the
   action server's own keep-alive (Sanic's 5 s) closes them, so a request never goes out on a
   connection the server is closing; a restarted action server is reached on a new connection
   (tests/security/test_failures.py). tests/test_rasa_speedups.py fails if Rasa's `session`
   or `request` change.
6. Running the model's graph. `DaskGraphRunner.run` hands the graph to dask's synchronous
   scheduler twice per message (the NLU, then each prediction), and dask's bookkeeping (futures,
   queues, dependency dicts per call) was 6% of the Rasa server's busy time under load (py-spy).
   Here the same graph (Rasa's own minimal schema and tasks) is run in the same thread by a
   plain depth-first walk: each node once, after the nodes it needs, with the same inputs and
   the same exceptions (a RuntimeError becomes Rasa's GraphRunError). tests/test_rasa_speedups.py
   compares its results with dask's on the trained model's graphs, and fails if Rasa's `run`
   changes.
7. Rule matching. For each prediction RulePolicy checks every one of its rules (207 here, and
   43 loop rules) against the current state before looking further back (9% of the server's
   busy time). A rule's last state can only match a state with the same previous action and
   intent when it names them, so the rules are indexed by those once, and only the few (at
   most 4 here) that can match are checked, in Rasa's order, the rest of Rasa's loop as it
   is: the same set, in the same order (which picks among equally long rules).
   tests/test_rasa_speedups.py compares keys and predictions at every step of every story,
   rule and the recorded conversation, and fails if Rasa's matching functions change.
   Rasa's loop then walks back over every state of the session; `_is_rule_applicable` is True
   for any rule once the walk is past its length, so the walk stops past the longest rule left
   (the set rebuilt as Rasa's loop rebuilds it, until its order holds): O(rule), not O(session).
8. The states formatted for a debug message. `_find_action_from_rules` formats every state of
   the session for a structlog debug message on every prediction, logged or not (`rasa run`
   logs at INFO). Formatted only when rule_policy's logger keeps debug messages; the checksum
   test fails if `_find_action_from_rules` or `format_tracker_states` change.
9. Copies made for debug messages. Rasa's processor, MemoizationPolicy and RulePolicy pass
   `copy.deepcopy(...)` of the message's events, the states and the slots to structlog debug
   messages, logged or not (a few per message, the states O(session)). In those three modules
   `copy` is used for nothing else, so their `copy` becomes one whose `deepcopy` hands the value
   over uncopied when the module's structlog logger drops debug messages (its `debug` is a
   no-op that reads nothing), and copies as Rasa does otherwise. tests/test_rasa_speedups.py
   fails if any other use of `copy` appears in those modules.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import types
import weakref
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import processor
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.policies import memoization, rule_policy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT
from rasa.shared.utils.schemas.events import EVENT_SCHEMA
from rasa.utils.endpoints import EndpointConfig

from bot import action_request, applied_events


def _compiled(schema: dict[str, Any]) -> Any:
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, here, instead of on every call
    return cls(schema)


_EVENT_BASE = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
_EVENT_VALIDATORS = {
    alternative["properties"]["event"]["const"]: _compiled({**_EVENT_BASE, "allOf": [alternative]})
    for alternative in EVENT_SCHEMA["oneOf"]
}
_RESULT_SCHEMA = RemoteAction.action_response_format_spec()
# The result without the per-event alternatives: events are objects with a string `event`.
_RESULT_VALIDATOR = _compiled(
    {
        **_RESULT_SCHEMA,
        "properties": {
            **_RESULT_SCHEMA["properties"],
            "events": {"type": "array", "items": _EVENT_BASE},
        },
    }
)


def validation_error(result: Any) -> ValidationError | None:
    """What is wrong with an action server's result, as Rasa's schema sees it; None if valid."""
    error = best_match(_RESULT_VALIDATOR.iter_errors(result))
    if error is not None:
        return error
    for event in result.get("events") or []:
        validator = _EVENT_VALIDATORS.get(event["event"])
        if validator is None:
            return ValidationError(f"{event['event']!r} is not an event Rasa knows", instance=event)
        error = best_match(validator.iter_errors(event))
        if error is not None:
            return error
    return None


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Drop-in for Rasa 3.6's method (same return value, same exception and message)."""
    error = validation_error(result)
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


_resolve_by_type = Event.resolve_by_type  # Rasa's own, kept for names not seen yet
_EVENT_CLASSES: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Drop-in for `Event.resolve_by_type`: the same class, found once per name."""
    found = _EVENT_CLASSES.get(type_name)
    if found is None:
        found = _resolve_by_type(type_name, default)
        if found is not None and found is not default:  # only Rasa's own answer is kept
            _EVENT_CLASSES[type_name] = found
    return found


_states_for_tracker_history = Domain.states_for_tracker_history  # Rasa's own
_STATES_ATTRIBUTE = "_sales_coach_states"


@dataclass
class _Replayed:
    """Rasa's loop in `states_for_tracker_history`, stopped after `applied`."""

    domain: Domain
    applied: list[Event]  # the applied events replayed so far
    tracker: DialogueStateTracker  # the prior tracker after them
    states: list[State] = field(default_factory=list)  # one per step before an ActionExecuted
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False

    def step(
        self,
        hide_rule_turn: bool,
        omit_unset_slots: bool,
        ignore_rule_only_turns: bool,
        rule_only_data: dict[str, Any] | None,
    ) -> None:
        """The body of Rasa's loop for the prior tracker `self.tracker` (Rasa 3.6.21)."""
        domain, tr = self.domain, self.tracker
        if ignore_rule_only_turns:
            if not self.turn_was_hidden:
                self.last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                self.turn_was_hidden = hide_rule_turn
            if self.turn_was_hidden:
                return
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if self.states:
                domain._substitute_rule_only_user_input(state, self.states[-1])
            if self.last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = self.last_ml_action_sub_state
        self.states.append(domain._clean_state(state))


def _copied(states: list[State]) -> list[State]:
    """What a caller may change of the kept states, copied: new state dicts, and new user
    sub-states (shared ones stay shared). The featurizer's `prediction_states` deletes keys
    of the user sub-states only (`_choose_last_user_input`, `_remove_user_text_if_intent`,
    guarded by a checksum test), so the other sub-states (previous action, slots, active
    loop; values are strings and tuples) are handed out shared: a third of the time of
    copying them all (0.32 -> 0.10 ms at 150 states, several calls per message)."""
    copies: dict[int, dict[str, Any]] = {}
    result = []
    for state in states:
        new = dict(state)
        user = state.get(USER)
        if user is not None:
            user_copy = copies.get(id(user))
            if user_copy is None:
                user_copy = copies[id(user)] = dict(user)
            new[USER] = user_copy
        result.append(new)
    return result


# the last rule-only data seen: (the dict, a deep copy of it, its key); the policies pass the
# same dict on every prediction
_LAST_RULE_ONLY_DATA: list[tuple[dict[str, Any], dict[str, Any], str]] = []


def _settings_key(rule_only_data: dict[str, Any]) -> str:
    """The rule-only data as part of a key of the kept states: its JSON, encoded once while
    the same dict still holds the same data (comparing is cheaper than encoding)."""
    if _LAST_RULE_ONLY_DATA:
        data, held, key = _LAST_RULE_ONLY_DATA[0]
        if data is rule_only_data and held == rule_only_data:
            return key
    key = json.dumps(rule_only_data, sort_keys=True, default=str)
    _LAST_RULE_ONLY_DATA[:] = [(rule_only_data, copy.deepcopy(rule_only_data), key)]
    return key


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Drop-in for `Domain.states_for_tracker_history`: the same states, replaying only the
    events added since the last call on this tracker."""
    settings = (
        omit_unset_slots,
        ignore_rule_only_turns,
        _settings_key(rule_only_data) if rule_only_data else None,
    )
    kept: dict[Any, _Replayed] = tracker.__dict__.setdefault(_STATES_ATTRIBUTE, {})
    applied = tracker.applied_events()
    replayed = kept.pop(settings, None)  # back only once it is whole again
    if (
        replayed is None
        or replayed.domain is not self
        or len(replayed.applied) > len(applied)
        or any(
            a is not b
            for a, b in zip(replayed.applied, applied[: len(replayed.applied)], strict=True)
        )
    ):
        replayed = _Replayed(self, [], tracker.init_copy())
    for event in applied[len(replayed.applied) :]:
        if isinstance(event, ActionExecuted):
            replayed.step(
                event.hide_rule_turn, omit_unset_slots, ignore_rule_only_turns, rule_only_data
            )
        replayed.tracker.update(event)
        replayed.applied.append(event)
    # the final state, of the tracker as it is now: computed, handed out, not kept
    carried = (len(replayed.states), replayed.last_ml_action_sub_state, replayed.turn_was_hidden)
    replayed.step(False, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    states = _copied(replayed.states)
    del replayed.states[carried[0] :]
    replayed.last_ml_action_sub_state, replayed.turn_was_hidden = carried[1], carried[2]
    kept[settings] = replayed
    return states


_session = EndpointConfig.session  # Rasa's own: a new ClientSession per call
# how long an idle connection to the action server is kept; below Sanic's keep-alive (5 s)
KEEP_ALIVE_SECONDS = 2.0


class _Kept:
    """What `async with endpoint.session() as session` gets: the kept session, not closed on
    exit (Rasa closes the session it opened for each request)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_exc: Any) -> None:
        return None


# per event loop, per endpoint: the session (the loop's entry goes when the loop does)
_SESSIONS: weakref.WeakKeyDictionary[Any, dict[int, tuple[EndpointConfig, Any]]] = (
    weakref.WeakKeyDictionary()
)


def session(self: EndpointConfig) -> Any:
    """Drop-in for `EndpointConfig.session` inside `async with`: one session per endpoint and
    event loop, Rasa's own settings, connections kept alive KEEP_ALIVE_SECONDS."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not in a loop: Rasa's own
        return _session(self)
    sessions = _SESSIONS.setdefault(loop, {})
    kept = sessions.get(id(self))
    if kept is None or kept[0] is not self or kept[1].closed:
        # Rasa's `session` (3.6.21), with a connector that drops idle connections sooner
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        made = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS),
        )
        kept = sessions[id(self)] = (self, made)
    return _Kept(kept[1])


_dask_run = DaskGraphRunner.run  # Rasa's own


def run_graph(self: DaskGraphRunner, graph: dict[str, Any], targets: list[str]) -> list[Any]:
    """What `dask.get(graph, targets)` returns for Rasa's graphs (`(node, *needed keys)` tasks;
    inputs as `(name, value)` tuples), computed depth-first in this thread."""
    results: dict[str, Any] = {}

    def value(key: str) -> Any:
        if key in results:
            return results[key]
        task = graph[key]
        if isinstance(task, tuple) and task and callable(task[0]):
            arguments = [value(a) if isinstance(a, str) and a in graph else a for a in task[1:]]
            results[key] = task[0](*arguments)
        else:  # an input: dask hands the tuple over as it is
            results[key] = task
        return results[key]

    return [value(target) for target in targets]


def graph_run(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """Drop-in for `DaskGraphRunner.run` (Rasa 3.6.21) without dask's scheduler."""
    run_targets = targets if targets else self._graph_schema.target_names
    minimal_schema = self._graph_schema.minimal_graph_schema(run_targets)
    graph = self._build_dask_graph(minimal_schema)
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    try:
        # each node returns (its name, its output), so this is Rasa's `dict(dask_result)`
        return dict(run_graph(self, graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


_get_possible_keys = RulePolicy._get_possible_keys  # Rasa's own
_ANY = object()  # an index entry for rules that any value of the feature may match


@dataclass
class _RuleIndex:
    """The rules of one lookup by what their last state requires of the conversation's
    current state: the previous action's name and the user's intent."""

    keys: dict[str, int]  # each rule key: its place in `set(lookup.keys())`, Rasa's order
    buckets: dict[tuple[Any, Any], list[str]]


def _required(rule_state: State, state_type: str, key: str) -> Any:
    """The value `_does_rule_match_state` requires the conversation's state to have for
    `key` (Rasa 3.6.21), or _ANY when the rule does not require one value."""
    value = (rule_state.get(state_type) or {}).get(key)
    if isinstance(value, list):
        value = tuple(value)
    if not value or value == SHOULD_NOT_BE_SET:
        return _ANY
    return value


def _rule_index(policy: RulePolicy, lookup: dict[str, str]) -> _RuleIndex:
    # Rasa builds `set(lookup.keys())` on every call: the same keys in the same order give a
    # set with the same order, which decides `max(rule_keys, key=len)` among equal lengths
    keys = {key: place for place, key in enumerate(set(lookup.keys()))}
    buckets: dict[tuple[Any, Any], list[str]] = {}
    for key in keys:
        rule_states = policy._rule_key_to_state(key)
        last = rule_states[-1] if rule_states else {}
        if not last.get(PREVIOUS_ACTION):  # a conversation start (or no state): check all
            wanted = (_ANY, _ANY)
        else:
            wanted = (
                _required(last, PREVIOUS_ACTION, ACTION_NAME),
                _required(last, USER, INTENT),
            )
        buckets.setdefault(wanted, []).append(key)
    return _RuleIndex(keys, buckets)


_RULE_INDEXES: weakref.WeakKeyDictionary[RulePolicy, dict[int, tuple[Any, _RuleIndex]]] = (
    weakref.WeakKeyDictionary()
)


def get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[State]) -> set[str]:
    """Drop-in for `RulePolicy._get_possible_keys`: the same set (same order), checking at the
    current state only the rules whose last state can match it, not every rule."""
    indexes = _RULE_INDEXES.setdefault(self, {})
    kept = indexes.get(id(lookup))
    # a lookup is fixed once trained; while training, RulePolicy changes it between calls
    if kept is None or kept[0] is not lookup or lookup.keys() != kept[1].keys.keys():
        kept = indexes[id(lookup)] = (lookup, _rule_index(self, lookup))
    index = kept[1]
    if not states or len(lookup) == 0:
        return _get_possible_keys(self, lookup, states)
    current = states[-1]
    action = (current.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    intent = (current.get(USER) or {}).get(INTENT)
    candidates: list[str] = []
    for wanted in ((_ANY, _ANY), (_ANY, intent), (action, _ANY), (action, intent)):
        candidates.extend(index.buckets.get(wanted, ()))
    candidates.sort(key=index.keys.__getitem__)
    # the rest is Rasa's loop; the first step filters the candidates in Rasa's order
    possible_keys = set(filter(lambda key: self._is_rule_applicable(key, 0, current), candidates))
    for i, state in enumerate(reversed(states)):
        if i == 0:
            continue
        if not possible_keys:
            break
        if i >= max(len(self._rule_key_to_state(key)) for key in possible_keys):
            # `_is_rule_applicable(key, i, ...)` is True once i reaches the rule's length:
            # from here on Rasa's loop keeps every key, only rebuilding the set
            return _rebuilt(possible_keys, len(states) - i)
        possible_keys = set(
            filter(lambda key: self._is_rule_applicable(key, i, state), possible_keys)  # noqa: B023
        )
    return possible_keys


def _rebuilt(keys: set[str], times: int) -> set[str]:
    """`set(filter(<always True>, keys))` done `times` times, as Rasa's loop does over the
    states older than every remaining rule: each rebuild adds the keys in the previous set's
    order, and that order decides `max(rule_keys, key=len)` among equally long rules. A rebuild
    depends only on that order, so once one gives the order it was given, all the rest do:
    usually after one, not once per state of the session."""
    for _ in range(times):
        rebuilt = set(iter(keys))
        if list(rebuilt) == list(keys):
            return rebuilt
        keys = rebuilt
    return keys


_format_tracker_states = Policy.format_tracker_states  # Rasa's own
# what a structlog logger filtering out debug messages has as its `debug` (its no-op)
_DEBUG_DROPPED = structlog.make_filtering_bound_logger(logging.CRITICAL).debug


def _debug_dropped(module: types.ModuleType = rule_policy) -> bool:
    """Whether a Rasa module's structlog logger drops debug messages (Rasa configures it with
    `make_filtering_bound_logger(<log level>)`; any other logger is assumed to keep them)."""
    # `bind()` gives the bound logger behind structlog's lazy proxy (cached after first use)
    return getattr(type(module.structlogger.bind()), "debug", None) is _DEBUG_DROPPED


def format_tracker_states(states: list[dict]) -> str:
    """Drop-in for `RulePolicy.format_tracker_states`, whose only use (`_find_action_from_rules`)
    is a debug message: formatted, as Rasa does, only when that message is logged. It formats
    every state of the session, on every prediction."""
    if _debug_dropped():
        return ""
    return _format_tracker_states(states)


class DebugOnlyCopy(types.ModuleType):
    """The `copy` module as a Rasa module that copies only for its debug messages sees it."""

    def __init__(self, module: types.ModuleType) -> None:
        super().__init__("copy")
        self._module = module

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if _debug_dropped(self._module):
            return value  # only for a debug message that is dropped unread
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


# the Rasa modules whose only use of `copy` is `copy.deepcopy(...)` in a structlog debug call
DEBUG_ONLY_COPY_MODULES = (processor, memoization, rule_policy)


def install() -> None:
    for module in DEBUG_ONLY_COPY_MODULES:
        if module.copy is copy:
            module.copy = DebugOnlyCopy(module)
    RulePolicy._get_possible_keys = get_possible_keys
    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
    Domain.states_for_tracker_history = states_for_tracker_history
    EndpointConfig.session = session
    DaskGraphRunner.run = graph_run
    action_request.install()  # the action server's request without the whole session
    applied_events.install()  # each event walked once, not on every call
