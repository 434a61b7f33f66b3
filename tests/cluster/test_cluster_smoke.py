"""`make cluster` end to end, short: two replicas behind nginx on PostgreSQL and Redis; one is
killed and the conversation goes on at the other, context included. (`make soak` is the long
version, under load.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.tools import cluster

from .conftest import free_port, free_ports


@pytest.fixture(scope="module")
def running() -> Iterator[cluster.Settings]:
    base = Path(tempfile.mkdtemp(prefix="sales-coach-cluster-smoke-"))
    base.chmod(0o755)  # PostgreSQL runs as the postgres user and must enter it
    settings = cluster.Settings.from_env(
        {
            "CLUSTER_RUN_DIR": str(base / "cluster"),
            "CLUSTER_MODEL": os.environ.get("CLUSTER_MODEL", str(cluster.MODEL)),
            "REPLICAS": "2",
            "RASA_PORT": str(free_port()),
            "REPLICA_PORT": str(free_ports(2)),
            "CLUSTER_ACTIONS_PORT": str(free_ports(2)),
            "POSTGRES_PORT": str(free_port()),
            "REDIS_PORT": str(free_port()),
        }
    )
    try:
        cluster.start(settings)
        yield settings
    finally:
        cluster.stop(settings)
        shutil.rmtree(base, ignore_errors=True)


def say(settings: cluster.Settings, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{settings.url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def answer_ids(messages: list[dict]) -> list[str]:
    return [
        m["custom"]["sales_coach"]["id"]
        for m in messages
        if "sales_coach" in (m.get("custom") or {})
    ]


def test_a_conversation_survives_the_loss_of_its_replica(running: cluster.Settings) -> None:
    assert answer_ids(say(running, "smoke-1", "how do i follow up after sending samples")) == [
        "topic.follow_up"
    ]
    pids = cluster.replica_pids(running)
    assert len(pids) == 2 and all(cluster.alive(p) for p in pids)

    os.kill(pids[0], signal.SIGKILL)

    # Whichever replica had it, the other one answers, from the conversation in PostgreSQL.
    assert answer_ids(say(running, "smoke-1", "tell me more")) == ["topic.follow_up"]
    assert say(running, "smoke-1", "thanks")
    problems, checks = cluster.health(running, cluster.passwords(running))
    assert problems == [] and checks == [False, True]
    log = (running.log_dir / "nginx-access.log").read_text()
    assert f"upstream=127.0.0.1:{running.rasa_port(1)}" in log
