"""Is the conversation store working? A loud answer instead of Rasa's silent fallback.

Rasa wraps the configured tracker store in a `FailSafeTrackerStore`: when the database fails, it
logs one line per message and answers from an empty in-memory tracker, a bot that has forgotten
the conversation while its health route still says "ok". Here:

- `watch` replaces the wrapper's error callback: every fallback logs an ERROR line that starts
  with `TRACKER STORE FAILED` (easy to alert on) and is remembered.
- `check` probes the real store (one `SELECT 1` on its SQL engine, at most `PROBE_SECONDS`)
  and reports `failing` while the probe fails. The REST channel's health route
  (`GET /webhooks/rest/`, which `make cluster`'s watcher and nginx-side checks read) answers 503
  then, so a load balancer takes the replica out instead of serving amnesia.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore

logger = logging.getLogger(__name__)

ALERT = "TRACKER STORE FAILED"
PROBE_SECONDS = 2.0


def primary(store: TrackerStore) -> TrackerStore:
    """The store Rasa's fail-safe wrapper guards (the store itself when not wrapped)."""
    return store._tracker_store if isinstance(store, FailSafeTrackerStore) else store


def _probe(store: TrackerStore) -> None:
    if isinstance(store, SQLTrackerStore):
        with store.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))


class TrackerStoreMonitor:
    def __init__(self) -> None:
        self.last_fallback: tuple[float, str] | None = None  # (time, error) of the latest

    def watch(self, store: TrackerStore) -> None:
        """Make the wrapper's fallbacks loud (idempotent)."""
        if isinstance(store, FailSafeTrackerStore) and store._on_tracker_store_error is None:
            name = type(primary(store)).__name__

            def fell_back(error: Exception) -> None:
                self.last_fallback = (time.time(), str(error))
                logger.error(
                    f"{ALERT}: {name} failed and Rasa answered from an empty in-memory "
                    f"conversation: {error}"
                )

            store._on_tracker_store_error = fell_back

    async def check(self, store: TrackerStore) -> dict[str, Any]:
        """{"status": "ok" | "failing", "tracker_store": class name, ...}."""
        self.watch(store)
        real = primary(store)
        report: dict[str, Any] = {"status": "ok", "tracker_store": type(real).__name__}
        try:
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(loop.run_in_executor(None, _probe, real), PROBE_SECONDS)
        except Exception as error:  # any failure of the probe is the store failing
            detail = str(error) or type(error).__name__
            logger.error(f"{ALERT}: {report['tracker_store']} does not answer: {detail}")
            report.update(status="failing", error=detail.splitlines()[0][:300])
        if self.last_fallback is not None:
            report["last_fallback"] = {
                "seconds_ago": round(time.time() - self.last_fallback[0]),
                "error": self.last_fallback[1].splitlines()[0][:300],
            }
        return report


MONITOR = TrackerStoreMonitor()
