"""Running an action without work that grows with the session: the request to the action
server (1) and the tracker copy made for each action (2).

1. The request.

`RemoteAction._action_call_format` (Rasa 3.6.21) sends `tracker.current_state(EventVerbosity.ALL)`:
every event of the session, for every custom action call. At the end of a 50-message session
that was about 300 KB of JSON built by the Rasa server and decoded by the action server for
each call, so every message cost more than the one before it.

What the actions read (actions/*.py, rasa-sdk) is the slots, the latest message, the active loop
(all sent as before, computed from the whole tracker) and, from the events:
- the latest user message (its metadata, its input channel; rasa-sdk),
- the slot candidates at the end of the events (rasa-sdk's `slots_to_validate`, for forms),
- the action the bot ran before the latest user message (actions/clarify.py),
- the answer whose 👍/👎 was clicked, found by the reference in the click's metadata
  (actions/feedback.py); it may be far back in the session.
So the request carries the events of the last USER_TURNS user turns and, for a click on an
older answer, that answer's bot event in front of them. Everything else is Rasa's own.
tests/test_action_request.py runs the actions on both requests at every step of recorded
conversations and fails if Rasa's replaced function changes.

2. The copy. `MessageProcessor._run_action` runs every action (action_listen too, two or three
per message) on `tracker.copy()`, which replays the whole session into a new tracker (1.2 ms
at 500 events on the loaded machine), so that the policy's events, and a loop's changes to the
tracker, can be dropped if the action is rejected. Only a loop changes the tracker it is given
(rasa/core/actions/forms.py; no other action, NLG or request does), and the only policy event
after a user message, `DefinePrevUserUtteredFeaturization`, changes nothing but the latest
message, an object the copy shares with the tracker. So an action that is not a loop, with no
other policy events, runs on the tracker itself, with those events added for the run and taken
off after it (Rasa logs them again with the action). Everything else is Rasa's function
(3.6.21); the test compares the two.
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import Action, ActionExecutionRejection, RemoteAction
from rasa.core.actions.loops import LoopAction
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.core.processor import logger as processor_logger
from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecutionRejected,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

# The current turn and the one before it: actions/clarify.py looks at what the bot did in reply
# to the previous message.
USER_TURNS = 2
# The answer reference a 👍/👎 click carries in its metadata (bot/channels/guard.py,
# actions/common.py).
ANSWER_REF = "answer_ref"

_action_call_format = RemoteAction._action_call_format  # Rasa's own


def answer_ref(event: Event) -> str | None:
    """The reference of a Sales Coach answer carried by a bot event, if it is one."""
    if not isinstance(event, BotUttered):
        return None
    custom = (event.data or {}).get("custom")
    answer = custom.get("sales_coach") if isinstance(custom, dict) else None
    return answer.get("ref") if isinstance(answer, dict) else None


def needed_events(tracker: DialogueStateTracker) -> list[Event]:
    """The events the actions read: the last USER_TURNS user turns, preceded by the answer a
    click refers to when it is older than them."""
    window: list[Event] = []
    users = 0
    older = reversed(tracker.events)
    for event in older:
        window.append(event)
        if isinstance(event, UserUttered):
            users += 1
            if users == USER_TURNS:
                break
    window.reverse()
    latest = tracker.latest_message
    ref = (latest.metadata or {}).get(ANSWER_REF) if latest else None
    if ref and not any(answer_ref(event) == ref for event in window):
        # only for a click on an older answer: `older` goes on back through the session
        for event in older:
            if answer_ref(event) == ref:
                return [event, *window]
    return window


def action_call_format(
    self: RemoteAction, tracker: DialogueStateTracker, domain: Domain
) -> dict[str, Any]:
    """Drop-in for `RemoteAction._action_call_format` (Rasa 3.6.21): the same request, with
    only the events the actions read."""
    tracker_state = tracker.current_state(EventVerbosity.NONE)  # all but the events
    tracker_state["events"] = [event.as_dict() for event in needed_events(tracker)]
    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker_state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(
        self.name()
    ):
        result["domain"] = domain.as_dict()
    return result


_run_action = MessageProcessor._run_action  # Rasa's own


async def run_action(
    self: MessageProcessor,
    action: Action,
    tracker: DialogueStateTracker,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    prediction: PolicyPrediction,
) -> bool:
    """Drop-in for `MessageProcessor._run_action` (Rasa 3.6.21): the tracker is copied only
    when the copy could differ from it."""
    count = len(tracker.events)
    try:
        if (
            isinstance(action, LoopAction)
            or not all(isinstance(e, DefinePrevUserUtteredFeaturization) for e in prediction.events)
            or (prediction.events and tracker.events.maxlen is not None)  # could drop old ones
        ):
            # Rasa's: the policy events, or a loop's changes, are dropped on a rejection
            temporary_tracker = tracker.copy()
            temporary_tracker.update_with_events(prediction.events, self.domain)
        else:
            # the event the ensemble adds after a user message only marks the latest message,
            # an object the copy shares; it is taken off again below, as the copy is dropped
            temporary_tracker = tracker
            tracker.update_with_events(prediction.events, self.domain)
        try:
            events = await action.run(output_channel, nlg, temporary_tracker, self.domain)
        finally:
            if temporary_tracker is tracker:
                while len(tracker.events) > count:
                    tracker.events.pop()
    except ActionExecutionRejection:
        events = [
            ActionExecutionRejected(
                action.name(), prediction.policy_name, prediction.max_confidence
            )
        ]
        tracker.update(events[0])
        return self.should_predict_another_action(action.name())
    except Exception:
        processor_logger.exception(
            f"Encountered an exception while running action '{action.name()}'."
            "Bot will continue, but the actions events are lost. "
            "Please check the logs of your action server for "
            "more information."
        )
        events = []

    self._log_action_on_tracker(tracker, action, events, prediction)

    if any(isinstance(e, UserUttered) for e in events):
        processor_logger.debug(
            f"A `UserUttered` event was returned by executing "
            f"action '{action.name()}'. This will run the default action "
            f"'{ACTION_EXTRACT_SLOTS}'."
        )
        tracker = await self.run_action_extract_slots(output_channel, tracker)

    if action.name() != ACTION_LISTEN_NAME and not action.name().startswith(UTTER_PREFIX):
        self._log_slots(tracker)

    await self.execute_side_effects(events, tracker, output_channel)

    return self.should_predict_another_action(action.name())


def install() -> None:
    RemoteAction._action_call_format = action_call_format
    MessageProcessor._run_action = run_action
