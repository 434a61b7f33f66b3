"""The store timing saves real turns, and prints one line per store."""

import asyncio

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.tools.store_speed import main, save_seconds
from bot.tracker_store import CachedSQLTrackerStore


def test_each_timed_save_stores_a_turn(tmp_path) -> None:
    db = str(tmp_path / "trackers.db")
    store = CachedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=db)
    timings = asyncio.run(save_seconds(store, conversations=2, turns=3))
    assert len(timings) == 6 and all(t > 0 for t in timings)
    stored = asyncio.run(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=db).retrieve("rep-1"))
    user_texts = [e.text for e in stored.events if e.type_name == "user"]
    assert user_texts == [f"how do i follow up, take {i}" for i in range(3)]


def test_it_compares_rasas_store_with_both_settings(tmp_path, capsys) -> None:
    assert main(["--conversations", "1", "--turns", "2", "--dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" p50 ")[0].strip() for line in lines[1:]] == [
        "Rasa's SQLTrackerStore (rollback journal)",
        "ours, write-ahead log, synchronous FULL",
        "ours, write-ahead log, synchronous NORMAL",
    ]
    assert list(tmp_path.iterdir()) == []  # its databases are gone
