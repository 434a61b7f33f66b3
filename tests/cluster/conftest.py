from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.tools import cluster


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports: replica and action server i listen on
    base + i, and a single free port's neighbour may be some connection's ephemeral port."""
    while True:
        base = free_port()
        sockets = [socket.socket() for _ in range(count)]
        try:
            for offset, sock in enumerate(sockets):
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()


@pytest.fixture
def settings(tmp_path: Path) -> cluster.Settings:
    """Two replicas on fixed test ports, run folder in the test's temporary directory."""
    return cluster.Settings.from_env(
        {
            "CLUSTER_RUN_DIR": str(tmp_path / "run" / "cluster"),
            "REPLICAS": "2",
            "RASA_PORT": "15105",
            "REPLICA_PORT": "15106",
            "CLUSTER_ACTIONS_PORT": "15156",
            "POSTGRES_PORT": str(free_port()),
            "REDIS_PORT": str(free_port()),
            "SALES_COACH_DB_PASSWORD": "db-secret-from-env",
            "SALES_COACH_REDIS_PASSWORD": "redis-secret-from-env",
        }
    )
