"""The cluster's stores, started the way `make cluster` starts them: Rasa's SQL tracker store on
PostgreSQL and RedisLockStore on Redis work with the generated settings, and a dead database is
reported loudly instead of Rasa's silent fallback to memory (FailSafeTrackerStore)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.store_health import TrackerStoreMonitor
from bot.tools import cluster

from .conftest import free_port


@pytest.fixture(scope="module")
def stores() -> Iterator[cluster.Settings]:
    # PostgreSQL runs as the postgres user, which must be able to enter the run folder:
    # pytest's own temporary folders are private to root.
    base = Path(tempfile.mkdtemp(prefix="sales-coach-cluster-test-"))
    base.chmod(0o755)
    settings = cluster.Settings.from_env(
        {
            "CLUSTER_RUN_DIR": str(base / "cluster"),
            "POSTGRES_PORT": str(free_port()),
            "REDIS_PORT": str(free_port()),
        }
    )
    values = cluster.passwords(settings)
    cluster.write_configs(settings, settings.run_dir, values)
    try:
        cluster.start_postgres(settings, values)
        cluster.start_redis(settings, values)
        yield settings
    finally:
        cluster.stop(settings)
        shutil.rmtree(base, ignore_errors=True)


def tracker_store(
    settings: cluster.Settings, store_class: type[SQLTrackerStore] = SQLTrackerStore
) -> SQLTrackerStore:
    return store_class(
        domain=Domain.empty(),
        dialect="postgresql",
        host="127.0.0.1",
        port=settings.postgres_port,
        db=cluster.DB_NAME,
        username=cluster.DB_USER,
        password=cluster.passwords(settings)["SALES_COACH_DB_PASSWORD"],
    )


def test_replicas_sharing_postgresql_never_serve_a_stale_tracker(stores: cluster.Settings) -> None:
    """Two replicas' stores (bot/tracker_store.py) answer one conversation in turn: each
    sees the other's turns, and the stored conversation has every turn once, in order."""
    from bot.tracker_store import CachedSQLTrackerStore

    def replica() -> SQLTrackerStore:
        return tracker_store(stores, CachedSQLTrackerStore)

    async def conversation() -> list[str]:
        replicas = [replica(), replica()]
        for i in range(6):
            store = replicas[i % 3 % 2]  # 0, 1, 0, 0, 1, 0: kept trackers and stale ones
            tracker = await store.get_or_create_tracker("rep-cache", append_action_listen=False)
            texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
            assert texts == [f"q{j}" for j in range(i)]
            tracker.update(UserUttered(f"q{i}"))
            tracker.update(BotUttered(f"a{i}"))
            await store.save(tracker)
        assert sum(r.hits for r in replicas) >= 1  # the cache was used, and never stale
        stored = await tracker_store(stores).retrieve_full_tracker("rep-cache")
        return [e.text for e in stored.events if isinstance(e, UserUttered)]

    assert asyncio.run(conversation()) == [f"q{i}" for i in range(6)]


def test_the_row_count_on_postgresql_is_rasas_query_in_one_round_trip(
    stores: cluster.Settings,
) -> None:
    """bot/tracker_store.py's one key query, on PostgreSQL: what Rasa's session query loads,
    before and after session starts."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    from bot.tracker_store import CachedSQLTrackerStore

    ours, rasa = tracker_store(stores, CachedSQLTrackerStore), tracker_store(stores)

    def rasas_key(sender: str) -> tuple[int, int]:
        with rasa.session_scope() as session:
            rows = rasa._event_query(session, sender, fetch_events_from_all_sessions=False).all()
            return len(rows), max(row.id for row in rows)

    async def conversation() -> list[int]:
        counts = []
        tracker = DialogueStateTracker("rep-key", [])
        for i in range(3):
            if i:  # a new session, as Rasa starts one
                tracker.update(ActionExecuted("action_session_start"))
                tracker.update(SessionStarted())
            tracker.update(UserUttered(f"q{i}"))
            tracker.update(BotUttered(f"a{i}"))
            await rasa.save(tracker)
            with ours.session_scope() as session:
                assert ours._rows_key(session, "rep-key") == rasas_key("rep-key")
            counts.append(rasas_key("rep-key")[0])
        return counts

    # both rows before any session start; then the latest session's start, question, answer
    assert asyncio.run(conversation()) == [2, 3, 3]


def test_rasa_keeps_a_conversation_in_postgresql(stores: cluster.Settings) -> None:
    tracker = DialogueStateTracker.from_events(
        "rep-1", [UserUttered("hi"), BotUttered("Hello! I coach sales reps.")]
    )
    asyncio.run(tracker_store(stores).save(tracker))

    stored = asyncio.run(tracker_store(stores).retrieve_full_tracker("rep-1"))  # a new store

    assert [(e.type_name, getattr(e, "text", None)) for e in stored.events] == [
        ("user", "hi"),
        ("bot", "Hello! I coach sales reps."),
    ]


def test_rasa_locks_a_conversation_in_redis_behind_a_password(stores: cluster.Settings) -> None:
    config = cluster.endpoints(stores, 0)["lock_store"]
    password = cluster.passwords(stores)["SALES_COACH_REDIS_PASSWORD"]
    locks = RedisLockStore(
        host=config["url"], port=config["port"], password=password, key_prefix="sales_coach"
    )

    async def hold() -> int:
        async with locks.lock("rep-2"):
            return len(locks.get_lock("rep-2").tickets)  # as every replica sees it

    assert asyncio.run(hold()) == 1
    assert locks.get_lock("rep-2") is None  # released
    with pytest.raises(redis.AuthenticationError):
        redis.StrictRedis(host="127.0.0.1", port=stores.redis_port).ping()


def test_a_dead_database_fails_the_health_check_with_an_error_line(
    stores: cluster.Settings, caplog: pytest.LogCaptureFixture
) -> None:
    values = cluster.passwords(stores)
    assert cluster.store_problems(stores, values) == []

    cluster.stop_postgres(stores)
    try:
        # What Rasa does on its own: one log line, then an empty conversation from memory.
        fail_safe = FailSafeTrackerStore(tracker_store(stores))
        with caplog.at_level(logging.ERROR):
            assert asyncio.run(fail_safe.retrieve("rep-1")) is None
        assert "Falling back to use the 'InMemoryTrackerStore'" in caplog.text

        problems, replicas = cluster.health(stores, values)
        assert len(problems) == 1
        assert problems[0].startswith("PostgreSQL (tracker store) unreachable")
        assert replicas == [False, False]
        strikes = cluster.Strikes([1, 1], [0, 0])
        assert cluster.replicas_down(strikes, set(), stores_ok=not problems) == {0, 1}
    finally:
        cluster.start_postgres(stores, values)
    assert cluster.store_problems(stores, values) == []


def test_the_replicas_own_health_check_fails_without_postgresql(
    stores: cluster.Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The replicas' health check (bot/store_health.py, read through the REST channel's health
    route) on PostgreSQL."""
    values = cluster.passwords(stores)
    store = FailSafeTrackerStore(tracker_store(stores))
    monitor = TrackerStoreMonitor()
    monitor.watch(store)
    assert asyncio.run(monitor.check(store))["status"] == "ok"

    cluster.stop_postgres(stores)
    try:
        with caplog.at_level(logging.ERROR):
            report = asyncio.run(monitor.check(store))
            assert asyncio.run(store.retrieve("rep-1")) is None  # Rasa's fallback, now reported
        assert report["status"] == "failing"
        assert report["tracker_store"] == "SQLTrackerStore"
        assert "TRACKER STORE FAILED" in caplog.text
    finally:
        cluster.start_postgres(stores, values)
