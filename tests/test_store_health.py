"""bot/store_health.py: a failing conversation store is reported, never served silently."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from bot.store_health import ALERT, TrackerStoreMonitor
from bot.tracker_store import CachedSQLTrackerStore


@pytest.fixture
def store(tmp_path: Path) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))


def lose_the_database(store: CachedSQLTrackerStore, tmp_path: Path) -> None:
    """What a deleted data folder or an unreachable server looks like to the store."""
    store.engine = sa.create_engine(f"sqlite:///{tmp_path / 'gone' / 't.db'}")
    store.sessionmaker = sa.orm.sessionmaker(bind=store.engine)


async def test_a_working_store_is_healthy(store) -> None:
    report = await TrackerStoreMonitor().check(FailSafeTrackerStore(store))
    assert report == {"status": "ok", "tracker_store": "CachedSQLTrackerStore"}


async def test_a_store_without_a_database_is_failing_and_says_so_in_the_log(
    store, tmp_path, caplog
) -> None:
    lose_the_database(store, tmp_path)
    with caplog.at_level(logging.ERROR):
        report = await TrackerStoreMonitor().check(FailSafeTrackerStore(store))
    assert report["status"] == "failing"
    assert report["tracker_store"] == "CachedSQLTrackerStore"
    assert "unable to open database file" in report["error"]
    assert f"{ALERT}: CachedSQLTrackerStore does not answer" in caplog.text


async def test_rasas_fallback_to_memory_is_logged_loudly_and_reported(
    store, tmp_path, caplog
) -> None:
    fail_safe = FailSafeTrackerStore(store)
    monitor = TrackerStoreMonitor()
    monitor.watch(fail_safe)
    lose_the_database(store, tmp_path)
    with caplog.at_level(logging.ERROR):
        assert await fail_safe.retrieve("rest:rep") is None  # Rasa's silent amnesia
    assert f"{ALERT}: CachedSQLTrackerStore failed and Rasa answered" in caplog.text
    report = await monitor.check(fail_safe)
    assert report["last_fallback"]["seconds_ago"] >= 0
    assert "unable to open database file" in report["last_fallback"]["error"]


def test_watching_twice_keeps_one_callback(store) -> None:
    fail_safe = FailSafeTrackerStore(store)
    monitor = TrackerStoreMonitor()
    monitor.watch(fail_safe)
    first = fail_safe._on_tracker_store_error
    monitor.watch(fail_safe)
    assert fail_safe._on_tracker_store_error is first


async def test_a_memory_store_has_nothing_to_probe() -> None:
    report = await TrackerStoreMonitor().check(InMemoryTrackerStore(Domain.empty()))
    assert report == {"status": "ok", "tracker_store": "InMemoryTrackerStore"}
