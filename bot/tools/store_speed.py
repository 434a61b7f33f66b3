"""What saving one turn costs on SQLite, side by side: Rasa's own SQL store (rollback journal)
and the project's store on the write-ahead log with `synchronous` FULL and NORMAL. The save runs
inside Rasa's event loop, so every other conversation waits for it.

    python -m bot.tools.store_speed [--conversations 4] [--turns 40] [--dir var]

The database goes in a temporary folder under `--dir` (default: the project's `var/`, where
`make run` keeps it), so the figures are those of that disk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from bot.tools.bench import PROJECT_DIR
from bot.tracker_store import CachedSQLTrackerStore


def turn(index: int) -> list[Event]:
    """An ordinary question and its answer, as the bot logs them."""
    text = f"how do i follow up, take {index}"
    return [
        UserUttered(text, {"name": "ask_follow_up", "confidence": 0.9}, [], {"text": text}),
        SlotSet("language", "en"),
        ActionExecuted("action_answer_topic"),
        BotUttered(f"answer {index}", {"custom": {"sales_coach": {"id": "follow_up"}}}),
        SlotSet("topic", "follow_up"),
        ActionExecuted("action_listen"),
    ]


async def save_seconds(store: SQLTrackerStore, conversations: int, turns: int) -> list[float]:
    timings = []
    for conversation in range(conversations):
        for index in range(turns):
            tracker = await store.get_or_create_tracker(f"rep-{conversation}")
            for event in turn(index):
                tracker.update(event)
            start = time.perf_counter()
            await store.save(tracker)
            timings.append(time.perf_counter() - start)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.store_speed", description=__doc__)
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / "var")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
    stores = {
        "Rasa's SQLTrackerStore (rollback journal)": lambda db: SQLTrackerStore(
            domain, dialect="sqlite", db=db
        ),
        "ours, write-ahead log, synchronous FULL": lambda db: CachedSQLTrackerStore(
            domain, dialect="sqlite", db=db, sqlite_journal_mode="WAL", sqlite_synchronous="FULL"
        ),
        "ours, write-ahead log, synchronous NORMAL": lambda db: CachedSQLTrackerStore(
            domain, dialect="sqlite", db=db, sqlite_journal_mode="WAL", sqlite_synchronous="NORMAL"
        ),
    }
    print(f"save of one turn, {args.conversations} x {args.turns} turns, database in {args.dir}")
    for label, make in stores.items():
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            store = make(str(Path(tmp) / "trackers.db"))
            timings = asyncio.run(save_seconds(store, args.conversations, args.turns))
            store.engine.dispose()
        p50 = statistics.median(timings) * 1000
        p90 = statistics.quantiles(timings, n=10)[8] * 1000
        print(f"{label:44s} p50 {p50:7.2f} ms   p90 {p90:7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
