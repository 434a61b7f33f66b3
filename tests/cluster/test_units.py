"""The systemd units of docs/deploy.md pass `systemd-analyze verify`, and the config they run
nginx with (rendered for several machines) passes `nginx -t`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.tools import cluster

UNITS = sorted((cluster.DEPLOY_DIR / "systemd").glob("*.service"))


def test_there_is_a_unit_for_every_process_of_a_replica_and_of_the_front() -> None:
    assert [unit.name for unit in UNITS] == [
        "sales-coach-actions.service",
        "sales-coach-nginx.service",
        "sales-coach-rasa.service",
        "sales-coach-watch.service",
    ]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    # The units name the install folder /opt/sales-coach; this checkout stands in for it, so
    # systemd can check that every program they start exists and is executable.
    # All of them side by side: systemd resolves Requires= among the files' folder.
    for each in UNITS:
        text = each.read_text().replace("/opt/sales-coach", str(cluster.PROJECT_DIR))
        (tmp_path / each.name).write_text(text)
    checked = tmp_path / unit.name
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (apt-get install systemd; .ci/run does)"

    result = subprocess.run([analyze, "verify", str(checked)], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_units_take_secrets_from_an_environment_file_only() -> None:
    for unit in UNITS:
        text = unit.read_text()
        assert not re.search(r"PASSWORD\s*=|TOKEN\s*=", text), unit.name
    rasa = (cluster.DEPLOY_DIR / "systemd" / "sales-coach-rasa.service").read_text()
    assert "EnvironmentFile=/etc/sales-coach/sales-coach.env" in rasa
    assert "--interface ${BIND_HOST}" in rasa


def test_nginx_config_for_several_machines(tmp_path: Path) -> None:
    settings = cluster.Settings.from_env(
        {
            "CLUSTER_RUN_DIR": str(tmp_path / "cluster"),
            "REPLICA_HOSTS": "127.0.1.1:5005 127.0.1.2:5005 127.0.1.3:5005",
            "NGINX_DAEMON": "off",
            "SALES_COACH_DB_PASSWORD": "x",
            "SALES_COACH_REDIS_PASSWORD": "y",
        }
    )
    cluster.write_configs(settings, settings.run_dir, cluster.passwords(settings))
    text = (settings.run_dir / "nginx.conf").read_text()
    assert "daemon off;" in text
    assert re.findall(r"server ([\d.:]+) max_fails", text) == 2 * [
        "127.0.1.1:5005",
        "127.0.1.2:5005",
        "127.0.1.3:5005",
    ]
    assert "proxy_next_upstream_tries 3;" in text
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(settings.run_dir / "nginx"),
            "-c",
            str(settings.run_dir / "nginx.conf"),
            "-e",
            str(settings.log_dir / "nginx-error.log"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
