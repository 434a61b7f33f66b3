"""Input guards shared by every channel, and the server-wide request rules.

``guard(on_new_message)`` wraps the handler Rasa gives a channel's blueprint. Each user message
then goes through the same checks, whichever channel brought it:

- the sender id is bounded (length, no control characters); channels refuse bad ones earlier
  with their own status code, this is the last line;
- the text is cut to ``MAX_MESSAGE_CHARS`` before NLU (DIET's attention grows with the square
  of the token count: 40 KB took 15 s and 5.5 GB, 100 KB killed the server) and the user is told,
  in their language, that only the start was read;
- Rasa's intent syntax typed by a user (``/inform{"stage":"xyz"}``) keeps only known intents and
  entity values; anything else is dropped with a log line, so it never reaches an action or a
  slot;
- messages of one conversation queue in arrival order in this process (Rasa's lock store polls
  once a second and drops a waiting message after ``TICKET_LOCK_LIFETIME``, 60 s);
- a turn that raises, times out (``SALES_COACH_REPLY_TIMEOUT`` seconds) or during which Rasa
  logs an error (the action server is down or an action failed: Rasa logs it and goes on
  silently, the user got ``[]``) gets a short apology in the user's language and an error line.

``GuardInput`` (credentials.yml: ``bot.channels.guard.GuardInput:``) takes no messages; it sets
the request body limit, trims long log lines, and refuses the HTTP API's routes that load,
unload, train or test a model (``PUT /model`` fetches any URL given in ``model_server``) or post
into a channel (``?output_channel=``), even with the API token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.knowledge.base import user_terms
from bot.language import detect_language
from bot.rendering.strings import text as ui_text

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[2]
MAX_MESSAGE_CHARS = 2000
# Slack's own limit is about 40,000 characters; its event body carries the text twice (text and
# blocks), UTF-8. Anything larger is refused by Sanic with 413 before it is read in full.
MAX_BODY_BYTES = 512 * 1024
MAX_SENDER_CHARS = 256
MAX_LOG_CHARS = 1000
REPLY_TIMEOUT_ENV = "SALES_COACH_REPLY_TIMEOUT"
DEFAULT_REPLY_TIMEOUT_S = 60.0
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# in a message's text: every control character but line breaks and tabs, which people type
INVISIBLE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TYPED_INTENT = re.compile(r"^/([A-Za-z_][\w-]*)(\{.*\})?(@[0-9.]+)?$", re.DOTALL)
ANSWER_REF = "answer_ref"
ANSWER_REF_ENTITY = re.compile(r'"answer_ref"\s*:\s*"([0-9a-f]{12})"\s*,?')
# Entities Rasa's own syntax may carry, with their values: terms.yml's and the detector's.
LANGUAGE_VALUES = ("en", "zh-Hans", "zh-Hant", "zh")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

# The errors Rasa logged during the current turn (a context variable: each turn is its own
# task, so concurrent conversations do not see each other's).
_turn_errors: ContextVar[list[str] | None] = ContextVar("sales_coach_turn_errors", default=None)

# The Sanic app of this server (its agent): the conversation's language for the bot's notes. Set by
# GuardInput when the server starts (without it the message's text decides).
_server: dict[str, Any] = {}


def sender_problem(sender_id: Any) -> str | None:
    """Why a sender id is refused, or None."""
    if not isinstance(sender_id, str) or not sender_id.strip():
        return "missing"
    if len(sender_id) > MAX_SENDER_CHARS:
        return f"longer than {MAX_SENDER_CHARS} characters"
    if CONTROL_CHARS.search(sender_id):
        return "control characters"
    return None


def clip(value: Any, limit: int = 100) -> str:
    """`value` as a short, single-line repr for a log line."""
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}… ({len(shown)} chars)"


@lru_cache(maxsize=1)
def known_intents() -> frozenset[str]:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8")) or {}
    names = [next(iter(i)) if isinstance(i, dict) else i for i in domain.get("intents", [])]
    return frozenset(names) | {"restart", "session_start", "nlu_fallback"}


@lru_cache(maxsize=1)
def known_entity_values() -> dict[str, frozenset[str]]:
    values = {entity: frozenset(by_value) for entity, by_value in user_terms().items()}
    values["language"] = frozenset(LANGUAGE_VALUES)
    return values


def checked_intent_syntax(text: str, sender_id: str = "") -> str:
    """``text`` with Rasa's intent syntax reduced to known intents and entity values.

    An unknown intent goes to NLU as plain text (without the slash); entities that are not known,
    or whose value is not one of theirs, are dropped, and so is a typed confidence."""
    return checked_message(text, sender_id)[0]


def checked_message(text: str, sender_id: str = "") -> tuple[str, dict[str, str]]:
    """``checked_intent_syntax`` and the metadata the syntax carried: an answer reference of the
    bot's own 👍/👎 buttons (not a domain entity: Rasa would drop it) goes to the metadata."""
    meta: dict[str, str] = {}
    match = ANSWER_REF_ENTITY.search(text) if text.startswith("/feedback_") else None
    if match:
        meta[ANSWER_REF] = match.group(1)
        text = text[: match.start()] + text[match.end() :]
        text = re.sub(r"\{\s*,?\s*\}$", "", text).replace("{,", "{")
    return _checked_intent_syntax(text, sender_id), meta


def _checked_intent_syntax(text: str, sender_id: str) -> str:
    if not text.startswith("/"):
        return text
    match = TYPED_INTENT.match(text.strip())
    if match is None or match.group(1) not in known_intents():
        logger.warning(f"typed intent syntax from {clip(sender_id, 60)} refused: {clip(text)}")
        return text.lstrip("/") or text
    intent, raw_entities = match.group(1), match.group(2)
    if not raw_entities:
        return f"/{intent}"
    try:
        entities = json.loads(raw_entities)
    except ValueError:
        entities = None
    if not isinstance(entities, dict):
        logger.warning(f"typed entities from {clip(sender_id, 60)} dropped: {clip(raw_entities)}")
        return f"/{intent}"
    known = known_entity_values()
    kept: dict[str, Any] = {}
    for name, value in entities.items():
        values = value if isinstance(value, list) else [value]
        allowed = known.get(name)
        if allowed and values and all(isinstance(v, str) and v in allowed for v in values):
            kept[name] = value
        else:
            logger.warning(
                f"typed entity {clip(name, 40)}={clip(value, 60)} from {clip(sender_id, 60)} "
                "dropped: not a known value"
            )
    if not kept:
        return f"/{intent}"
    return f"/{intent}{json.dumps(kept, ensure_ascii=False, separators=(',', ':'))}"


async def conversation_language(sender_id: str, text: str) -> str:
    """``en``, ``zh-Hans`` or ``zh-Hant`` for the bot's own notes: the user's chosen language,
    else the message's, else the conversation's, else English."""
    slots: dict[str, Any] = {}
    app = _server.get("app")
    agent = getattr(app.ctx, "agent", None) if app is not None else None
    if agent is not None and getattr(agent, "tracker_store", None) is not None:
        try:
            tracker = await agent.tracker_store.retrieve(sender_id)
            if tracker is not None:
                slots = {k: tracker.get_slot(k) for k in ("language_preference", "language")}
        except Exception:  # the note must go out even when the store is down
            logger.exception("guard: could not read the conversation's language")
    language = (
        slots.get("language_preference") or detect_language(text) or slots.get("language") or "en"
    )
    if language == "zh":
        language = slots.get("language") if slots.get("language") != "zh" else None
        language = language or "zh-Hant"
    return language if language in ("en", "zh-Hans", "zh-Hant") else "en"


class SenderQueues:
    """One FIFO lock per conversation, dropped when nobody waits on it."""

    def __init__(self) -> None:
        self.locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, sender_id: str) -> AsyncIterator[None]:
        lock, users = self.locks.get(sender_id, (asyncio.Lock(), 0))
        self.locks[sender_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self.locks[sender_id]
            if users <= 1:
                del self.locks[sender_id]
            else:
                self.locks[sender_id] = (lock, users - 1)


QUEUES = SenderQueues()


def reply_timeout() -> float:
    try:
        return float(os.environ.get(REPLY_TIMEOUT_ENV) or DEFAULT_REPLY_TIMEOUT_S)
    except ValueError:
        return DEFAULT_REPLY_TIMEOUT_S


async def handle_guarded(on_new_message: OnNewMessage, message: UserMessage) -> None:
    """Checks, queues and answers one user message (see the module's docstring)."""
    sender_id = message.sender_id
    problem = sender_problem(sender_id)
    if problem:
        logger.warning(f"message with a bad sender id ({problem}) dropped: {clip(sender_id, 60)}")
        return
    text = message.text if isinstance(message.text, str) else ""
    too_long = len(text) > MAX_MESSAGE_CHARS
    if too_long:
        logger.info(f"message of {len(text)} characters from {sender_id} cut to the first 2,000")
        text = text[:MAX_MESSAGE_CHARS]
    # a NUL kept in the store made the trainers' report a binary file to grep
    text, carried = checked_message(INVISIBLE_CONTROL.sub("", text), sender_id)
    output = message.output_channel
    guarded = UserMessage(
        text,
        output,
        sender_id,
        input_channel=message.input_channel,
        message_id=message.message_id,
        metadata={**(message.metadata or {}), **carried} or None,
    )
    async with QUEUES.turn(sender_id):
        if too_long:
            language = await conversation_language(sender_id, text)
            note = ui_text("input_too_long", language, limit=f"{MAX_MESSAGE_CHARS:,}")
            await output.send_text_message(sender_id, note)
        errors: list[str] = []
        turn = _turn_errors.set(errors)
        failure = None
        try:
            await asyncio.wait_for(on_new_message(guarded), timeout=reply_timeout())
        except asyncio.TimeoutError:
            failure = f"no reply within {reply_timeout():g} s"
        except Exception as error:  # every failure gets an answer; the trace goes to the log
            logger.exception(f"guard: the turn of {sender_id} failed")
            failure = f"{type(error).__name__}"
        finally:
            _turn_errors.reset(turn)
        if failure is None and errors:
            failure = f"Rasa logged: {errors[0]}"
        if failure:
            logger.error(f"guard: apology sent to {sender_id}: {failure}")
            language = await conversation_language(sender_id, text)
            await output.send_text_message(sender_id, ui_text("service_unavailable", language))


def guard(on_new_message: OnNewMessage) -> OnNewMessage:
    """``on_new_message`` behind the guards."""

    async def guarded(message: UserMessage) -> None:
        await handle_guarded(on_new_message, message)

    return guarded


_CUT = "sales_coach_cut"


def _cut_middle(text: str, limit: int) -> str:
    """`text` within about `limit` characters: its start and its end (a traceback's last line
    names the exception), the length of what was dropped between them."""
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[: limit - tail]}… ({len(text) - limit} chars cut) …{text[-tail:]}"


class GuardLogFilter(logging.Filter):
    """Cuts log records to ``MAX_LOG_CHARS``, their traceback included (a message is never
    repeated whole in the log: an action server's error reply carries the whole request, the
    user's text and tracker, into the traceback of Rasa's error), and notes Rasa's errors
    against the turn being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            # formatted here, as a Formatter would, so that the cut text is what it prints
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        extra = (record.exc_text or "") + (record.stack_info or "")
        # each handler's filter sees the same record: cut it once
        if len(message) + len(extra) > MAX_LOG_CHARS and not getattr(record, _CUT, False):
            setattr(record, _CUT, True)
            # the message first, the traceback in what is left (at least half)
            keep = min(len(message), max(MAX_LOG_CHARS // 2, MAX_LOG_CHARS - len(extra)))
            if len(message) > keep:
                record.msg = f"{message[:keep]}… ({len(message)} chars)"
                record.args = None
            room = MAX_LOG_CHARS - keep
            if record.exc_text:
                record.exc_text = _cut_middle(record.exc_text, room)
                room = 0
            if record.stack_info:
                # kept only when no traceback took the room: it repeats where the record was made
                record.stack_info = _cut_middle(record.stack_info, room) if room else None
        errors = _turn_errors.get()
        if errors is not None and record.levelno >= logging.ERROR and record.name != __name__:
            errors.append(f"{record.name}: {message[:200]}")
        return True


def install_log_filter() -> None:
    """On the root logger's handlers, which every record of every logger reaches."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, GuardLogFilter) for f in handler.filters):
            handler.addFilter(GuardLogFilter())


# The HTTP API's routes no client may use, even with the token: they load, unload, train or
# test a model (loading fetches a client-given URL; unloading silences every chat).
REFUSED_ROUTES = (
    ("PUT", re.compile(r"^/model/?$")),
    ("DELETE", re.compile(r"^/model/?$")),
    ("POST", re.compile(r"^/model/(train|test/.*)/?$")),
)


def refusal(request: Request) -> HTTPResponse | None:
    for method, path in REFUSED_ROUTES:
        if request.method == method and path.match(request.path):
            logger.warning(f"refused {request.method} {request.path} from {request.ip}")
            return response.json(
                {"status": "failure", "reason": "NotAllowed", "message": "This route is off."},
                status=403,
            )
    if request.path.startswith("/conversations/") and "output_channel" in request.args:
        logger.warning(f"refused output_channel on {request.method} {request.path[:100]}")
        return response.json(
            {
                "status": "failure",
                "reason": "NotAllowed",
                "message": "Posting into a channel through the API is off.",
            },
            status=403,
        )
    return None


class GuardInput(InputChannel):
    """Server-wide rules (see the module's docstring); takes no messages."""

    @classmethod
    def name(cls) -> str:
        return "guard"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint("sales_coach_guard", __name__)

        @bp.listener("before_server_start")
        async def configure(app: Any, _loop: Any) -> None:
            # read by each new connection, so it holds from the first request
            app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
            # app-wide (a blueprint's own middleware would see only its routes); Sanic looks
            # the list up on each request
            app.register_middleware(refuse_routes, "request")
            install_log_filter()
            _server["app"] = app  # its agent is loaded by a later listener

        return bp


async def refuse_routes(request: Request) -> HTTPResponse | None:
    return refusal(request)
