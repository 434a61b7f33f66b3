"""The fresh-clone timer waits for a real answer, gives up on a dead `make run`, stops it all."""

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.tools.bench import NOT_AN_ANSWER, stop_process_group
from bot.tools.fresh_clone import wait_for_first_answer

APOLOGY = sorted(NOT_AN_ANSWER)[0]


class Bot:
    """A REST channel on loopback answering with the next of `replies` (the last one repeats)."""

    def __init__(self, replies: list[list[dict]]) -> None:
        self.replies, self.requests = replies, []
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                bot.requests.append(json.loads(body))
                reply = bot.replies[min(len(bot.requests), len(bot.replies)) - 1]
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def running() -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield process
    stop_process_group(process)


def start_bot(replies: list[list[dict]]) -> Iterator[Bot]:
    bot = Bot(replies)
    yield bot
    bot.server.shutdown()


@pytest.fixture
def answers_on_the_fourth_try() -> Iterator[Bot]:
    yield from start_bot([[], [{"text": APOLOGY}], [{"image": "x.png"}], [{"text": "Hi there!"}]])


@pytest.fixture
def never_answers() -> Iterator[Bot]:
    yield from start_bot([[]])


def test_waits_past_empty_replies_and_the_apology(answers_on_the_fourth_try, running) -> None:
    texts = wait_for_first_answer(
        answers_on_the_fourth_try.port, running, time.monotonic() + 10, poll=0.01
    )
    assert texts == ["Hi there!"]
    assert [r["message"] for r in answers_on_the_fourth_try.requests] == ["hi"] * 4


def test_a_port_nobody_listens_on_is_waited_for_until_the_deadline(running) -> None:
    with pytest.raises(TimeoutError):
        wait_for_first_answer(1, running, time.monotonic() + 0.3, poll=0.05)


def test_a_bot_that_never_answers_times_out(never_answers, running) -> None:
    with pytest.raises(TimeoutError):
        wait_for_first_answer(never_answers.port, running, time.monotonic() + 0.3, poll=0.05)
    assert len(never_answers.requests) >= 2


def test_make_run_exiting_first_is_an_error(answers_on_the_fourth_try) -> None:
    exited = subprocess.Popen(["false"])
    exited.wait()
    with pytest.raises(RuntimeError, match="exited with 1"):
        wait_for_first_answer(answers_on_the_fourth_try.port, exited, time.monotonic() + 10)
    assert answers_on_the_fourth_try.requests == []


def test_stop_ends_the_whole_process_group() -> None:
    # a shell with a child of its own, as `make run` starts run.sh and the servers
    process = subprocess.Popen(
        ["bash", "-c", "sleep 60 & echo $!; wait"], stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    child = int(process.stdout.readline())
    stop_process_group(process)
    assert process.returncode is not None
    time.sleep(0.2)
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(child)], capture_output=True, text=True)
    assert state.stdout.strip() in ("", "Z")  # gone (or a zombie waiting for init)
