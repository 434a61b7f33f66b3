"""The guards every channel shares (bot/channels/guard.py), with a stand-in for Rasa's handler."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import (
    MAX_LOG_CHARS,
    MAX_MESSAGE_CHARS,
    GuardLogFilter,
    checked_intent_syntax,
    checked_message,
    handle_guarded,
    sender_problem,
)

APOLOGY = {
    "en": "Sorry, I can't reach my knowledge base right now. Please try again in a minute.",
    "zh-Hant": "抱歉,我現在連不上知識庫。請過一分鐘再試一次。",
    "zh-Hans": "抱歉,我现在连不上知识库。请过一分钟再试一次。",
}


class Discard(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        pass


@pytest.fixture(autouse=True)
def guard_log_filter() -> Iterator[None]:
    """What GuardInput installs on the server's log handlers when it starts."""
    handler = Discard()
    handler.addFilter(GuardLogFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield
    root.removeHandler(handler)


def message(text: str, sender: str = "rest:me") -> tuple[UserMessage, CollectingOutputChannel]:
    output = CollectingOutputChannel()
    return UserMessage(text, output, sender, input_channel="rest"), output


def texts(output: CollectingOutputChannel) -> list[str]:
    return [m["text"] for m in output.messages]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how do I follow up?", "en"),
        ("跟進客戶要怎麼做", "zh-Hant"),
        ("跟进客户要怎么做", "zh-Hans"),
    ],
)
async def test_an_action_error_logged_by_rasa_gets_an_apology(text, language, caplog) -> None:
    async def rasa(msg: UserMessage) -> None:
        # what Rasa's processor does when the action server is down, then it goes on silently
        logging.getLogger("rasa.core.processor").error(
            "Encountered an exception while running action 'action_answer_topic'."
        )

    msg, output = message(text)
    await handle_guarded(rasa, msg)
    assert texts(output) == [APOLOGY[language]]
    assert "guard: apology sent to rest:me" in caplog.text


async def test_control_characters_are_taken_out_of_the_text_line_breaks_kept() -> None:
    seen: list[str] = []

    async def rasa(msg: UserMessage) -> None:
        seen.append(msg.text)

    msg, _ = message("what is drive\x00 and\x1b tenacity\x7f?\nthanks\tcoach")
    await handle_guarded(rasa, msg)
    assert seen == ["what is drive and tenacity?\nthanks\tcoach"]


async def test_an_exception_gets_an_apology() -> None:
    async def rasa(msg: UserMessage) -> None:
        raise RuntimeError("tracker store down")

    msg, output = message("hello")
    await handle_guarded(rasa, msg)
    assert texts(output) == [APOLOGY["en"]]


async def test_no_reply_in_time_gets_an_apology(monkeypatch) -> None:
    monkeypatch.setenv("SALES_COACH_REPLY_TIMEOUT", "0.2")

    async def rasa(msg: UserMessage) -> None:
        await asyncio.sleep(30)  # a hung action server: Rasa would wait 300 s

    msg, output = message("hello")
    await asyncio.wait_for(handle_guarded(rasa, msg), timeout=5)
    assert texts(output) == [APOLOGY["en"]]


async def test_an_error_in_one_conversation_does_not_touch_another() -> None:
    async def rasa(msg: UserMessage) -> None:
        await asyncio.sleep(0.05)
        if msg.sender_id == "rest:broken":
            logging.getLogger("rasa.core.processor").error("action failed")
        else:
            await msg.output_channel.send_response(msg.sender_id, {"text": "answer"})

    (broken, broken_out), (fine, fine_out) = message("x", "rest:broken"), message("x", "rest:ok")
    await asyncio.gather(handle_guarded(rasa, broken), handle_guarded(rasa, fine))
    assert texts(broken_out) == [APOLOGY["en"]]
    assert texts(fine_out) == ["answer"]


async def test_messages_of_one_conversation_are_handled_one_at_a_time_in_order() -> None:
    handled: list[str] = []
    running = 0

    async def rasa(msg: UserMessage) -> None:
        nonlocal running
        running += 1
        assert running == 1  # never two turns of one conversation at once
        await asyncio.sleep(0.01)
        handled.append(msg.text)
        running -= 1
        await msg.output_channel.send_response(msg.sender_id, {"text": msg.text})

    turns = [message(f"message {i}") for i in range(20)]
    await asyncio.gather(*(handle_guarded(rasa, msg) for msg, _ in turns))
    assert handled == [f"message {i}" for i in range(20)]
    assert all(texts(out) == [f"message {i}"] for i, (_, out) in enumerate(turns))


async def test_a_long_message_reaches_rasa_cut_after_a_note() -> None:
    seen: list[str] = []

    async def rasa(msg: UserMessage) -> None:
        seen.append(msg.text)
        await msg.output_channel.send_response(msg.sender_id, {"text": "answer"})

    msg, output = message("follow up " * 10_000)
    await handle_guarded(rasa, msg)
    assert MAX_MESSAGE_CHARS - 10 < len(seen[0]) <= MAX_MESSAGE_CHARS
    assert texts(output)[0].startswith("Your message was longer than 2,000 characters")
    assert texts(output)[1] == "answer"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ('/compare_roles{"role":"not_a_role"}', "/compare_roles"),
        ('/inform{"stage":"xyz"}', "/inform"),
        ('/switch_language{"script":"xx"}', "/switch_language"),
        ('/inform{"stage":"negotiation"}', '/inform{"stage":"negotiation"}'),
        (
            '/compare_roles{"role":["sales_manager","account_manager"]}',
            '/compare_roles{"role":["sales_manager","account_manager"]}',
        ),
        ('/compare_roles{"role":["sales_manager","boss"]}', "/compare_roles"),
        (
            '/inform{"stage":"negotiation","feedback":{"rating":"up"}}',
            '/inform{"stage":"negotiation"}',
        ),
        ('/ask_more{"stage": 1}', "/ask_more"),
        ("/inform{not json}", "/inform"),
        ("/feedback_positive@0.99", "/feedback_positive"),
        ("/not_an_intent", "not_an_intent"),
        ("/etc/passwd", "etc/passwd"),
        ("how do I follow up?", "how do I follow up?"),
    ],
)
def test_typed_intent_syntax_keeps_only_known_values(typed: str, expected: str) -> None:
    assert checked_intent_syntax(typed) == expected


@pytest.mark.parametrize(
    ("sender", "refused"),
    [("rest:me", False), ("sso:alice@example.com", False), ("", True), ("a\nb", True)],
)
def test_sender_ids_are_bounded(sender: str, refused: bool) -> None:
    assert (sender_problem(sender) is not None) is refused
    assert sender_problem("x" * 10_000) is not None


def test_the_answer_reference_of_a_feedback_button_goes_to_the_metadata() -> None:
    carried = '/feedback_positive{"answer_ref":"0123456789ab"}'
    assert checked_message(carried) == ("/feedback_positive", {"answer_ref": "0123456789ab"})
    # only a reference of the bot's own shape, only on feedback
    assert checked_message('/feedback_positive{"answer_ref":"x"}') == ("/feedback_positive", {})
    assert checked_message('/ask_more{"answer_ref":"0123456789ab"}') == ("/ask_more", {})


def test_a_crash_logged_with_its_traceback_is_cut_to_the_limit() -> None:
    """QA defect 7: Rasa logs a failed custom action with the traceback of the action server's
    error reply, which carries the whole request (the user's text, the tracker): an 8,776-character
    line. The message, the traceback and its last line (the exception) stay, within the limit."""
    request_body = json.dumps({"tracker": {"latest_message": {"text": "報價" * 3000}}})
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(GuardLogFilter())
    handler.addFilter(GuardLogFilter())  # a second handler's filter sees the same record
    logger = logging.getLogger("rasa.core.processor.test_cut")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            try:
                raise ValueError(f"500, message='Internal Server Error', body={request_body}")
            except ValueError as error:
                raise RuntimeError("Failed to execute custom action 'action_x'") from error
        except RuntimeError:
            logger.error("Encountered an exception while running action 'action_x'.", exc_info=True)
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert len(request_body) > 8000
    assert len(line) <= MAX_LOG_CHARS + 100
    assert line.startswith("Encountered an exception while running action 'action_x'.\nTraceback")
    assert line.rstrip().endswith("RuntimeError: Failed to execute custom action 'action_x'")
    assert "chars cut" in line


def test_a_short_traceback_is_logged_whole() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(GuardLogFilter())
    logger = logging.getLogger("rasa.core.processor.test_short")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise IndexError("tuple index out of range")
        except IndexError:
            logger.error("failed", exc_info=True)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().rstrip().endswith("IndexError: tuple index out of range")
    assert "cut" not in stream.getvalue()
