"""Time from a fresh clone to the first answer, as a new user gets it: `git clone` of this
repository's committed HEAD into a temporary folder, then the README's `make run` there (a new
.venv, the web widget, a training from scratch), until the REST channel answers "hi".

Package caches (pip, npm) are whatever this machine has: a first install on a new machine adds
its downloads. Uncommitted changes are not in the clone. Bounded: 20 minutes, then it stops
everything it started. Run by `make bench` (`--fresh-clone`) or alone:

    python -m bot.tools.fresh_clone
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bot.tools.bench import NOT_AN_ANSWER, PROJECT_DIR, free_port, stop_process_group

TIMEOUT = 1200.0
# What make passes to the commands it runs: a user's shell has none of it.
MAKE_VARIABLES = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "VIRTUAL_ENV")


def answer_texts(port: int, text: str) -> list[str]:
    """The texts of the bot's replies to `text` on the REST channel."""
    body = json.dumps({"sender": "fresh-clone", "message": text}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.load(response)
    return [reply.get("text", "") for reply in replies if isinstance(reply, dict)]


def wait_for_first_answer(
    port: int, process: subprocess.Popen, deadline: float, poll: float = 2.0
) -> list[str]:
    """Polls until the bot answers "hi" with a real reply (not empty, not the apology);
    fails when `make run` exits first or the deadline (time.monotonic) passes."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`make run` exited with {process.returncode} before answering")
        try:
            texts = answer_texts(port, "hi")
        except OSError:  # not listening yet (connection refused, or the model still loading)
            texts = []
        if any(t and t not in NOT_AN_ANSWER for t in texts):
            return texts
        time.sleep(poll)
    raise TimeoutError(f"no answer on port {port} before the deadline")


def first_answer_seconds(repo: Path = PROJECT_DIR, timeout: float = TIMEOUT) -> float:
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    with tempfile.TemporaryDirectory(prefix="sales-coach-fresh-") as tmp:
        clone, log_path = Path(tmp) / "sales-coach", Path(tmp) / "make-run.log"
        start = time.monotonic()
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True, env=env)
        port, actions_port = free_port(), free_port()
        while actions_port == port:
            actions_port = free_port()
        env.update(RASA_PORT=str(port), ACTIONS_PORT=str(actions_port))
        with log_path.open("w") as log:
            process = subprocess.Popen(
                ["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                wait_for_first_answer(port, process, start + timeout)
                return time.monotonic() - start
            except (RuntimeError, TimeoutError):
                print(log_path.read_text()[-3000:], file=sys.stderr)
                raise
            finally:
                stop_process_group(process)  # `make run` and the servers it started


def main() -> int:
    print(f"fresh clone to the first answer: {first_answer_seconds():.0f} s (target <= 360 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
