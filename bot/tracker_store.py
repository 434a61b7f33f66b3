"""Rasa's SQL tracker store with the conversations in use kept in memory, checked against the
database on every use. endpoints.yml names it (`type: bot.tracker_store.CachedSQLTrackerStore`);
`make cluster` uses it on PostgreSQL.

Rasa's `SQLTrackerStore` reads every event of the current session from the database on every
message and replays them into a new tracker (json decoding, an `Event` per row, every event
applied): a fifth of the Rasa server's busy time, and growing with the session. Here a tracker
that this process saved is kept, and the next `retrieve` hands it back after one query that
says whether the database still holds exactly what the tracker holds:

- The key is the count and the highest id of the rows Rasa's own query for the current session
  would load (`_event_query`). Another replica (or process) that appends to the conversation
  changes both; so does a new session started elsewhere. A mismatch, or any doubt, reads the
  database as Rasa does. A kept tracker is never served stale.
- `retrieve` takes the tracker out of the cache and `save` puts it back only after the commit:
  a turn that fails before its save leaves nothing in the cache, and the next message reads
  the database. A tracker with events its caller added after the save (its length differs) is
  not served either.
- A tracker is kept only when it is what Rasa's query would load: its events are exactly the
  session's rows (the counts add up) and none is older than the session's start. The turn that
  starts a new session is not kept (the next message reads the new session from the database).
  The tracker notes its latest session start, so a save checks only the turn's new events
  against it (the earlier ones were checked when loaded or kept), not the whole session.
- Bounded memory: at most `cache_events` events (endpoints.yml; default 50000) and
  `cache_trackers` conversations (1000), least recently used dropped first; 0 turns it off.
  Measured (tracemalloc, a 490-event session): 0.25 KB per event, and as much again for the
  policies' states bot/rasa_speedups.py keeps on a tracker: about 27 MB when full.

SQLite's durability is a setting of endpoints.yml (`sqlite_journal_mode`, `sqlite_synchronous`:
SQLite's PRAGMAs, run on each of the store's connections; unset, SQLite's defaults). The project
sets WAL and NORMAL: a commit writes the log and syncs nothing (the default, DELETE and FULL,
syncs the disk on every commit, with the server's one thread waiting); a crash or kill of the
process loses nothing, a power cut or OS crash may lose the last commits.

`save` is Rasa's `SQLTrackerStore.save` with two changes: the query that counts the rows already
stored (Rasa's `_additional_events`) also returns their highest id, the same key as above; and a
turn's new rows go in as one executemany (the same rows and column values as Rasa's, compared in
the tests), not an ORM object, a flush and an INSERT per event. Every query is a Core statement
built once (`_Statements`): SQLAlchemy caches its compiled form, where an ORM query is built,
keyed and compiled again on every call.
tests/test_tracker_store.py fails when Rasa's `save`, `_retrieve` or `_event_query` change.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.pool import NullPool, QueuePool

logger = logging.getLogger(__name__)

# (number of rows, highest id) of the current session's rows of one conversation
Key = tuple[int, Any]
# where a tracker notes the rows it was loaded from or saved as
_KEY_ATTRIBUTE = "_sales_coach_rows"
# and the latest SessionStarted timestamp among their events (None: there is none)
_START_ATTRIBUTE = "_sales_coach_session_start"
_UNKNOWN = object()


def _last(tracker: DialogueStateTracker, count: int) -> list[Event]:
    """The tracker's last `count` events, read from the end of its deque (islice from the
    start walks the whole session)."""
    if count <= 0:
        return []
    return list(itertools.islice(reversed(tracker.events), count))[::-1]


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    key: Key
    size: int  # len(tracker.events) when it was saved


def _run_pragmas(pragmas: list[str]) -> Any:
    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    return on_connect


@dataclass(frozen=True)
class _Statements:
    """The store's queries, built once as Core statements on Rasa's table: SQLAlchemy keeps
    each one's compiled form, where an ORM query was built, keyed and compiled on every use
    (a tenth of the Rasa server's busy time under load, py-spy). The same SQL as the ORM's."""

    rows_key: Any  # (count, highest id) of the current session's rows of a conversation
    highest: Any  # its highest id
    insert: Any

    @classmethod
    def of(cls, table: sa.Table) -> _Statements:
        sender = table.c.sender_id == sa.bindparam("sender_id")
        started = sa.and_(sender, table.c.type_name == SessionStarted.type_name)
        latest_start = sa.select(sa.func.max(table.c.timestamp)).where(started)
        # Rasa's condition, `timestamp >= start OR start IS NULL`, as two branches that each
        # search an index range, in one round trip: the rows stamped from the latest session
        # start on (from -inf when there is none), and the rows without a timestamp when
        # there is none. Rasa writes none of those; they count exactly as in its query.
        start = latest_start.scalar_subquery()
        ids = sa.union_all(
            sa.select(table.c.id).where(
                sender, table.c.timestamp >= sa.func.coalesce(start, sa.literal(float("-inf")))
            ),
            sa.select(table.c.id).where(sender, table.c.timestamp.is_(None), start.is_(None)),
        ).subquery()
        return cls(
            rows_key=sa.select(sa.func.count(ids.c.id), sa.func.max(ids.c.id)),
            highest=sa.select(sa.func.max(table.c.id)).where(sender),
            insert=table.insert(),
        )


# what the `sqlite_journal_mode` and `sqlite_synchronous` settings accept (SQLite's PRAGMAs)
SQLITE_JOURNAL_MODES = frozenset({"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"})
SQLITE_SYNCHRONOUS = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})


def _sqlite_pragmas(journal_mode: str | None, synchronous: str | None) -> list[str]:
    """The PRAGMAs for the settings (None: SQLite's default, no PRAGMA); only SQLite's own
    values, so a setting never reaches the database as arbitrary SQL."""
    pragmas = []
    for name, value, allowed in (
        ("journal_mode", journal_mode, SQLITE_JOURNAL_MODES),
        ("synchronous", synchronous, SQLITE_SYNCHRONOUS),
    ):
        if value is None:
            continue
        if str(value).upper() not in allowed:
            raise ValueError(f"sqlite_{name} must be one of {sorted(allowed)}, not {value!r}")
        pragmas.append(f"PRAGMA {name}={str(value).upper()}")
    return pragmas


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        *args: Any,
        cache_events: int = 50000,
        cache_trackers: int = 1000,
        sqlite_journal_mode: str | None = None,
        sqlite_synchronous: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        pragmas = _sqlite_pragmas(sqlite_journal_mode, sqlite_synchronous)
        if pragmas and self.engine.dialect.name != "sqlite":
            logger.warning("sqlite_journal_mode and sqlite_synchronous apply to SQLite only")
        if self.engine.dialect.name == "sqlite" and isinstance(self.engine.pool, NullPool):
            # SQLAlchemy 1.4 opens and closes a connection for every session on an SQLite
            # file (NullPool): a fifth of the server's time went to closing them. Pooled, as
            # SQLAlchemy 2 does; a connection goes back rolled back, so each session still
            # reads what other processes committed.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url,
                poolclass=QueuePool,
                pool_size=5,
                max_overflow=10,
                connect_args={"check_same_thread": False},
            )
            if pragmas:
                # on every connection of the pool, before its first use (synchronous is
                # per connection; WAL is kept in the file)
                sa.event.listen(self.engine, "connect", _run_pragmas(pragmas))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._create_indexes()
        self._statements = _Statements.of(self.SQLEvent.__table__)
        self.cache_events = int(cache_events)
        self.cache_trackers = int(cache_trackers)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._kept_events = 0
        self.hits = self.misses = 0

    # -- the cache ------------------------------------------------------------------------

    def _take(self, sender_id: str) -> _Kept | None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            self._kept_events -= kept.size
        return kept

    def _keep(self, sender_id: str, tracker: DialogueStateTracker, key: Key) -> None:
        size = len(tracker.events)
        if size > self.cache_events or self.cache_trackers <= 0:
            return
        self._kept[sender_id] = _Kept(tracker, key, size)
        self._kept_events += size
        while self._kept_events > self.cache_events or len(self._kept) > self.cache_trackers:
            _, dropped = self._kept.popitem(last=False)
            self._kept_events -= dropped.size

    def _rows_key(self, session: Any, sender_id: str) -> Key:
        """(count, highest id) of the rows Rasa's own query (`_event_query`) would load for
        the current session: those stamped at or after the latest session start, or all.
        One query on the indexes below, where Rasa's reads every row the conversation ever
        had (its `OR ... IS NULL` defeats any index): one round trip to the database, which
        each message makes twice (a kept tracker's check, and before the save)."""
        row = session.connection().execute(self._statements.rows_key, {"sender_id": sender_id})
        count, highest = row.one()
        return int(count), highest

    def _create_indexes(self) -> None:
        """The indexes the queries above read (Rasa's table has one on sender_id only), as
        DDL of their own: Rasa's table definition (its metadata) is left as it is."""
        table = self.SQLEvent.__tablename__
        for name, columns in (
            ("ix_events_sender_type_time", "sender_id, type_name, timestamp"),
            ("ix_events_sender_time", "sender_id, timestamp"),
        ):
            try:
                with self.engine.begin() as connection:
                    connection.exec_driver_sql(
                        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
                    )
            except sa.exc.SQLAlchemyError as error:  # e.g. another replica created it meanwhile
                logger.warning(f"Index {name} not created: {error}")

    @staticmethod
    def _is_one_session(tracker: DialogueStateTracker) -> bool:
        """Whether Rasa's query would load every event of the tracker: none is older than
        the latest session start (the query's filter)."""
        starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
        if not starts:
            return True
        start = max(starts)
        return all(event.timestamp >= start for event in tracker.events)

    @classmethod
    def _one_session_start(
        cls, tracker: DialogueStateTracker, known: int, start: Any
    ) -> tuple[bool, Any]:
        """`_is_one_session(tracker)` and the tracker's latest session start, given that its
        first `known` events are one session whose latest start is `start` (_UNKNOWN: not
        known). Only the events after them are read (O(turn), not O(session)), unless one of
        them starts a later session: then the earlier events may be older than it, and all are
        read, as `_is_one_session` does."""
        new = _last(tracker, len(tracker.events) - known)
        starts = [event.timestamp for event in new if isinstance(event, SessionStarted)]
        if start is _UNKNOWN or (known and starts and (start is None or max(starts) > start)):
            every = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
            return cls._is_one_session(tracker), max(every, default=None)
        latest = max([*starts, *([] if start is None else [start])], default=None)
        # the first `known` are at or after `start`, the latest start of the whole tracker
        return latest is None or all(event.timestamp >= latest for event in new), latest

    # -- Rasa's interface -----------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """Rasa's `retrieve`: the current session's tracker; the kept one if the database
        still holds exactly its events."""
        kept = self._take(sender_id)
        if kept is not None:
            with self.session_scope() as session:
                key = self._rows_key(session, sender_id)
            if key == kept.key and len(kept.tracker.events) == kept.size:
                self.hits += 1
                return kept.tracker
        self.misses += 1
        return await self._retrieve_session(sender_id)

    async def _retrieve_session(self, sender_id: str) -> DialogueStateTracker | None:
        """Rasa's `_retrieve(sender_id, fetch_events_from_all_sessions=False)`, noting on the
        tracker the count and highest id of the rows it was built from."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            events = [json.loads(row.data) for row in rows]
            if self.domain and len(events) > 0:
                logger.debug(f"Recreating tracker from sender id '{sender_id}'")
                tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
                setattr(tracker, _KEY_ATTRIBUTE, (len(rows), max(row.id for row in rows)))
                starts = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
                setattr(tracker, _START_ATTRIBUTE, max(starts, default=None))
                return tracker
            logger.debug(
                f"Can't retrieve tracker matching sender id '{sender_id}' from SQL storage. "
                f"Returning `None` instead."
            )
            return None

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The row Rasa's `save` writes for an event (its SQLEvent's columns but the id)."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's `save`; then the tracker is kept if it is exactly the session's rows."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        self._take(sender_id)  # whatever was kept for it is older than this

        with self.session_scope() as session:
            before = self._rows_key(session, sender_id)
            stored, highest = before
            # only store recent events (Rasa's `_additional_events`), Rasa's column values
            rows = [
                self._row(sender_id, event)
                for event in _last(tracker, len(tracker.events) - stored)
            ]
            if rows:
                # one executemany instead of an ORM object (and an INSERT) per event
                connection = session.connection()
                connection.execute(self._statements.insert, rows)
                highest = connection.execute(
                    self._statements.highest, {"sender_id": sender_id}
                ).scalar()
            session.commit()

        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

        # Kept only if the database held what the tracker was loaded from (nobody else wrote
        # since; a new conversation has no rows) and now holds exactly the tracker's events.
        loaded = tracker.__dict__.pop(_KEY_ATTRIBUTE, None)
        start = tracker.__dict__.pop(_START_ATTRIBUTE, _UNKNOWN)
        if before != (loaded if loaded is not None else (0, None)):
            return
        if stored + len(rows) != len(tracker.events):
            return
        # the first `stored` events are the rows Rasa's query loaded (or a kept tracker's,
        # checked at its save): one session, latest start `start`; a new one has none
        one_session, start = self._one_session_start(tracker, stored, start if stored else None)
        if not one_session:
            return
        key = (len(tracker.events), highest)
        setattr(tracker, _KEY_ATTRIBUTE, key)
        setattr(tracker, _START_ATTRIBUTE, start)
        self._keep(sender_id, tracker, key)
