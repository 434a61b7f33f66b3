"""bot/tracker_store.py: a kept tracker is always what Rasa's SQL store would load."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import read_endpoint_config

from bot.tracker_store import CachedSQLTrackerStore
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "domain.yml"))


def stores(
    tmp_path: Path, domain: Domain, **kwargs
) -> tuple[CachedSQLTrackerStore, SQLTrackerStore]:
    """Ours and Rasa's own, on the same SQLite file (as two replicas on one database)."""
    db = str(tmp_path / "trackers.db")
    ours = CachedSQLTrackerStore(domain, dialect="sqlite", db=db, **kwargs)
    return ours, SQLTrackerStore(domain, dialect="sqlite", db=db)


def run(coroutine):
    return asyncio.run(coroutine)


def turn(text: str, intent: str, language: str = "en") -> list[Event]:
    """One ordinary turn's events, stamped now."""
    return [
        UserUttered(text, {"name": intent, "confidence": 0.9}, [], {"text": text}),
        SlotSet("language", language),
        ActionExecuted("action_answer_topic"),
        BotUttered(f"answer to {text}", {"custom": {"sales_coach": {"id": intent}}}),
        SlotSet("topic", "follow_up"),
        ActionExecuted("action_listen"),
    ]


def session_start() -> list[Event]:
    """As Rasa's processor logs them: the action's events are made (stamped) before the
    `ActionExecuted` that precedes them."""
    started = [SessionStarted(), ActionExecuted("action_listen")]
    return [ActionExecuted("action_session_start"), *started]


def state(tracker: DialogueStateTracker | None) -> dict:
    assert tracker is not None
    return tracker.current_state(EventVerbosity.ALL)


async def one_turn(store, sender: str, events: list[Event]) -> DialogueStateTracker:
    """What Rasa's processor does with a message: get or create, update, save."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


def test_a_kept_tracker_is_what_rasas_store_loads(tmp_path, domain) -> None:
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        for i in range(6):
            before = ours.hits
            kept = await ours.retrieve("rep")
            assert ours.hits == before + 1  # served from memory, after one query
            assert state(kept) == state(await rasa.retrieve("rep"))
            for event in turn(f"q{i}", "ask_drive", "zh-Hant"):
                kept.update(event)
            await ours.save(kept)
        assert state(await ours.retrieve("rep")) == state(await rasa.retrieve("rep"))

    run(conversation())


def test_a_new_session_is_read_from_the_database(tmp_path, domain) -> None:
    """The turn that starts a session is not kept: Rasa's query drops the events stamped before
    the new SessionStarted, the kept tracker would still have them."""
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        tracker = await ours.retrieve("rep")
        tracker.update(UserUttered("/session_start", {"name": "session_start"}))
        time.sleep(0.01)
        for event in session_start() + [SlotSet("language", "en")]:
            tracker.update(event)
        await ours.save(tracker)
        assert "rep" not in ours._kept
        misses = ours.misses
        loaded = await ours.retrieve("rep")
        assert ours.misses == misses + 1
        assert loaded is not tracker
        assert state(loaded) == state(await rasa.retrieve("rep"))
        assert not any(isinstance(e, UserUttered) for e in loaded.events)

    run(conversation())


def test_another_replicas_events_are_never_missed(tmp_path, domain) -> None:
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        await one_turn(ours, "rep", turn("drive?", "ask_drive"))
        # another replica (Rasa's own store on the same database) answers the next message
        await one_turn(rasa, "rep", turn("tenacity?", "ask_tenacity"))
        tracker = await ours.retrieve("rep")
        assert tracker.latest_message.text == "tenacity?"
        assert state(tracker) == state(await rasa.retrieve("rep"))
        # and our own next turn is stored after it, not over it
        for event in turn("more", "ask_more"):
            tracker.update(event)
        await ours.save(tracker)
        texts = [e.text for e in (await rasa.retrieve("rep")).events if isinstance(e, UserUttered)]
        assert texts == ["hi", "drive?", "tenacity?", "more"]

    run(conversation())


def test_a_failed_turn_leaves_nothing_in_the_cache(tmp_path, domain) -> None:
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        tracker = await ours.retrieve("rep")
        for event in turn("drive?", "ask_drive"):
            tracker.update(event)  # ... and the turn fails before its save
        again = await ours.retrieve("rep")
        assert again is not tracker
        assert state(again) == state(await rasa.retrieve("rep"))
        assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["hi"]

    run(conversation())


def test_events_added_after_the_save_are_not_served(tmp_path, domain) -> None:
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        tracker = await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        tracker.update(SlotSet("topic", "drive"))  # after its save, never saved
        loaded = await ours.retrieve("rep")
        assert loaded is not tracker
        assert state(loaded) == state(await rasa.retrieve("rep"))

    run(conversation())


def test_a_failed_save_keeps_nothing(tmp_path, domain, monkeypatch) -> None:
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        tracker = await ours.retrieve("rep")
        for event in turn("drive?", "ask_drive"):
            tracker.update(event)

        def broken_commit(*args, **kwargs):
            raise RuntimeError("database gone")

        with monkeypatch.context() as patch:
            patch.setattr("sqlalchemy.orm.session.Session.commit", broken_commit)
            with pytest.raises(RuntimeError):
                await ours.save(tracker)
        loaded = await ours.retrieve("rep")
        assert loaded is not tracker
        assert state(loaded) == state(await rasa.retrieve("rep"))

    run(conversation())


def test_memory_is_bounded(tmp_path, domain) -> None:
    ours, _ = stores(tmp_path, domain, cache_events=100, cache_trackers=3)

    async def conversations() -> None:
        for i in range(10):
            await one_turn(ours, f"rep{i}", session_start() + turn("hi", "greet"))
            assert ours._kept_events <= 100 and len(ours._kept) <= 3
            assert ours._kept_events == sum(len(k.tracker.events) for k in ours._kept.values())
        assert list(ours._kept) == ["rep7", "rep8", "rep9"]  # least recently used dropped
        hits = ours.hits
        await ours.retrieve("rep0")
        assert ours.hits == hits  # dropped: read from the database
        small, _ = stores(tmp_path, domain, cache_events=5)
        await one_turn(small, "big", session_start() + turn("hi", "greet"))
        assert not small._kept  # larger than the whole cache: not kept

    run(conversations())


def test_the_project_endpoints_select_it(tmp_path, monkeypatch, domain) -> None:
    config = read_endpoint_config(str(PROJECT_DIR / "endpoints.yml"), "tracker_store")
    (tmp_path / "var").mkdir()
    monkeypatch.chdir(tmp_path)
    store = create_tracker_store(config, domain)
    assert isinstance(store, CachedSQLTrackerStore)
    # its durability setting, on the connections the store uses (Rasa builds the store before
    # anything of the project's is imported, so the store itself must set it)
    assert config.kwargs["sqlite_journal_mode"] == "WAL"
    assert pragmas(store) == ("wal", 1)  # 1: NORMAL
    assert (tmp_path / "var" / "trackers.db-wal").exists()


def pragmas(store: SQLTrackerStore) -> tuple[str, int]:
    with store.session_scope() as session:
        connection = session.connection()
        return (
            connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
            connection.exec_driver_sql("PRAGMA synchronous").scalar(),
        )


def test_sqlites_durability_is_sqlites_default_unless_set(tmp_path, domain) -> None:
    ours, rasa = stores(tmp_path, domain)
    assert pragmas(ours) == pragmas(rasa) == ("delete", 2)  # 2: FULL
    set_ = CachedSQLTrackerStore(
        domain, dialect="sqlite", db=str(tmp_path / "set.db"), sqlite_synchronous="normal"
    )
    assert pragmas(set_) == ("delete", 1)
    with pytest.raises(ValueError, match="sqlite_journal_mode"):
        CachedSQLTrackerStore(
            domain, dialect="sqlite", db=str(tmp_path / "x.db"), sqlite_journal_mode="WAL; DROP"
        )


def test_a_turn_saved_on_the_log_is_read_by_another_process_store(tmp_path, domain) -> None:
    ours, rasa = stores(tmp_path, domain, sqlite_journal_mode="WAL", sqlite_synchronous="NORMAL")
    run(one_turn(ours, "rep", turn("how do i follow up", "ask_follow_up")))
    # Rasa's own store, another engine on the same file (as `make report` reads it)
    assert [e.type_name for e in run(rasa.retrieve("rep")).events] == [
        "user", "slot", "action", "bot", "slot", "action"
    ]  # fmt: skip


# Rasa's code this module repeats or relies on, as in Rasa 3.6.21: if it changes, read the new
# version and bring bot/tracker_store.py in line before updating these digests.
RASA_CODE = {
    "save": "57165e46eab3de08",
    "_retrieve": "c8adbf6f4b61ddd1",
    "_event_query": "cd44f7901b860bfd",
    "_additional_events": "d22f99eb863acb07",
}


@pytest.mark.parametrize("name", sorted(RASA_CODE))
def test_rasas_sql_store_is_the_one_this_was_written_against(name) -> None:
    source = inspect.getsource(getattr(SQLTrackerStore, name))
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == RASA_CODE[name]


def test_sqlite_connections_are_pooled(tmp_path, domain) -> None:
    from sqlalchemy.pool import QueuePool

    ours, _ = stores(tmp_path, domain)
    assert isinstance(ours.engine.pool, QueuePool)


def test_its_count_of_stored_events_is_rasas(tmp_path, domain) -> None:
    """The key query counts what Rasa's query for the current session counts, across new
    sessions (and without one), and uses the indexes it adds."""
    ours, rasa = stores(tmp_path, domain)

    def rasas_count(sender: str) -> tuple[int, int]:
        with rasa.session_scope() as session:
            rows = rasa._event_query(session, sender, fetch_events_from_all_sessions=False).all()
            return len(rows), max(row.id for row in rows)

    async def conversations() -> None:
        await one_turn(rasa, "no-session", turn("hi", "greet"))
        await one_turn(rasa, "sessions", session_start() + turn("hi", "greet"))
        for i in range(3):
            tracker = await rasa.retrieve("sessions")
            tracker.update(UserUttered("/session_start", {"name": "session_start"}))
            time.sleep(0.01)
            for event in session_start() + turn(f"q{i}", "ask_drive"):
                tracker.update(event)
            await rasa.save(tracker)
            for sender in ("no-session", "sessions"):
                with ours.session_scope() as session:
                    assert ours._rows_key(session, sender) == rasas_count(sender)

    run(conversations())
    # rows without a timestamp (Rasa writes none): counted as Rasa's query counts them, only
    # in a conversation without a session start
    with ours.engine.begin() as connection:
        for sender in ("no-session", "sessions"):
            connection.exec_driver_sql(
                "INSERT INTO events (sender_id, type_name, timestamp, data)"
                " VALUES (?, 'slot', NULL, '{}')",
                (sender,),
            )
    # one turn and the new row; the latest session's start and turn, without it
    for sender, rows in (("no-session", 6 + 1), ("sessions", 3 + 6)):
        with ours.session_scope() as session:
            assert ours._rows_key(session, sender) == rasas_count(sender)
        assert rasas_count(sender)[0] == rows
    with ours.engine.connect() as connection:
        names = {row[1] for row in connection.exec_driver_sql("PRAGMA index_list(events)")}
        assert {"ix_events_sender_type_time", "ix_events_sender_time"} <= names
        compiled = ours._statements.rows_key.compile(dialect=ours.engine.dialect)
        values = compiled.construct_params({"sender_id": "sessions"})
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(values[n] for n in compiled.positiontup)
        ).all()
        steps = [row[-1] for row in plan]
        # the session's rows by (sender, time), the session starts by (sender, type, time):
        # never a scan of the conversation's whole history
        assert (
            "SEARCH events USING COVERING INDEX ix_events_sender_time (sender_id=? AND timestamp>?)"
            in steps
        )
        assert any(
            "INDEX ix_events_sender_type_time (sender_id=? AND type_name=?)" in s for s in steps
        )
        # a search on the sender alone would read the whole history too
        assert not any(s.startswith("SCAN events") or s.endswith("(sender_id=?)") for s in steps)


def test_its_rows_are_the_ones_rasas_save_writes(tmp_path, domain) -> None:
    """The same turns saved by Rasa's store and by ours, each in its own SQLite file: the
    same rows, column for column (ids included), and the tracker still served from memory."""
    ours = CachedSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasa = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    tracker = DialogueStateTracker("rep", domain.slots)

    def rows(store: SQLTrackerStore) -> list[tuple]:
        with store.engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.exec_driver_sql(
                    "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data"
                    " FROM events ORDER BY id"
                )
            ]

    async def conversation() -> None:
        for events in [session_start() + turn("hi", "greet"), turn("q", "ask_drive", "zh-Hant")]:
            for event in events:
                tracker.update(event)
            await rasa.save(tracker)
            await ours.save(tracker)
            assert rows(ours) == rows(rasa)
        await ours.save(tracker)  # nothing new: nothing written
        assert rows(ours) == rows(rasa)
        assert len(rows(ours)) == len(tracker.events)
        assert await ours.retrieve("rep") is tracker  # its key is the rows' highest id
        assert ours.hits == 1

    run(conversation())


def test_its_session_check_reads_only_the_new_events_and_agrees_with_the_full_one(
    domain,
) -> None:
    """`_one_session_start` (O(turn)) against `_is_one_session` (every event) after every
    possible split into known and new events, on trackers with clocks that go back, sessions
    started late, several starts in one turn and none at all."""
    import random

    rng = random.Random(7)
    compared = disagreeing_cases = 0
    for _ in range(300):
        tracker = DialogueStateTracker("rep", domain.slots)
        for _ in range(rng.randint(1, 12)):
            event = rng.choice([SessionStarted(), ActionExecuted("action_listen"), SlotSet("a", 1)])
            event.timestamp = float(rng.randint(0, 6))
            tracker.update(event)
        expected = CachedSQLTrackerStore._is_one_session(tracker)
        for known in range(len(tracker.events) + 1):
            prefix = list(tracker.events)[:known]
            starts = [e.timestamp for e in prefix if isinstance(e, SessionStarted)]
            if starts and not all(e.timestamp >= max(starts) for e in prefix):
                continue  # the known events must be one session: the method's premise
            start = max(starts, default=None)
            ours = CachedSQLTrackerStore._one_session_start(tracker, known, start)
            every = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
            assert ours == (expected, max(every, default=None))
            compared += 1
            disagreeing_cases += not expected
    assert compared > 1000 and disagreeing_cases > 100


def test_a_kept_tracker_is_checked_without_reading_its_earlier_events(
    tmp_path, domain, monkeypatch
) -> None:
    """Late in a session, the save of a kept tracker does not walk the whole session, and the
    tracker is still kept and still what Rasa's store loads."""
    ours, rasa = stores(tmp_path, domain)

    async def conversation() -> None:
        await one_turn(ours, "rep", session_start() + turn("hi", "greet"))
        for i in range(4):
            await one_turn(ours, "rep", turn(f"q{i}", "ask_drive"))
        monkeypatch.setattr(
            CachedSQLTrackerStore,
            "_is_one_session",
            staticmethod(lambda _tracker: pytest.fail("the whole session was read")),
        )
        hits = ours.hits
        await one_turn(ours, "rep", turn("late", "ask_drive"))
        assert ours.hits == hits + 1 and "rep" in ours._kept
        assert state(await ours.retrieve("rep")) == state(await rasa.retrieve("rep"))

    run(conversation())
