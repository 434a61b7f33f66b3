"""The servers exactly as `make run` starts them: bot/tools/run.sh, on free loopback ports, with
the project's newest model and a SQLite tracker store of the test's own (so a test can read what
was stored). The helpers of tests/web/conftest.py are reused."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.web.conftest import ROOT, ServerPool, free_port, newest_model, stop, wait_until_up

TOKEN = f"test-{secrets.token_hex(16)}"
# No token, no extra origin: the defaults of `make run`.
DEFAULT_ENV = {"SALES_COACH_API_TOKEN": "", "CORS_ORIGINS": ""}
# The API on, and an origin list with a wildcard that must not be honoured.
TOKEN_ENV = {"SALES_COACH_API_TOKEN": TOKEN, "CORS_ORIGINS": "* https://intranet.example"}
# A hung action server must be answered long before Rasa's own 300 s.
REPLY_TIMEOUT_S = 10


class Response:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status, self.body, self.headers = status, body, headers

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    body: bytes | str | dict | list | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> Response:
    """Any status is returned, never raised."""
    if isinstance(body, (dict, list)) or body is None and method in ("PUT", "POST"):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Response(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read(), dict(error.headers))


class RunSh:
    """bot/tools/run.sh with `env`; its two servers are its children."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        model = newest_model()
        if model is None:
            pytest.skip("no trained model in models/ (run `make train`)")
        self.tmp = tmp
        self.rasa_port, self.actions_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.rasa_port}"
        self.rest = f"{self.base}/webhooks/rest/webhook"
        self.token = env.get("SALES_COACH_API_TOKEN", "")
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
        endpoints["tracker_store"] = {"type": "sql", "dialect": "sqlite", "db": str(tmp / "t.db")}
        (tmp / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        self.env = {
            **os.environ,
            **env,
            "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port),
            "SALES_COACH_MODEL": str(model),
            "SALES_COACH_ENDPOINTS": str(tmp / "endpoints.yml"),
            "SALES_COACH_REPLY_TIMEOUT": str(REPLY_TIMEOUT_S),
            "SALES_COACH_SESSION_SECRET": secrets.token_hex(16),
        }
        self.log_file = tmp / "run.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["bash", "bot/tools/run.sh"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_answering()
        # run.sh supervises once it has said so
        wait_for(lambda: "Sales Coach is running" in self.log(), 60, "run.sh ready")

    def wait_until_answering(self) -> None:
        assert self.process is not None
        for url in (f"{self.base}/webhooks/rest/", f"http://127.0.0.1:{self.actions_port}/health"):
            wait_until_up(url, self.process, self.log_file, lambda body: body.get("status") == "ok")

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def child(self, marker: str) -> int:
        """The pid of run.sh's child whose command line holds `marker`."""
        pid = self.child_or_none(marker)
        if pid is None:
            raise AssertionError(f"run.sh has no child running {marker!r}")
        return pid

    def child_or_none(self, marker: str) -> int | None:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except FileNotFoundError:
                continue
            if marker.encode() in cmdline:
                return int(pid)
        return None

    def say(self, sender: str, message: str, **headers: str) -> Response:
        return request(self.rest, {"sender": sender, "message": message}, headers=headers)

    def texts(self, sender: str, message: str) -> list[str]:
        response = self.say(sender, message)
        assert response.status == 200, response.body[:300]
        return [m.get("text", "") for m in response.json()]

    def tracker(self, conversation: str) -> dict[str, Any]:
        assert self.token, "reading a tracker needs the API token"
        # Rasa's token auth takes the token as ?token= (a Bearer header is read as a JWT)
        url = f"{self.base}/conversations/{conversation}/tracker?include_events=ALL"
        response = request(f"{url}&token={self.token}")
        assert response.status == 200, response.body[:300]
        return response.json()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


# One run.sh per distinct environment, shared by the modules that ask for it.
RunShPool = ServerPool[RunSh]


@pytest.fixture(scope="session")
def run_sh_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunShPool]:
    pool = RunShPool(tmp_path_factory, make=RunSh, folder="run-sh")
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture(scope="module")
def app(run_sh_pool: RunShPool) -> RunSh:
    """`make run`'s defaults: no API token, no extra origin."""
    return run_sh_pool.get(DEFAULT_ENV)


@pytest.fixture(scope="module")
def app_with_token(run_sh_pool: RunShPool) -> RunSh:
    """SALES_COACH_API_TOKEN set (the HTTP API on) and CORS_ORIGINS with a wildcard."""
    return run_sh_pool.get(TOKEN_ENV)


def resume(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)


def wait_for(condition: Any, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} not met within {timeout} s")
