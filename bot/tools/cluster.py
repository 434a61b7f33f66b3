"""`make cluster` / `make cluster-stop`: Sales Coach on PostgreSQL, Redis and nginx, on one machine.

    python -m bot.tools.cluster start       # PostgreSQL, Redis, REPLICAS replicas, nginx, watcher
    python -m bot.tools.cluster stop        # stops all of it
    python -m bot.tools.cluster status      # what runs, and each replica's health
    python -m bot.tools.cluster restart-replica N
    python -m bot.tools.cluster configs DIR # every config file into DIR (tests, operators)

Everything comes from Debian's packages (installed when missing, as root) and runs as its own
processes with its data and generated configs in a git-ignored run folder (`run/cluster/`), all
on 127.0.0.1. A replica is one Rasa server with its own action server; every replica shares the
conversations (Rasa's SQL tracker store on PostgreSQL) and their locks (Rasa's RedisLockStore).
nginx on RASA_PORT spreads REST and Slack round robin and keeps socket.io clients on one replica.
The watcher checks each replica's health every few seconds and takes a failing one out of nginx,
with an error line, so a replica that lost its database never answers from an empty memory.

Settings (environment, all optional): REPLICAS (2), RASA_PORT (5005, nginx), REPLICA_PORT (5006:
replica i listens on REPLICA_PORT+i), CLUSTER_ACTIONS_PORT (5056, likewise), POSTGRES_PORT (5433),
REDIS_PORT (6380), CLUSTER_RUN_DIR (run/cluster), CLUSTER_MODEL (models/sales-coach.tar.gz),
CORS_ORIGINS, CLUSTER_HEALTH_PATH (/webhooks/rest/ with the project's REST channel, else /),
TICKET_LOCK_LIFETIME (Rasa's, 60 s: how long a dead replica's lock on a conversation lasts),
SALES_COACH_DB_PASSWORD and SALES_COACH_REDIS_PASSWORD (generated into the run folder, mode 0600,
when unset), SALES_COACH_API_TOKEN (enables Rasa's HTTP API with that token; off without it).
Across machines (docs/deploy.md, `configs`): POSTGRES_HOST, REDIS_HOST, REPLICA_HOSTS
("host:port ...", for nginx), NGINX_DAEMON=off (nginx under systemd).
"""

from __future__ import annotations

import argparse
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.tools.credentials import credentials

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEPLOY_DIR = PROJECT_DIR / "deploy"
VENV_BIN = PROJECT_DIR / ".venv" / "bin"
MODEL = PROJECT_DIR / "models" / "sales-coach.tar.gz"
# The replicas' PIDs, one per line, in replica order (the issue's contract).
REPLICAS_PID_FILE = "replicas.pid"
DEBIAN_PACKAGES = ("postgresql", "redis-server", "nginx")
DB_NAME = DB_USER = "sales_coach"
SECRET_NAMES = ("SALES_COACH_DB_PASSWORD", "SALES_COACH_REDIS_PASSWORD")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    run_dir: Path
    replicas: int = 2
    listen_port: int = 5005
    replica_port: int = 5006
    actions_port: int = 5056
    postgres_port: int = 5433
    redis_port: int = 6380
    cors_origins: tuple[str, ...] = ("*",)
    api_token: str | None = None
    # Across machines (docs/deploy.md): where the stores and the replicas are; nginx in a unit.
    postgres_host: str = LOOPBACK
    redis_host: str = LOOPBACK
    replica_hosts: tuple[str, ...] = ()
    nginx_daemon: bool = True
    model: Path = MODEL
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def number(name: str, default: int) -> int:
            return int(environ.get(name) or default)

        run_dir = Path(environ.get("CLUSTER_RUN_DIR") or PROJECT_DIR / "run" / "cluster")
        replica_hosts = tuple((environ.get("REPLICA_HOSTS") or "").split())
        replicas = len(replica_hosts) or number("REPLICAS", 2)
        if replicas < 1:
            raise ValueError("REPLICAS must be at least 1")
        return cls(
            run_dir=run_dir.resolve(),
            replicas=replicas,
            listen_port=number("RASA_PORT", 5005),
            replica_port=number("REPLICA_PORT", 5006),
            actions_port=number("CLUSTER_ACTIONS_PORT", 5056),
            postgres_port=number("POSTGRES_PORT", 5433),
            redis_port=number("REDIS_PORT", 6380),
            cors_origins=tuple((environ.get("CORS_ORIGINS") or "*").split()),
            api_token=environ.get("SALES_COACH_API_TOKEN") or None,
            postgres_host=environ.get("POSTGRES_HOST") or LOOPBACK,
            redis_host=environ.get("REDIS_HOST") or LOOPBACK,
            replica_hosts=replica_hosts,
            nginx_daemon=(environ.get("NGINX_DAEMON") or "on") != "off",
            model=Path(environ.get("CLUSTER_MODEL") or MODEL).resolve(),
            environ=dict(environ),
        )

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    def rasa_port(self, index: int) -> int:
        return self.replica_port + index

    def action_port(self, index: int) -> int:
        return self.actions_port + index

    def replica_address(self, index: int) -> str:
        if self.replica_hosts:
            return self.replica_hosts[index]
        return f"{LOOPBACK}:{self.rasa_port(index)}"

    def replica_url(self, index: int) -> str:
        return f"http://{self.replica_address(index)}"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.listen_port}"


# --- configuration files (pure: rendered from deploy/ templates and the project's endpoints.yml)


def render(template: str, values: Mapping[str, object]) -> str:
    """Fills `{{name}}` placeholders; a placeholder without a value is an error, not a blank."""
    text = template
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", str(value))
    if "{{" in text:
        start = text.index("{{")
        raise KeyError(f"unfilled placeholder {text[start : text.index('}}', start) + 2]}")
    return text


def nginx_conf(settings: Settings, down: Iterable[int] = ()) -> str:
    down = set(down)
    servers = "\n".join(
        f"        server {settings.replica_address(i)} max_fails=1 fail_timeout=5s"
        + (" down;" if i in down else ";")
        for i in range(settings.replicas)
    )
    return render(
        (DEPLOY_DIR / "nginx.conf.template").read_text(encoding="utf-8"),
        {
            "daemon": "on" if settings.nginx_daemon else "off",
            "run_dir": settings.run_dir,
            "log_dir": settings.log_dir,
            "listen": f"{LOOPBACK}:{settings.listen_port}",
            "servers": servers,
            "replicas": settings.replicas,
        },
    )


def redis_conf(settings: Settings, password: str) -> str:
    return render(
        (DEPLOY_DIR / "redis.conf.template").read_text(encoding="utf-8"),
        {
            "bind": LOOPBACK,
            "port": settings.redis_port,
            "daemonize": "yes",
            "run_dir": settings.run_dir,
            "log_dir": settings.log_dir,
            "password": password,
        },
    )


def postgres_conf(settings: Settings) -> str:
    # TCP on loopback only; no Unix socket, so nothing depends on the run folder's path length.
    return (
        "# Written by bot/tools/cluster.py on every start.\n"
        f"listen_addresses = '{LOOPBACK}'\n"
        f"port = {settings.postgres_port}\n"
        "unix_socket_directories = ''\n"
        "max_connections = 100\n"
        "password_encryption = 'scram-sha-256'\n"
    )


def endpoints(settings: Settings, index: int) -> dict[str, Any]:
    """The project's endpoints.yml with this replica's action server and the shared stores.

    Passwords stay `${VAR}` references: Rasa fills them from the replica's environment, so the
    generated file holds no secret.
    """
    config = yaml.safe_load((PROJECT_DIR / "endpoints.yml").read_text(encoding="utf-8")) or {}
    # the project's settings (selective domain), this replica's action server
    config["action_endpoint"] = {
        **(config.get("action_endpoint") or {}),
        "url": f"http://{LOOPBACK}:{settings.action_port(index)}/webhook",
    }
    config["tracker_store"] = {
        # Rasa's SQL store with the conversations in use kept in memory, checked against
        # PostgreSQL on every message (bot/tracker_store.py): replicas never serve a stale one
        "type": "bot.tracker_store.CachedSQLTrackerStore",
        "dialect": "postgresql",
        "url": settings.postgres_host,
        "port": settings.postgres_port,
        "db": DB_NAME,
        "username": DB_USER,
        "password": "${SALES_COACH_DB_PASSWORD}",
    }
    config["lock_store"] = {
        "type": "redis",
        "url": settings.redis_host,
        "port": settings.redis_port,
        "db": 0,
        "password": "${SALES_COACH_REDIS_PASSWORD}",
        "key_prefix": "sales_coach",
    }
    return config


def write_configs(settings: Settings, directory: Path, passwords: Mapping[str, str]) -> None:
    """Every generated file, in `directory` (the run folder, or a test's temporary folder)."""
    for folder in (directory, settings.log_dir, settings.run_dir / "nginx"):
        folder.mkdir(parents=True, exist_ok=True)
    (directory / "nginx.conf").write_text(nginx_conf(settings), encoding="utf-8")
    secret_file(
        directory / "redis.conf", redis_conf(settings, passwords["SALES_COACH_REDIS_PASSWORD"])
    )
    (directory / "postgresql.sales_coach.conf").write_text(
        postgres_conf(settings), encoding="utf-8"
    )
    (directory / "credentials.yml").write_text(
        yaml.safe_dump(credentials(dict(settings.environ))), encoding="utf-8"
    )
    for index in range(settings.replicas):
        (directory / f"endpoints-{index}.yml").write_text(
            yaml.safe_dump(endpoints(settings, index), sort_keys=False), encoding="utf-8"
        )


# --- secrets


def secret_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(text)
    os.chmod(path, 0o600)


def passwords(settings: Settings) -> dict[str, str]:
    """From the environment; else generated once into the run folder (mode 0600) and reused."""
    stored_path = settings.run_dir / "secrets.env"
    stored: dict[str, str] = {}
    if stored_path.exists():
        for line in stored_path.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            stored[name] = value
    values = {
        name: settings.environ.get(name) or stored.get(name) or secrets.token_urlsafe(24)
        for name in SECRET_NAMES
    }
    generated = {n: v for n, v in values.items() if not settings.environ.get(n)}
    if generated and generated != {n: stored.get(n) for n in generated}:
        secret_file(stored_path, "".join(f"{n}={v}\n" for n, v in generated.items()))
    return values


# --- processes


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} cluster: {message}", flush=True)


def error(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} cluster: ERROR: {message}", file=sys.stderr, flush=True)


def postgres_bin(name: str) -> str:
    """Debian keeps the server programs in /usr/lib/postgresql/VERSION/bin, off the PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise FileNotFoundError(name)


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parents[1].name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def missing_packages() -> list[str]:
    missing = []
    try:
        postgres_bin("initdb")
    except FileNotFoundError:
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    return missing


def ensure_packages() -> None:
    missing = missing_packages()
    if not missing:
        return
    command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        raise SystemExit(f"cluster: missing Debian packages; as root run: {' '.join(command)}")
    log(f"installing {' '.join(missing)} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def nginx_bin() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def service_user(name: str) -> list[str]:
    """Servers that refuse root (PostgreSQL) or need none (Redis) run as their Debian user."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", name, "--"]


def chown_to(path: Path, user: str) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user, user)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int | None, marker: str | None = None) -> bool:
    """True when `pid` runs and (when given) its command line contains `marker`, so a PID
    recycled by another program is never taken for ours."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    if state == "Z":
        return False
    return marker is None or marker in cmdline


def stop_pid(pid: int | None, marker: str, name: str, timeout: float = 20) -> None:
    if not alive(pid, marker):
        return
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid, marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid, marker):
        log(f"{name} did not stop in {timeout:.0f} s: SIGKILL")
        os.kill(pid, signal.SIGKILL)
    log(f"stopped {name} ({pid})")


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


def wait_for(check, what: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def daemon(command: list[str], log_path: Path, env: Mapping[str, str]) -> subprocess.Popen:
    """A process that outlives `make cluster`: own session, output to its log file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as output:
        return subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def server_env(settings: Settings, values: Mapping[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        **values,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    return env


# PostgreSQL


def pg_home(settings: Settings) -> Path:
    """Owned by the postgres user: the data directory, its password file and its log."""
    return settings.run_dir / "postgres"


def pg_data(settings: Settings) -> Path:
    return pg_home(settings) / "data"


def start_postgres(settings: Settings, values: Mapping[str, str]) -> None:
    home, data = pg_home(settings), pg_data(settings)
    env = {**os.environ, "PGPASSWORD": values["SALES_COACH_DB_PASSWORD"]}
    if not (data / "PG_VERSION").exists():
        home.mkdir(parents=True, exist_ok=True)
        chown_to(home, "postgres")
        home.chmod(0o700)
        password_file = home / "pwfile"
        secret_file(password_file, values["SALES_COACH_DB_PASSWORD"] + "\n")
        chown_to(password_file, "postgres")
        log("initialising PostgreSQL")
        subprocess.run(
            [
                *service_user("postgres"),
                postgres_bin("initdb"),
                "-D",
                str(data),
                "-U",
                DB_USER,
                f"--pwfile={password_file}",
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        password_file.unlink()
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\ninclude_if_exists = 'sales_coach.conf'\n")
    conf = data / "sales_coach.conf"
    conf.write_text(postgres_conf(settings), encoding="utf-8")
    chown_to(conf, "postgres")
    if not pg_running(settings):
        log(f"starting PostgreSQL on {LOOPBACK}:{settings.postgres_port}")
        subprocess.run(
            [
                *service_user("postgres"),
                postgres_bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(home / "postgres.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    exists = subprocess.run(
        [
            postgres_bin("psql"),
            *pg_args(settings),
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run([postgres_bin("createdb"), *pg_args(settings), DB_NAME], check=True, env=env)


def pg_args(settings: Settings) -> list[str]:
    return ["-h", LOOPBACK, "-p", str(settings.postgres_port), "-U", DB_USER, "-w"]


def pg_running(settings: Settings) -> bool:
    pid = read_pid(pg_data(settings) / "postmaster.pid")
    return alive(pid, "postgres")


def stop_postgres(settings: Settings) -> None:
    if not pg_running(settings):
        return
    subprocess.run(
        [
            *service_user("postgres"),
            postgres_bin("pg_ctl"),
            "-D",
            str(pg_data(settings)),
            "-m",
            "fast",
            "-w",
            "stop",
        ],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    log("stopped PostgreSQL")


# Redis


def start_redis(settings: Settings, values: Mapping[str, str]) -> None:
    if alive(read_pid(settings.run_dir / "redis.pid"), "redis-server"):
        return
    (settings.run_dir / "redis").mkdir(parents=True, exist_ok=True)
    conf = settings.run_dir / "redis.conf"
    secret_file(conf, redis_conf(settings, values["SALES_COACH_REDIS_PASSWORD"]))
    log(f"starting Redis on {LOOPBACK}:{settings.redis_port}")
    subprocess.run(
        [shutil.which("redis-server") or "redis-server", str(conf)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_for(lambda: alive(read_pid(settings.run_dir / "redis.pid"), "redis-server"), "Redis", 20)


# Replicas


def replica_marker(settings: Settings, index: int) -> str:
    return f"--port {settings.rasa_port(index)}"


def start_actions(settings: Settings, index: int, env: Mapping[str, str]) -> subprocess.Popen:
    return daemon(
        [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(settings.action_port(index))],
        settings.log_dir / f"actions-{index}.log",
        {
            **env,
            "SANIC_HOST": LOOPBACK,  # rasa-sdk's only bind setting; it defaults to 0.0.0.0
            # Longer than the Rasa server's client keeps idle connections (aiohttp: 15 s): with
            # Sanic's 5 s the action server closes one as Rasa sends on it, and under load Rasa
            # then drops the action's answer ("Cannot write to closing transport").
            "SANIC_KEEP_ALIVE_TIMEOUT": "75",
        },
    )


def start_replica(settings: Settings, index: int, env: Mapping[str, str]) -> subprocess.Popen:
    command = [
        str(VENV_BIN / "rasa"),
        "run",
        "--interface",
        LOOPBACK,
        "--port",
        str(settings.rasa_port(index)),
        "--model",
        str(settings.model),
        "--endpoints",
        str(settings.run_dir / f"endpoints-{index}.yml"),
        "--credentials",
        str(settings.run_dir / "credentials.yml"),
    ]
    command += ["--cors", *settings.cors_origins]  # one flag, several origins (nargs="*")
    if settings.api_token:
        command += ["--enable-api", "--auth-token", settings.api_token]
    return daemon(command, settings.log_dir / f"replica-{index}.log", env)


def replica_pids(settings: Settings) -> list[int | None]:
    path = settings.run_dir.parent / REPLICAS_PID_FILE
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [int(line) if line.strip().isdigit() else None for line in lines]


def write_replica_pid(settings: Settings, index: int, pid: int) -> None:
    pids = replica_pids(settings)
    pids += [None] * (settings.replicas - len(pids))
    pids[index] = pid
    path = settings.run_dir.parent / REPLICAS_PID_FILE
    path.write_text("".join(f"{p or ''}\n" for p in pids[: max(settings.replicas, index + 1)]))


def restart_replica(settings: Settings, index: int, wait: bool = True) -> int:
    """Starts replica `index`'s Rasa server again (after it died or was killed)."""
    pids = replica_pids(settings)
    if index < len(pids):
        stop_pid(pids[index], replica_marker(settings, index), f"replica {index}")
    env = server_env(settings, passwords(settings))
    process = start_replica(settings, index, env)
    write_replica_pid(settings, index, process.pid)
    if wait:
        wait_for(lambda: replica_healthy(settings, index) is True, f"replica {index}", 600, process)
    return process.pid


# nginx


def nginx_command(settings: Settings, *extra: str) -> list[str]:
    return [
        nginx_bin(),
        "-p",
        str(settings.run_dir / "nginx"),
        "-e",
        str(settings.log_dir / "nginx-error.log"),
        "-c",
        str(settings.run_dir / "nginx.conf"),
        *extra,
    ]


def write_nginx_conf(settings: Settings, down: Iterable[int] = ()) -> None:
    (settings.run_dir / "nginx").mkdir(parents=True, exist_ok=True)
    (settings.run_dir / "nginx.conf").write_text(nginx_conf(settings, down), encoding="utf-8")


def nginx_pid(settings: Settings) -> int | None:
    return read_pid(settings.run_dir / "nginx.pid")


def start_nginx(settings: Settings) -> None:
    write_nginx_conf(settings)
    subprocess.run(nginx_command(settings, "-t", "-q"), check=True)
    if alive(nginx_pid(settings), "nginx"):
        subprocess.run(nginx_command(settings, "-s", "reload"), check=True)
    else:
        log(f"starting nginx on {settings.url}")
        subprocess.run(nginx_command(settings), check=True)


# The watcher


def store_problems(settings: Settings, values: Mapping[str, str]) -> list[str]:
    """What is wrong with the shared stores, as the replicas would meet it. Rasa's
    FailSafeTrackerStore turns a failing database into an empty in-memory conversation with one
    log line per message; this is the check that says so out loud."""
    import psycopg2
    import redis

    problems = []
    try:
        with (
            psycopg2.connect(
                host=LOOPBACK,
                port=settings.postgres_port,
                dbname=DB_NAME,
                user=DB_USER,
                password=values["SALES_COACH_DB_PASSWORD"],
                connect_timeout=3,
            ) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1")
        connection.close()
    except psycopg2.Error as failure:
        problems.append(
            f"PostgreSQL (tracker store) unreachable: {str(failure).strip()}; a replica would "
            "fall back to an empty in-memory tracker (FailSafeTrackerStore)"
        )
    try:
        redis.StrictRedis(
            host=settings.redis_host,
            port=settings.redis_port,
            password=values["SALES_COACH_REDIS_PASSWORD"],
            socket_timeout=3,
        ).ping()
    except redis.RedisError as failure:
        problems.append(f"Redis (lock store) unreachable: {failure}")
    return problems


# The project's REST channel answers its health route with 503 when the replica's own tracker
# store fails (bot/store_health.py). Without it, Rasa's `/` only says the server is up.
REST_CHANNEL = "bot.channels.rest.SalesCoachRestInput"
REST_HEALTH_PATH = "/webhooks/rest/"


def health_path(settings: Settings) -> str:
    """The route each replica's health is read from: CLUSTER_HEALTH_PATH, else the REST
    channel's health route when that channel is configured, else `/`."""
    if settings.environ.get("CLUSTER_HEALTH_PATH"):
        return settings.environ["CLUSTER_HEALTH_PATH"]
    return REST_HEALTH_PATH if REST_CHANNEL in credentials(dict(settings.environ)) else "/"


def replica_healthy(settings: Settings, index: int, timeout: float = 3) -> bool | None:
    """True: healthy. False: refused, reset or an error status (dead, or its health check
    fails). None: no answer within `timeout`: alive but busy, which under load is normal."""
    try:
        with urllib.request.urlopen(
            settings.replica_url(index) + health_path(settings), timeout=timeout
        ) as response:
            return 200 <= response.status < 300
    except TimeoutError:
        return None
    except urllib.error.URLError as failure:
        return None if isinstance(failure.reason, TimeoutError) else False
    except OSError:
        return False


def health(settings: Settings, values: Mapping[str, str]) -> tuple[list[str], list[bool | None]]:
    """(problems with the stores, each replica's check). With the stores failing, no replica
    counts as healthy."""
    problems = store_problems(settings, values)
    checks = [False if problems else replica_healthy(settings, i) for i in range(settings.replicas)]
    return problems, checks


@dataclass
class Strikes:
    """Failed checks in a row, per replica: `failed` for a refusal or an error status,
    `busy` for no answer in time."""

    failed: list[int]
    busy: list[int]

    def record(self, checks: list[bool | None]) -> None:
        for i, ok in enumerate(checks):
            self.failed[i] = self.failed[i] + 1 if ok is False else 0
            self.busy[i] = self.busy[i] + 1 if ok is None else 0


def replicas_down(
    strikes: Strikes, down: set[int], stores_ok: bool, failed: int = 2, busy: int = 15
) -> set[int]:
    """Which replicas nginx must skip. Out after `failed` failed checks in a row, or `busy`
    unanswered ones (a replica busy answering misses checks under load: only a long silence is a
    hung one); back in after one good check. With the stores failing, every replica goes out at
    once: none may answer from an empty memory."""
    if not stores_ok:
        return set(range(len(strikes.failed)))
    out = {
        i
        for i in range(len(strikes.failed))
        if strikes.failed[i] >= failed or strikes.busy[i] >= busy
    }
    still_out = {i for i in down if strikes.failed[i] or strikes.busy[i]}
    return out | still_out


def watch(settings: Settings, interval: float = 2.0) -> None:
    """Checks the stores and every replica each `interval` seconds; rewrites nginx's upstreams
    and reloads it when the healthy set changes, with an error line for each replica lost."""
    values = passwords(settings)
    strikes = Strikes([0] * settings.replicas, [0] * settings.replicas)
    down: set[int] = set()
    reported: list[str] = []
    while True:
        problems, checks = health(settings, values)
        if problems != reported:
            for problem in problems:
                error(problem)
            if reported and not problems:
                log("PostgreSQL and Redis reachable again")
            reported = problems
        strikes.record(checks)
        now_down = replicas_down(strikes, down, stores_ok=not problems)
        if now_down != down:
            for index in sorted(now_down - down):
                error(f"replica {index} ({settings.replica_url(index)}) unhealthy: out of nginx")
            for index in sorted(down - now_down):
                log(f"replica {index} healthy again: back in nginx")
            if len(now_down) == settings.replicas:
                error("no healthy replica: nginx answers 502 until one recovers")
            down = now_down
            write_nginx_conf(settings, down)
            subprocess.run(nginx_command(settings, "-s", "reload"), check=False)
        time.sleep(interval)


def watcher_pid_file(settings: Settings) -> Path:
    return settings.run_dir / "watch.pid"


# --- commands


def start(settings: Settings) -> None:
    if not settings.model.exists():
        raise SystemExit(f"cluster: no trained model at {settings.model}: run `make train` first")
    ensure_packages()
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    values = passwords(settings)
    write_configs(settings, settings.run_dir, values)
    start_postgres(settings, values)
    start_redis(settings, values)

    env = server_env(settings, values)
    pids = replica_pids(settings)
    started: list[tuple[int, subprocess.Popen]] = []
    action_servers: dict[int, subprocess.Popen] = {}
    for index in range(settings.replicas):
        actions_pid_file = settings.run_dir / f"actions-{index}.pid"
        if not alive(read_pid(actions_pid_file), f"--port {settings.action_port(index)}"):
            action_servers[index] = start_actions(settings, index, env)
            actions_pid_file.write_text(f"{action_servers[index].pid}\n")
        pid = pids[index] if index < len(pids) else None
        if alive(pid, replica_marker(settings, index)):
            continue
        log(f"starting replica {index} on {settings.replica_url(index)}")
        process = start_replica(settings, index, env)
        write_replica_pid(settings, index, process.pid)
        started.append((index, process))
    for index, process in started:
        wait_for(
            lambda i=index: replica_healthy(settings, i) is True, f"replica {index}", 900, process
        )
        log(f"replica {index} ready")
    for index in range(settings.replicas):
        wait_for(
            lambda i=index: http_ok(f"http://{LOOPBACK}:{settings.action_port(i)}/health"),
            f"action server {index} (log: {settings.log_dir / f'actions-{index}.log'})",
            120,
            action_servers.get(index),  # one that died (a port taken, say) is reported at once
        )

    start_nginx(settings)
    if not alive(read_pid(watcher_pid_file(settings)), "bot.tools.cluster watch"):
        watcher = daemon(
            [sys.executable, "-m", "bot.tools.cluster", "watch"],
            settings.log_dir / "watch.log",
            {**os.environ, **settings.environ, "CLUSTER_RUN_DIR": str(settings.run_dir)},
        )
        watcher_pid_file(settings).write_text(f"{watcher.pid}\n")
    replica_urls = ", ".join(settings.replica_url(i) for i in range(settings.replicas))
    print(
        f"""
Sales Coach cluster is running: {settings.replicas} replicas behind nginx.
  Web widget:   {settings.url}/webchat/
  REST:         curl -s {settings.url}/webhooks/rest/webhook -d '{{"sender":"me","message":"hi"}}'
  Replicas:     {replica_urls} (PIDs in {settings.run_dir.parent / REPLICAS_PID_FILE})
  PostgreSQL:   {LOOPBACK}:{settings.postgres_port}  Redis: {LOOPBACK}:{settings.redis_port}
  Logs:         {settings.log_dir}/
Stop it with `make cluster-stop`."""
    )


def stop(settings: Settings) -> None:
    stop_pid(read_pid(watcher_pid_file(settings)), "bot.tools.cluster watch", "watcher")
    if alive(nginx_pid(settings), "nginx"):
        subprocess.run(nginx_command(settings, "-s", "quit"), check=False)
        wait_for(lambda: not alive(nginx_pid(settings), "nginx"), "nginx stop", 20)
        log("stopped nginx")
    for index, pid in enumerate(replica_pids(settings)):
        stop_pid(pid, replica_marker(settings, index), f"replica {index}")
    for path in sorted(settings.run_dir.glob("actions-*.pid")):
        index = int(path.stem.split("-")[1])
        stop_pid(read_pid(path), f"--port {settings.action_port(index)}", f"action server {index}")
        path.unlink()
    (settings.run_dir.parent / REPLICAS_PID_FILE).unlink(missing_ok=True)
    redis_pid = read_pid(settings.run_dir / "redis.pid")
    stop_pid(redis_pid, "redis-server", "Redis")
    stop_postgres(settings)


def status(settings: Settings) -> int:
    """Prints what runs; exits 1 unless the stores and every replica are healthy."""
    problems, replicas = health(settings, passwords(settings))
    pids = replica_pids(settings)
    words = {True: "healthy", None: "busy (no answer in 3 s)", False: "NOT healthy"}
    for index, ok in enumerate(replicas):
        pid = pids[index] if index < len(pids) else None
        print(f"replica {index}: pid {pid}, {words[ok]}")
    for problem in problems:
        error(problem)
    redis_up = alive(read_pid(settings.run_dir / "redis.pid"), "redis-server")
    print(f"PostgreSQL: {'running' if pg_running(settings) else 'stopped'}")
    print(f"Redis: {'running' if redis_up else 'stopped'}")
    print(f"nginx: {'running' if alive(nginx_pid(settings), 'nginx') else 'stopped'}")
    return 0 if replicas and all(ok is not False for ok in replicas) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status", "watch"):
        sub.add_parser(name)
    restart = sub.add_parser("restart-replica")
    restart.add_argument("index", type=int)
    configs = sub.add_parser("configs")
    configs.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    settings = Settings.from_env(os.environ)
    if args.command == "start":
        start(settings)
    elif args.command == "stop":
        stop(settings)
    elif args.command == "status":
        return status(settings)
    elif args.command == "watch":
        watch(settings)
    elif args.command == "restart-replica":
        restart_replica(settings, args.index)
    elif args.command == "configs":
        write_configs(settings, args.directory, passwords(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
