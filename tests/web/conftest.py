"""Real servers for the web tests: the action server and a Rasa server with the project's newest
model and the channels of credentials.yml, on free loopback ports, started as `make run` does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import pytest
import yaml
from playwright.sync_api import Browser, sync_playwright

from bot.tools.bench import stop_process_group

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 300
# The channels the widget needs, as credentials.yml must configure them for `make run`.
WEB_CHANNELS = {
    "bot.channels.web.WebChatSocketIOInput": {
        "user_message_evt": "user_uttered",
        "bot_message_evt": "bot_uttered",
        "session_persistence": True,
    },
    "bot.channels.web.WebChatInput": None,
}


def newest_model() -> Path | None:
    if os.environ.get("SALES_COACH_MODEL"):  # a model file to test instead of the newest
        return Path(os.environ["SALES_COACH_MODEL"])
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_until_up(
    url: str, process: subprocess.Popen, log: Path, ready: Callable[[dict], bool]
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if ready(get_json(url)):
                return
        except (OSError, ValueError):
            pass
        time.sleep(1)
    pytest.fail(f"{url} not ready after {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    stop_process_group(process, timeout=20)


class Servers:
    """The action server and a Rasa server; `restart_rasa()` restarts Rasa on the same port."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        model = newest_model()
        if model is None:
            pytest.skip("no trained model in models/ (run `make train`): the widget needs the bot")
        assert (ROOT / "web/vendor/socket.io.esm.min.js").is_file(), (
            "web/vendor is not built: run `npm ci && npm run build` in web/"
        )
        self.tmp, self.model = tmp, model
        self.env = {**os.environ, **env}
        self.rasa_port, self.actions_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.rasa_port}"
        endpoints_file = ROOT / "endpoints.yml"
        endpoints = yaml.safe_load(endpoints_file.read_text()) if endpoints_file.exists() else {}
        endpoints = endpoints or {}
        endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{self.actions_port}/webhook"
        # conversations in a store of the test's own, kept across a restart (as SQL is by default)
        endpoints["tracker_store"] = {
            "type": "sql",
            "dialect": "sqlite",
            "db": str(tmp / "trackers.db"),
        }
        (tmp / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        credentials = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
        missing = {name: block for name, block in WEB_CHANNELS.items() if name not in credentials}
        assert not missing, f"add to credentials.yml:\n{yaml.safe_dump(missing)}"
        assert "socketio" not in credentials, "socketio: and WebChatSocketIOInput share /socket.io/"
        (tmp / "credentials.yml").write_text(yaml.safe_dump(credentials))
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None
        self.restarts = 0

    def _start(self, args: list[str], log: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "rasa", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        log = self.tmp / "actions.log"
        self.actions = self._start(
            ["run", "actions", "--port", str(self.actions_port), "--actions", "actions"], log
        )
        self.start_rasa()
        wait_until_up(
            f"http://127.0.0.1:{self.actions_port}/health",
            self.actions,
            log,
            lambda body: body.get("status") == "ok",
        )
        self.wait_for_rasa()

    def start_rasa(self) -> None:
        # fmt: off
        self.rasa = self._start(
            [
                "run", "--enable-api", "--port", str(self.rasa_port), "--interface", "127.0.0.1",
                "--model", str(self.model), "--credentials", str(self.tmp / "credentials.yml"),
                "--endpoints", str(self.tmp / "endpoints.yml"),
            ],
            self.tmp / "rasa.log",
        )
        # fmt: on

    def wait_for_rasa(self) -> None:
        assert self.rasa is not None
        wait_until_up(
            f"{self.base}/status",
            self.rasa,
            self.tmp / "rasa.log",
            lambda body: bool(body.get("model_file")),
        )

    def stop_rasa(self) -> None:
        if self.rasa is not None:
            stop(self.rasa)

    def restart_rasa(self) -> None:
        self.stop_rasa()
        self.restarts += 1
        self.start_rasa()
        self.wait_for_rasa()

    def log(self) -> str:
        return (self.tmp / "rasa.log").read_text()

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            if process is not None:
                stop(process)


class Startable(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Startable)


class ServerPool(Generic[S]):
    """One set of servers per distinct environment, shared by the test modules that ask for it
    (each start loads the model: about a minute). `make` builds them (`Servers` here, run.sh's
    in tests/security) from a fresh folder and the environment."""

    def __init__(
        self,
        tmp_path_factory: pytest.TempPathFactory,
        make: Callable[[Path, dict[str, str]], S] = Servers,  # type: ignore[assignment]
        folder: str = "webchat",
    ) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.make = make
        self.folder = folder
        self.running: dict[tuple[tuple[str, str], ...], S] = {}

    def get(self, env: dict[str, str]) -> S:
        key = tuple(sorted(env.items()))
        if key not in self.running:
            servers = self.make(self.tmp_path_factory.mktemp(self.folder), env)
            self.running[key] = servers
            servers.start()
        return self.running[key]

    def stop(self) -> None:
        for servers in self.running.values():
            servers.stop()


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory)
    try:
        yield pool
    finally:
        pool.stop()


# The servers' settings when a test module sets none: no extra origin, anonymous sessions, no
# API token (so /report is off).
DEFAULT_ENV = {"CORS_ORIGINS": "", "SALES_COACH_JWT_KEY": "", "SALES_COACH_API_TOKEN": ""}


@pytest.fixture(scope="module")
def servers(server_pool: ServerPool, request) -> Servers:
    """The servers for this module's `SERVER_ENV` (DEFAULT_ENV when it sets none)."""
    return server_pool.get(getattr(request.module, "SERVER_ENV", DEFAULT_ENV))


@pytest.fixture(scope="module")
def server(servers: Servers) -> str:
    """Base URL of the Rasa server."""
    return servers.base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded one), driven by Playwright."""
    assert CHROMIUM.exists(), "Chromium is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
