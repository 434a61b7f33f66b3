"""A tracker's applied events, worked out once per event instead of once per call.

`DialogueStateTracker.applied_events` (Rasa 3.6.21) walks every event of the session twice on
each call (once for the loop names, once to drop reverted events), and the Rasa server calls it
many times per message: each prediction's dialogue states (bot/rasa_speedups.py), and twice
when a message checks its session (`_update_tracker_session`, `get_last_event_for`). At the end
of a 50-message session (about 500 events) a call took 2.3 ms on the loaded machine, about ten
milliseconds of every message, growing with the session (py-spy, messages 41-50 against 1-10).

Events are only ever appended to a tracker, and each step of Rasa's loop depends only on the
events before it and on the names of the session's loops. So the result is kept on the tracker
with how many events it covers, and a later call only walks the events added since. Rasa's own
walk runs again from the start when the events are no longer the ones counted (another deque,
fewer events, a different last one) or when a new event names a loop not seen before (Rasa's
loop names cover all events, so that can change how earlier events count). Each call returns
a new list, as Rasa's does. tests/test_applied_events.py compares it with Rasa's at every step
of every story and rule and of a recorded conversation, and fails if Rasa's function changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

_applied_events = DialogueStateTracker.applied_events  # Rasa's own
_ATTRIBUTE = "_sales_coach_applied"


@dataclass
class _Walked:
    """Rasa's walk, stopped after `count` events of `events`."""

    events: deque[Event]
    count: int = 0
    last: Event | None = None
    loop_names: set[str] = field(default_factory=set)
    applied: list[Event] = field(default_factory=list)


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """Drop-in for `DialogueStateTracker.applied_events`: the same events, walking only the
    events added since the last call on this tracker."""
    events = self.events
    walked: _Walked | None = self.__dict__.get(_ATTRIBUTE)
    total = len(events)
    if (
        walked is None
        or walked.events is not events
        or walked.count > total
        or (walked.count and events[walked.count - 1] is not walked.last)
    ):
        walked = _Walked(events)
    new = [events[index] for index in range(walked.count, total)]
    names = {e.name for e in new if isinstance(e, ActiveLoop) and e.name}
    if not names <= walked.loop_names:  # a new loop: earlier events may count differently
        walked = _Walked(events, loop_names=walked.loop_names | names)
        new = list(events)
    applied = walked.applied
    # the body of Rasa's loop (Rasa 3.6.21)
    for event in new:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in walked.loop_names
            and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    walked.applied, walked.count = applied, total
    walked.last = events[total - 1] if total else None
    self.__dict__[_ATTRIBUTE] = walked
    return list(applied)


def install() -> None:
    DialogueStateTracker.applied_events = applied_events
