"""Issue 7, "Faults": every failure answers, and run.sh never leaves one server silent."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from tests.security.conftest import REPLY_TIMEOUT_S, RunSh, RunShPool, wait_for
from tests.security.test_access import ANSWERED, answered

APOLOGY = {
    "en": "Sorry, I can't reach my knowledge base right now.",
    "zh-Hant": "抱歉,我現在連不上知識庫。",
    "zh-Hans": "抱歉,我现在连不上知识库。",
}
QUESTIONS = {"en": ANSWERED, "zh-Hant": "跟進客戶要怎麼做", "zh-Hans": "跟进客户要怎么做"}


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


def test_action_server_down_gets_an_apology_then_it_is_restarted(app: RunSh) -> None:
    assert app.process is not None
    actions = app.child("run actions")
    os.kill(app.process.pid, signal.SIGSTOP)  # hold run.sh, so the action server stays down
    try:
        os.kill(actions, signal.SIGKILL)
        wait_for(lambda: refuses_connections(app.actions_port), 10, "action server down")
        for language, question in QUESTIONS.items():
            texts = app.texts(f"down-{language}", question)  # was 200 []
            assert texts[-1].startswith(APOLOGY[language]), texts
    finally:
        os.kill(app.process.pid, signal.SIGCONT)
    assert "ERROR    bot.channels.guard  - guard: apology sent to rest:down-en" in app.log()
    # run.sh restarts it, and the same conversation goes on
    wait_for(lambda: app.child_or_none("run actions") not in (None, actions), 30, "a restart")
    app.wait_until_answering()
    assert "The action server stopped (exit status 137): restarting it." in app.log()
    texts = app.texts("down-en", ANSWERED)
    assert any("Following up" in text for text in texts), texts


def test_a_hung_action_server_gets_an_apology_in_time(app: RunSh) -> None:
    actions = app.child("run actions")
    os.kill(actions, signal.SIGSTOP)
    try:
        started = time.monotonic()
        texts = app.texts("hung", ANSWERED)
        assert texts[-1].startswith(APOLOGY["en"]), texts
        assert time.monotonic() - started < REPLY_TIMEOUT_S + 10  # Rasa alone waits 300 s
    finally:
        os.kill(actions, signal.SIGCONT)
    answered(app, "hung")


@pytest.fixture
def disposable(run_sh_pool: RunShPool) -> RunSh:
    """A run.sh of its own: this test kills its Rasa server."""
    return run_sh_pool.get({"SALES_COACH_API_TOKEN": "", "CORS_ORIGINS": "", "TEST": "supervise"})


def test_when_the_rasa_server_dies_run_sh_stops_everything_and_says_so(
    disposable: RunSh,
) -> None:
    assert disposable.process is not None
    actions = disposable.child("run actions")
    os.kill(disposable.child("bot.tools.rasa_server"), signal.SIGKILL)
    assert disposable.process.wait(timeout=60) == 1
    assert "The Rasa server stopped (exit status 137): stopping the action server." in (
        disposable.log()
    )
    assert "Sales Coach stopped." in disposable.log()
    wait_for(lambda: not os.path.exists(f"/proc/{actions}"), 30, "the action server gone")
