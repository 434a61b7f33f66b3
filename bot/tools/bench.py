"""Speed and memory figures for a running bot: `make bench`.

Starts the action server and the Rasa server on free loopback ports, then measures model load
time, REST round trips (sequential p50/p95, and throughput with 8 concurrent clients) across
English and Chinese questions, and the servers' resident memory. Bounded in count and time.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
RASA = str(PROJECT_DIR / ".venv" / "bin" / "rasa")
MESSAGES = [
    "hi",
    "how do i follow up after sending samples",
    "銷售經理跟客戶經理差在哪",
    "区域经理要干嘛",
    "what does it take to get promoted",
    "tell me more",
    "韌性是什麼",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 300) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return time.monotonic() - start
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def post(port: int, sender: str, text: str) -> float:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    start = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        json.load(response)
    return time.monotonic() - start


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for line in subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True
    ).stdout.split():
        total += int(line)
    return total / 1024


def training_seconds() -> tuple[float, float]:
    """A full `rasa train` from scratch (fresh cache, temporary output): (wall, CPU) seconds.
    CPU time says what the training costs when other jobs share the machine's cores."""
    import resource  # only here: the rest of the benchmark does not need it

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        subprocess.run(
            [RASA, "train", "--force", "--out", tmp, "--fixed-model-name", "bench"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=1800,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return time.monotonic() - start, cpu


def main() -> int:
    rasa_port, actions_port = free_port(), free_port()
    endpoints = Path(tempfile.mkstemp(suffix=".yml")[1])
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    actions = subprocess.Popen([RASA, "run", "actions", "--port", str(actions_port)], **quiet)
    server = subprocess.Popen(
        [
            RASA,
            "run",
            "--enable-api",
            "--port",
            str(rasa_port),
            "--model",
            str(PROJECT_DIR / "models" / "sales-coach.tar.gz"),
            "--endpoints",
            str(endpoints),
        ],
        cwd=PROJECT_DIR,
        **quiet,
    )
    try:
        load_seconds = wait_until_up(f"http://127.0.0.1:{rasa_port}/status", server)
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", actions)
        post(rasa_port, "warm-up", "hi")
        sequential = [
            post(rasa_port, f"seq-{i % 5}", MESSAGES[i % len(MESSAGES)]) for i in range(70)
        ]
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(
                pool.map(
                    lambda i: post(rasa_port, f"par-{i % 8}", MESSAGES[i % len(MESSAGES)]),
                    range(160),
                )
            )
        throughput = 160 / (time.monotonic() - start)
        quantiles = statistics.quantiles(sequential, n=20)
        print(f"model load (server start to ready)   {load_seconds:8.1f} s")
        print(
            f"REST round trip p50 (sequential)     {statistics.median(sequential) * 1000:8.0f} ms"
        )
        print(f"REST round trip p95 (sequential)     {quantiles[18] * 1000:8.0f} ms")
        print(f"throughput, 8 concurrent clients     {throughput:8.1f} msg/s")
        print(f"Rasa server RSS                      {rss_mb(server.pid):8.0f} MB")
        print(f"action server RSS                    {rss_mb(actions.pid):8.0f} MB")
    finally:
        for process in (server, actions):
            process.terminate()
            process.wait(timeout=30)
        endpoints.unlink()
    wall, cpu = training_seconds()
    print(f"full rasa train (target <= 240 s)    {wall:8.0f} s wall, {cpu:.0f} s CPU")
    report = PROJECT_DIR / "results" / "nlu" / "intent_report.json"
    if report.exists():
        accuracy = json.loads(report.read_text())["accuracy"]
        print(f"held-out intent accuracy (last make test) {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
