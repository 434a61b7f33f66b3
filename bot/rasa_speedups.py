"""Two fixes of Rasa 3.6's per-message cost, installed in the Rasa server by bot/nlg.py.

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
3. SQLite's commit. The default tracker store (endpoints.yml) is SQLite, which in its default
   journal mode syncs the disk on every commit: a quarter of the server's time under sequential
   load (py-spy). In WAL mode with `synchronous=NORMAL` a commit is a write to the log (18% of
   the time, and 874 -> 1082 messages in 30 s, same machine minutes apart); a crash or kill of
   the process loses nothing, a power cut or OS crash may lose the last commits (SQLite's
   documentation, "Write-Ahead Logging"). PostgreSQL (`make cluster`) is not touched.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.schemas.events import EVENT_SCHEMA
from sqlalchemy.engine import Engine


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


_HELD_OPEN: dict[str, sqlite3.Connection] = {}


def sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    """On each new SQLite connection of any SQLAlchemy engine in the process."""
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        path = cursor.execute("PRAGMA database_list").fetchone()[2]
        cursor.close()
        # SQLAlchemy 1.4 opens and closes a connection per session; closing the last one
        # would write the log back and sync the disk every time. One held open keeps the log.
        if path and path not in _HELD_OPEN:
            _HELD_OPEN[path] = sqlite3.connect(path, check_same_thread=False)


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
    if not sqlalchemy.event.contains(Engine, "connect", sqlite_write_ahead_log):
        sqlalchemy.event.listen(Engine, "connect", sqlite_write_ahead_log)
