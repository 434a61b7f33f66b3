"""The generated cluster configs: nginx accepts them, Rasa loads the endpoints, no secret leaks."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from rasa.core.utils import AvailableEndpoints

from bot.tools import cluster

PASSWORDS = {
    "SALES_COACH_DB_PASSWORD": "db-secret-from-env",
    "SALES_COACH_REDIS_PASSWORD": "redis-secret-from-env",
}


def nginx_test(conf: Path, prefix: Path) -> subprocess.CompletedProcess:
    prefix.mkdir(parents=True, exist_ok=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.run(
        [nginx, "-t", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
    )


def test_nginx_accepts_the_generated_config(settings: cluster.Settings) -> None:
    cluster.write_configs(settings, settings.run_dir, PASSWORDS)
    result = nginx_test(settings.run_dir / "nginx.conf", settings.run_dir / "nginx")
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_config_with_a_replica_down_is_valid_and_skips_it(
    settings: cluster.Settings,
) -> None:
    cluster.write_configs(settings, settings.run_dir, PASSWORDS)
    conf = settings.run_dir / "nginx.conf"
    conf.write_text(cluster.nginx_conf(settings, down={1}))
    assert nginx_test(conf, settings.run_dir / "nginx").returncode == 0
    servers = re.findall(r"server (127\.0\.0\.1:\d+) [^;]*?( down)?;", conf.read_text())
    # Both upstreams (round robin and socket.io) list both replicas; only 15107 is down.
    assert servers == [
        ("127.0.0.1:15106", ""),
        ("127.0.0.1:15107", " down"),
        ("127.0.0.1:15106", ""),
        ("127.0.0.1:15107", " down"),
    ]


def test_nginx_round_robin_for_rest_and_sticky_socketio(settings: cluster.Settings) -> None:
    text = cluster.nginx_conf(settings)
    rest = re.search(r"upstream rasa \{(.*?)\}", text, re.S).group(1)
    socketio = re.search(r"upstream rasa_socketio \{(.*?)\}", text, re.S).group(1)
    assert "ip_hash" not in rest and "hash" not in rest
    assert "ip_hash;" in socketio
    location = re.search(r"location /socket.io/ \{(.*?)\}", text, re.S).group(1)
    assert "proxy_pass http://rasa_socketio;" in location
    assert "proxy_set_header Upgrade $http_upgrade;" in location
    assert "proxy_set_header Connection $connection_upgrade;" in location


def test_nginx_never_resends_a_message_that_reached_a_replica(settings: cluster.Settings) -> None:
    text = cluster.nginx_conf(settings)
    directives = re.findall(r"^\s*proxy_next_upstream ([^;]*);", text, re.M)
    assert directives == ["error timeout"]
    assert "non_idempotent" not in directives[0]
    assert re.findall(r"^\s*listen ([^;]*);", text, re.M) == ["127.0.0.1:15105"]


def test_rasa_reads_the_endpoints_with_passwords_from_the_environment(
    settings: cluster.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.write_configs(settings, settings.run_dir, PASSWORDS)
    path = settings.run_dir / "endpoints-1.yml"
    assert "db-secret-from-env" not in path.read_text()
    assert "redis-secret-from-env" not in path.read_text()
    monkeypatch.setenv("SALES_COACH_DB_PASSWORD", "db-secret-from-env")
    monkeypatch.setenv("SALES_COACH_REDIS_PASSWORD", "redis-secret-from-env")

    endpoints = AvailableEndpoints.read_endpoints(str(path))

    assert endpoints.action.url == "http://127.0.0.1:15157/webhook"
    assert endpoints.tracker_store.type == "bot.tracker_store.CachedSQLTrackerStore"
    assert endpoints.tracker_store.url == "127.0.0.1"
    assert endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.tracker_store.kwargs["port"] == settings.postgres_port
    assert endpoints.tracker_store.kwargs["password"] == "db-secret-from-env"
    assert endpoints.lock_store.type == "redis"
    assert endpoints.lock_store.kwargs["port"] == settings.redis_port
    assert endpoints.lock_store.kwargs["password"] == "redis-secret-from-env"


def test_generated_passwords_are_private_and_reused(tmp_path: Path) -> None:
    settings = cluster.Settings.from_env({"CLUSTER_RUN_DIR": str(tmp_path / "cluster")})
    first = cluster.passwords(settings)
    stored = tmp_path / "cluster" / "secrets.env"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert cluster.passwords(settings) == first
    assert len(set(first.values())) == 2 and all(len(v) >= 32 for v in first.values())


def test_a_password_from_the_environment_is_never_written(tmp_path: Path) -> None:
    settings = cluster.Settings.from_env(
        {"CLUSTER_RUN_DIR": str(tmp_path / "cluster"), "SALES_COACH_DB_PASSWORD": "from-env"}
    )
    values = cluster.passwords(settings)
    assert values["SALES_COACH_DB_PASSWORD"] == "from-env"
    assert "from-env" not in (tmp_path / "cluster" / "secrets.env").read_text()


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError, match="{{port}}"):
        cluster.render("listen {{port}};", {"host": "x"})


@pytest.mark.parametrize(
    ("checks", "down", "stores_ok", "expected"),
    [
        ([[True, True]], set(), True, set()),
        ([[False, True]], set(), True, set()),  # one refusal may be a restart's first second
        ([[False, True]] * 2, set(), True, {0}),
        ([[None, True]] * 14, set(), True, set()),  # busy answering: stays in
        ([[None, True]] * 15, set(), True, {0}),  # silent for 30 s: hung
        ([[False, True]] * 2 + [[None, True]], {0}, True, {0}),  # out until one good check
        ([[False, True]] * 2 + [[True, True]], {0}, True, set()),
        ([[True, True]], set(), False, {0, 1}),  # database gone: nobody answers from memory
    ],
)
def test_which_replicas_nginx_skips(
    checks: list[list[bool | None]], down: set[int], stores_ok: bool, expected: set[int]
) -> None:
    strikes = cluster.Strikes([0, 0], [0, 0])
    for each in checks:
        strikes.record(each)
    assert cluster.replicas_down(strikes, down, stores_ok) == expected


def test_the_watcher_reads_the_rest_channels_health_route_when_it_is_configured(
    settings: cluster.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "credentials", lambda environ: {"rest": None})
    assert cluster.health_path(settings) == "/"
    monkeypatch.setattr(
        cluster, "credentials", lambda environ: {"bot.channels.rest.SalesCoachRestInput": None}
    )
    assert cluster.health_path(settings) == "/webhooks/rest/"
    assert "bot.channels.rest.SalesCoachRestInput" in cluster.credentials({})
    explicit = cluster.Settings.from_env({"CLUSTER_HEALTH_PATH": "/ready"})
    assert cluster.health_path(explicit) == "/ready"
