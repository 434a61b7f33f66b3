"""bot/action_request.py: the action server gets a bounded request and the actions answer as
they did with the whole session.

The conversations here go through Rasa's own `RemoteAction.run` (request, result validation,
events and bot messages) with the project's action server run in process (rasa-sdk's executor,
the request JSON-encoded and decoded as on the wire), each action once with Rasa's request and
once with ours, from the same tracker.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from rasa.core.actions.action import (
    ActionExecutionRejection,
    RemoteAction,
    action_for_name_or_text,
)
from rasa.core.actions.loops import LoopAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

import actions.common
from bot import action_request
from bot.action_request import (
    _action_call_format,
    _run_action,
    action_call_format,
    needed_events,
    run_action,
)
from bot.channels import guard
from tests.conftest import PROJECT_DIR

EXECUTOR = ActionExecutor()
EXECUTOR.register_package("actions")
# endpoints.yml's action endpoint settings but its URL (enable_selective_domain)
PROJECT_SETTINGS = {
    key: value
    for key, value in yaml.safe_load((PROJECT_DIR / "endpoints.yml").read_text())[
        "action_endpoint"
    ].items()
    if key != "url"
}


class InProcessActionServer(EndpointConfig):
    """The action endpoint, served by the project's actions in this process; keeps the size
    of each request it gets."""

    def __init__(self, **settings: Any) -> None:
        super().__init__("http://in-process/webhook", **settings)
        self.sizes: list[int] = []
        self.bodies: list[dict[str, Any]] = []

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        body = json.dumps(kwargs["json"])
        self.sizes.append(len(body))
        self.bodies.append(json.loads(body))
        return json.loads(json.dumps(await EXECUTOR.run(json.loads(body))))


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "domain.yml"))


@pytest.fixture
def fixed_refs(monkeypatch) -> Iterator[list[int]]:
    """Answer references from a counter (actions/common.py draws them at random), so that two
    runs of an action can be compared."""
    counter = [0]

    def uuid4() -> uuid.UUID:
        counter[0] += 1
        return uuid.UUID(int=counter[0] << 96)  # in the 12 characters a reference keeps

    monkeypatch.setattr(actions.common.uuid, "uuid4", uuid4)
    yield counter


def comparable(events: list[Event]) -> list[dict[str, Any]]:
    return [{**e.as_dict(), "timestamp": None} for e in events]


class Conversation:
    """A tracker driven as Rasa's processor drives it, every action run both ways."""

    def __init__(self, domain: Domain, refs: list[int]) -> None:
        self.domain = domain
        self.refs = refs
        self.tracker = DialogueStateTracker("rep", domain.slots)
        # Rasa's request, whole domain included, against ours with the project's settings
        self.servers = (InProcessActionServer(), InProcessActionServer(**PROJECT_SETTINGS))
        self.server = self.servers[1]
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.compared = 0

    def say(self, text: str, intent: str, metadata: dict[str, Any] | None = None) -> None:
        self.tracker.update(ActionExecuted("action_listen"))
        parse_data = {
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [],
            "text": text,
            "intent_ranking": [{"name": intent, "confidence": 1.0}],
        }
        self.tracker.update(
            UserUttered(text, parse_data["intent"], [], parse_data, metadata=metadata)
        )
        self.tracker.update(SlotSet("language", "en"))

    def run(self, name: str) -> list[Event]:
        """Runs `name` with Rasa's request and with ours; both must give the same events."""
        results, first_ref = [], self.refs[0]
        for call_format, server in zip(
            (_action_call_format, action_call_format), self.servers, strict=True
        ):
            self.refs[0] = first_ref  # the same references both times, new ones each action
            action = RemoteAction(name, server)
            action._action_call_format = call_format.__get__(action)  # type: ignore[method-assign]
            events = asyncio.run(
                action.run(CollectingOutputChannel(), self.nlg, self.tracker, self.domain)
            )
            results.append(events)
        assert comparable(results[1]) == comparable(results[0]), name
        self.compared += 1
        return results[1]

    def act(self, name: str) -> list[Event]:
        events = self.run(name)
        self.tracker.update(ActionExecuted(name))
        self.tracker.update_with_events(events, self.domain)
        return events


def sales_coach_answer(events: list[Event]) -> dict[str, Any]:
    bot = next(e for e in events if isinstance(e, BotUttered))
    return bot.data["custom"]["sales_coach"]


def test_a_long_session_keeps_the_request_small_and_the_answers_the_same(
    rasa_domain, fixed_refs
) -> None:
    talk = Conversation(rasa_domain, fixed_refs)
    talk.say("hi", "greet")
    talk.act("action_greet")
    talk.say("how do I follow up", "ask_follow_up")
    first = sales_coach_answer(talk.act("action_answer_topic"))
    for turn in range(40):  # 40 more answers and follow-ups
        talk.say("tell me more", "ask_more")
        talk.act("action_answer_in_context")
        talk.say("and drive?", "ask_drive")
        talk.act("action_answer_topic")
        if turn == 0:  # two user turns of answers in the window, as from now on
            early = talk.server.sizes[-1]
        if turn == 20:  # a misunderstanding, twice: the second time the topics are listed
            for _ in range(2):
                talk.say("blorp", "nlu_fallback")
                talk.act("action_clarify")
    late = talk.server.sizes[-1]
    # the last answers' request: the same size as early in the session (not 40 answers more)
    assert late < 1.3 * early and late < 10_000, (early, late)
    # a 👍 under the very first answer rates that answer, not the latest
    ref = first["ref"]
    talk.say("/feedback_positive", "feedback_positive", metadata={guard.ANSWER_REF: ref})
    events = talk.act("action_record_feedback")
    assert [e for e in events if isinstance(e, SlotSet)][0] == SlotSet(
        "feedback",
        {"rating": "up", "answer_id": "topic.follow_up", "entry_ids": first["entry_ids"]},
    )
    assert talk.server.sizes[-1] < 10_000
    # a reference in neither request: nothing is rated (actions/feedback.py), on both alike
    talk.say("/feedback_negative", "feedback_negative", metadata={guard.ANSWER_REF: "0" * 12})
    assert not [e for e in talk.act("action_record_feedback") if isinstance(e, SlotSet)]
    assert talk.compared == 2 + 80 + 2 + 2


def test_clarify_still_sees_its_own_previous_turn(rasa_domain, fixed_refs) -> None:
    talk = Conversation(rasa_domain, fixed_refs)
    talk.say("blorp", "nlu_fallback")
    talk.act("action_clarify")
    talk.say("blorp again", "nlu_fallback")
    # the second miss lists the topics (utter_help), from the events of the turn before
    bots = [e for e in talk.run("action_clarify") if isinstance(e, BotUttered)]
    assert [bot.metadata.get("utter_action") for bot in bots] == ["utter_help"]


def test_the_actions_answer_the_same_at_every_step_of_a_recorded_conversation(
    rasa_domain, fixed_refs
) -> None:
    """87 messages through the server (tests/fixtures/recorded_conversation.json): each custom
    action and form validation the server ran, run again on the tracker as it was then."""
    recorded = json.loads(
        (PROJECT_DIR / "tests" / "fixtures" / "recorded_conversation.json").read_text()
    )
    talk = Conversation(rasa_domain, fixed_refs)
    custom = set(EXECUTOR.actions)
    for event in deserialise_events(recorded):
        if isinstance(event, ActionExecuted) and event.action_name in custom:
            talk.run(event.action_name)
        if isinstance(event, ActionExecuted) and f"validate_{event.action_name}" in custom:
            talk.run(f"validate_{event.action_name}")
        talk.tracker.update(event)
    assert talk.compared > 50


def test_only_the_actions_that_read_the_domain_are_sent_it(rasa_domain, fixed_refs) -> None:
    """endpoints.yml's selective domain: 13 KB less per answer; the session start (slots to
    carry over) and the form validations (required slots) still get it."""
    assert PROJECT_SETTINGS["enable_selective_domain"] is True
    talk = Conversation(rasa_domain, fixed_refs)
    talk.act("action_session_start")
    talk.say("how do I follow up", "ask_follow_up")
    talk.act("action_answer_topic")
    talk.run("validate_feedback_form")
    rasas, ours = talk.servers
    assert ["domain" in body for body in rasas.bodies] == [True] * 3
    assert ["domain" in body for body in ours.bodies] == [True, False, True]
    assert ours.sizes[1] < rasas.sizes[1] - 10_000


def test_the_window_is_the_last_user_turns() -> None:
    tracker = DialogueStateTracker("rep", [])
    for event in [
        ActionExecuted("action_listen"),
        UserUttered("one"),
        ActionExecuted("action_greet"),
        ActionExecuted("action_listen"),
        UserUttered("two"),
        ActionExecuted("action_clarify"),
        ActionExecuted("action_listen"),
        UserUttered("three"),
    ]:
        tracker.update(event)
    assert [getattr(e, "text", None) or e.action_name for e in needed_events(tracker)] == [
        "two",
        "action_clarify",
        "action_listen",
        "three",
    ]
    assert action_request.USER_TURNS == 2


def test_the_answer_reference_is_the_one_the_channels_and_actions_use() -> None:
    assert action_request.ANSWER_REF == guard.ANSWER_REF == actions.common.ANSWER_REF


def test_installed_in_the_server_when_endpoints_yml_loads_our_nlg() -> None:
    import bot.nlg  # noqa: F401  (installs the fixes, as the server does)

    assert RemoteAction._action_call_format is action_call_format
    assert MessageProcessor._run_action is run_action


def test_rasas_request_function_is_the_one_this_was_written_against() -> None:
    """bot/action_request.py repeats `_action_call_format` with fewer events: read the new one
    before updating this."""
    import hashlib
    import inspect

    source = inspect.getsource(_action_call_format)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "428795b944f22edb"


def timeless(state: Any) -> Any:
    """A tracker state or request without its times (each run's events are logged anew)."""
    if isinstance(state, dict):
        times = ("timestamp", "latest_event_time")
        return {key: timeless(value) for key, value in state.items() if key not in times}
    if isinstance(state, list):
        return [timeless(value) for value in state]
    return state


def processor(domain: Domain) -> MessageProcessor:
    """What `_run_action` uses of a processor: its domain (no model is loaded)."""
    made = MessageProcessor.__new__(MessageProcessor)
    made.domain = domain
    return made


def test_actions_run_without_a_copy_leave_the_tracker_as_rasas_run(rasa_domain, fixed_refs) -> None:
    """The same conversation through Rasa's `_run_action` and ours, on two trackers."""
    talk = Conversation(rasa_domain, fixed_refs)  # Rasa's
    ours = DialogueStateTracker("rep", rasa_domain.slots)
    steps = [("hi", "greet", ["action_greet"]), ("how", "ask_follow_up", ["action_answer_topic"])]
    steps += [("more", "ask_more", ["action_answer_in_context", "utter_anything_else"])] * 3
    steps += [("blorp", "nlu_fallback", ["action_clarify"])] * 2
    run = processor(rasa_domain)
    for text, intent, names in steps:
        talk.say(text, intent)
        for event in list(talk.tracker.events)[len(ours.events) :]:
            ours.update(event)
        for index, name in enumerate([*names, "action_listen"]):
            action = action_for_name_or_text(name, rasa_domain, talk.server)
            first_ref, requests = fixed_refs[0], len(talk.server.bodies)
            for function, tracker in ((_run_action, talk.tracker), (run_action, ours)):
                fixed_refs[0] = first_ref
                # after a user message the ensemble adds this event to the prediction
                after_user = [DefinePrevUserUtteredFeaturization(False)] if index == 0 else []
                asyncio.run(
                    function(
                        run,
                        action,
                        tracker,
                        CollectingOutputChannel(),
                        talk.nlg,
                        PolicyPrediction([], "RulePolicy", events=after_user),
                    )
                )
            assert comparable(list(ours.events)) == comparable(list(talk.tracker.events))
            bodies = [timeless(body) for body in talk.server.bodies[requests:]]
            assert len(bodies) in (0, 2) and bodies[:1] == bodies[1:]  # the same request
            assert timeless(ours.current_state()) == timeless(talk.tracker.current_state())
    assert len(ours.events) > 40


class RejectedLoop(LoopAction):
    """A loop that changes the tracker it is given, then rejects."""

    def name(self) -> str:
        return "stalled_deal_form"

    async def run(self, output_channel, nlg, tracker, domain) -> list[Event]:  # type: ignore[override]
        tracker.update(SlotSet("deal_stage", "negotiation"))
        raise ActionExecutionRejection(self.name())


@pytest.mark.parametrize("function", [_run_action, run_action])
def test_a_rejected_loop_or_policy_events_still_leave_the_tracker_untouched(
    rasa_domain, function
) -> None:
    tracker = DialogueStateTracker("rep", rasa_domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    rejecting = RemoteAction("action_greet", InProcessActionServer())
    rejecting._action_call_format = lambda *_: (_ for _ in ()).throw(  # type: ignore[method-assign]
        ActionExecutionRejection("action_greet")
    )
    for action, policy_events in [
        (RejectedLoop(), []),
        (rejecting, [SlotSet("deal_stage", "negotiation")]),
        (rejecting, [DefinePrevUserUtteredFeaturization(False)]),
    ]:
        before = len(tracker.events)
        prediction = PolicyPrediction([], "RulePolicy", events=policy_events)
        asyncio.run(
            function(
                processor(rasa_domain), action, tracker, CollectingOutputChannel(), nlg, prediction
            )
        )
        assert tracker.get_slot("deal_stage") is None
        assert len(tracker.events) == before + 1
        assert isinstance(tracker.events[-1], ActionExecutionRejected)


def test_rasas_run_action_is_the_one_this_was_written_against() -> None:
    """bot/action_request.py repeats `_run_action` without the copy: read the new one before
    updating this."""
    import hashlib
    import inspect

    source = inspect.getsource(_run_action)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "6d383d0179ef1187"


def test_a_tracker_with_a_bounded_history_keeps_its_events(rasa_domain) -> None:
    """With `max_event_history`, adding the policy event for the run would push out the
    oldest event: such a tracker is copied, as Rasa does, and ends as Rasa's."""
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    trackers = []
    for function in (_run_action, run_action):
        tracker = DialogueStateTracker("rep", rasa_domain.slots, max_event_history=3)
        for event in [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"})]:
            tracker.update(event)
        prediction = PolicyPrediction(
            [], "RulePolicy", events=[DefinePrevUserUtteredFeaturization(False)]
        )
        action = action_for_name_or_text("utter_goodbye", rasa_domain, None)
        asyncio.run(
            function(
                processor(rasa_domain), action, tracker, CollectingOutputChannel(), nlg, prediction
            )
        )
        trackers.append(comparable(list(tracker.events)))
    assert trackers[0] == trackers[1]
    assert len(trackers[1]) == 3
