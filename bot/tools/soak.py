"""`make soak`: kill a replica under load and check that no conversation loses or repeats a turn.

While `--senders` conversations talk to the cluster through nginx (REST), replica 0's Rasa server
is killed with SIGKILL and started again. Afterwards each sender's tracker is read from the
tracker store (PostgreSQL, through Rasa's own SQLTrackerStore) and compared with what was sent:
every user message must be there once, in order, each followed by the bot's answer.

A sender whose request fails (the replica died with it, nginx answered 502) does not simply send
again: the message may have been handled and stored just before the kill, and a second send
would be answered twice. It waits until the conversation's lock in Redis is free (no replica is
still working on it), reads the tracker, and sends again only when the message is not there.
That is the client half of "answered once"; nginx's half is that it never resends a POST that
reached a replica (no `non_idempotent` in proxy_next_upstream, see deploy/nginx.conf.template).

Bounded: at most `--max-messages` per sender and `--max-seconds` in all; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.rest import SENDER_PREFIX  # REST conversations are `rest:<sender>`
from bot.tools import cluster
from bot.tools.bench import MESSAGES as BENCH_MESSAGES

MESSAGES = [
    *BENCH_MESSAGES,
    "how do i keep my commitments to customers",
    "什么是沟通",
    "thanks",
]
REQUEST_TIMEOUT = 150  # above nginx's proxy_read_timeout: nginx, not the client, gives up first
TRIES = 6


@dataclass
class Counts:
    sent: int = 0  # distinct messages a sender meant to send
    requests: int = 0  # HTTP requests, resends included
    answered: int = 0  # an HTTP answer with at least one bot message
    recovered: int = 0  # failed request whose message was found handled in the tracker
    retried: int = 0  # messages sent again because the tracker did not have them
    failed_requests: int = 0  # 502s, resets, empty answers
    unanswered: int = 0  # gave up after TRIES
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **values: int) -> None:
        with self.lock:
            for name, value in values.items():
                setattr(self, name, getattr(self, name) + value)


def post(url: str, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return json.load(response)


class Conversations:
    """Reads conversations the way the replicas do: Rasa's SQLTrackerStore and RedisLockStore."""

    def __init__(self, settings: cluster.Settings) -> None:
        from rasa.core.lock_store import RedisLockStore
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain

        values = cluster.passwords(settings)
        self.tracker_store = SQLTrackerStore(
            domain=Domain.empty(),
            dialect="postgresql",
            host=cluster.LOOPBACK,
            port=settings.postgres_port,
            db=cluster.DB_NAME,
            username=cluster.DB_USER,
            password=values["SALES_COACH_DB_PASSWORD"],
        )
        config = cluster.endpoints(settings, 0)["lock_store"]
        self.lock_store = RedisLockStore(
            host=config["url"],
            port=config["port"],
            db=config["db"],
            password=values["SALES_COACH_REDIS_PASSWORD"],
            key_prefix=config["key_prefix"],
        )
        self._loop = asyncio.new_event_loop()
        self._guard = threading.Lock()

    def turns(self, sender: str) -> list[tuple[str, int]]:
        """Each user message of the conversation with the number of bot messages after it."""
        with self._guard:  # one event loop, shared by the sender threads
            tracker = self._loop.run_until_complete(
                self.tracker_store.retrieve_full_tracker(SENDER_PREFIX + sender)
            )
        turns: list[tuple[str, int]] = []
        for event in tracker.events if tracker else []:
            if event.type_name == "user":
                turns.append((event.text or "", 0))
            elif event.type_name == "bot" and turns:
                text, bots = turns[-1]
                turns[-1] = (text, bots + 1)
        return turns

    def wait_unlocked(self, sender: str, timeout: float) -> bool:
        """Until no replica holds or waits for this conversation's lock (or `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lock = self.lock_store.get_lock(SENDER_PREFIX + sender)
            if lock is None:
                return True
            lock.remove_expired_tickets()
            if not lock.tickets:
                return True
            time.sleep(0.5)
        return False


def send_once(
    url: str, conversations: Conversations, sender: str, text: str, stored: int, counts: Counts
) -> bool:
    """Sends `text`, the next message of `sender` after `stored` stored ones, until it is
    handled once; True when it was answered."""
    for attempt in range(TRIES):
        if attempt:
            counts.add(retried=1)
        counts.add(requests=1)
        try:
            if post(url, sender, text):
                counts.add(answered=1)
                return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        counts.add(failed_requests=1)
        # The lock lives at most TICKET_LOCK_LIFETIME (60 s) after a replica died holding it.
        conversations.wait_unlocked(sender, timeout=90)
        turns = conversations.turns(sender)
        if len(turns) > stored and turns[stored][0] == text:
            if turns[stored][1]:
                counts.add(recovered=1)
                return True
            return False  # stored without an answer: resending would only hide it
        time.sleep(min(2**attempt, 15))  # no replica may be up yet: back off, ~45 s in all
    return False


@dataclass(frozen=True)
class Check:
    lost: int  # sent, not stored
    duplicated: int  # stored more often than sent
    unanswered: int  # stored user messages with no bot message after them
    out_of_order: bool


def longest_common_subsequence(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        previous_diagonal = 0
        for j, y in enumerate(b, 1):
            previous_diagonal, row[j] = (
                row[j],
                previous_diagonal + 1 if x == y else max(row[j], row[j - 1]),
            )
    return row[-1]


def compare(sent: list[str], stored: list[tuple[str, int]]) -> Check:
    """What was sent against what the tracker holds: (user text, bot messages after it)."""
    texts = [text for text, _ in stored]
    matched = longest_common_subsequence(sent, texts)  # what is there, in its place
    return Check(
        lost=len(sent) - matched,
        duplicated=len(texts) - matched,
        unanswered=sum(1 for _, bots in stored if bots == 0),
        out_of_order=sorted(texts) == sorted(sent) and texts != sent,
    )


@dataclass
class Plan:
    senders: int = 16
    min_messages: int = 10
    max_messages: int = 60
    kill_after: float = 15.0
    after_restart: float = 15.0
    max_seconds: float = 900.0


def run(settings: cluster.Settings, plan: Plan) -> int:
    url = settings.url
    conversations = Conversations(settings)
    run_id = uuid.uuid4().hex[:8]
    senders = [f"soak-{run_id}-{k}" for k in range(plan.senders)]
    sent: dict[str, list[str]] = {sender: [] for sender in senders}
    counts = Counts()
    start = time.monotonic()
    deadline = start + plan.max_seconds
    restarted = threading.Event()
    stop_after: list[float] = []
    timeline: dict[str, float] = {}

    def talk(index: int, sender: str) -> None:
        stored = 0  # this sender's user messages in the tracker store
        for turn in range(plan.max_messages):
            done_enough = (
                turn >= plan.min_messages and stop_after and time.monotonic() > stop_after[0]
            )
            if done_enough or time.monotonic() > deadline:
                return
            text = MESSAGES[(index + turn) % len(MESSAGES)]
            sent[sender].append(text)
            counts.add(sent=1)
            if send_once(url, conversations, sender, text, stored, counts):
                stored += 1
            else:
                counts.add(unanswered=1)
                stored = len(conversations.turns(sender))  # where the next one must land

    def kill_and_restart() -> None:
        time.sleep(plan.kill_after)
        pid = cluster.replica_pids(settings)[0]
        if not cluster.alive(pid, cluster.replica_marker(settings, 0)):
            raise RuntimeError("replica 0 is not running: start the cluster first")
        os.kill(pid, signal.SIGKILL)
        timeline["killed"] = time.monotonic() - start
        print(
            f"soak: replica 0 (pid {pid}) killed with SIGKILL at {timeline['killed']:.1f} s",
            flush=True,
        )
        new_pid = cluster.restart_replica(settings, 0)
        timeline["restarted"] = time.monotonic() - start
        print(f"soak: replica 0 back (pid {new_pid}) at {timeline['restarted']:.1f} s", flush=True)
        stop_after.append(time.monotonic() + plan.after_restart)
        restarted.set()

    threads = [
        threading.Thread(target=talk, args=(i, s), daemon=True) for i, s in enumerate(senders)
    ]
    killer = threading.Thread(target=kill_and_restart, daemon=True)
    for thread in [*threads, killer]:
        thread.start()
    killer.join(timeout=max(0.0, deadline - time.monotonic()))
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT)
    elapsed = time.monotonic() - start

    # The conversations as stored: every message once, in order, each answered.
    lost = duplicated = unanswered_turns = out_of_order = 0
    for sender in senders:
        conversations.wait_unlocked(sender, timeout=90)
        check = compare(sent[sender], conversations.turns(sender))
        lost += check.lost
        duplicated += check.duplicated
        unanswered_turns += check.unanswered
        out_of_order += check.out_of_order

    killed, back = timeline.get("killed", float("nan")), timeline.get("restarted", float("nan"))
    print(
        f"""
soak: {plan.senders} senders through nginx ({url}), {settings.replicas} replicas, {elapsed:.0f} s
  replica 0 killed at {killed:.1f} s, serving again at {back:.1f} s
  sent        {counts.sent}   (HTTP requests {counts.requests}, failed {counts.failed_requests})
  answered    {counts.answered + counts.recovered}   (in the HTTP answer {counts.answered}; \
found handled in the tracker after a failed request {counts.recovered})
  retried     {counts.retried}   (sent again: not in the tracker after a failed request)
  lost        {lost + counts.unanswered}   (not stored {lost}; \
no answer after {TRIES} tries {counts.unanswered})
  duplicated  {duplicated}   (user messages stored more often than sent)
  turns without a bot answer in the tracker {unanswered_turns}; \
conversations out of order {out_of_order}"""
    )
    ok = (
        restarted.is_set()
        and lost == duplicated == unanswered_turns == out_of_order == counts.unanswered == 0
        and counts.answered + counts.recovered == counts.sent
    )
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.soak")
    defaults = Plan()
    parser.add_argument("--senders", type=int, default=defaults.senders)
    parser.add_argument("--min-messages", type=int, default=defaults.min_messages)
    parser.add_argument("--max-messages", type=int, default=defaults.max_messages)
    parser.add_argument("--kill-after", type=float, default=defaults.kill_after)
    parser.add_argument("--after-restart", type=float, default=defaults.after_restart)
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds)
    args = parser.parse_args(argv)
    settings = cluster.Settings.from_env(os.environ)
    if not Path(settings.run_dir.parent / cluster.REPLICAS_PID_FILE).exists():
        print("soak: the cluster is not running (make cluster)", file=sys.stderr)
        return 2
    plan = Plan(**{k.replace("-", "_"): v for k, v in vars(args).items()})
    return run(settings, plan)


if __name__ == "__main__":
    sys.exit(main())
