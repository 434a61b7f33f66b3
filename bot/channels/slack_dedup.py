"""Which Slack deliveries were already accepted, in memory and in a database that outlives the
process (so a retry that arrives after a restart is still answered only once).

The database is the SQL tracker store's when Rasa uses one (a small table beside `events`), or
the one `dedup_db_url` names, or a SQLite file in `.rasa/`. Keys are kept for an hour: Slack
retries within minutes and refuses signatures older than five.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

logger = logging.getLogger(__name__)

DEFAULT_DEDUP_CAPACITY = 5000
KEEP_SECONDS = 60 * 60
DEFAULT_SQLITE_PATH = Path(".rasa") / "slack-dedup.db"
TABLE_NAME = "sales_coach_slack_seen"
MAX_KEY_LENGTH = 255


class SeenKeys(Protocol):
    def seen_before(self, keys: Iterable[str]) -> bool: ...


class RecentKeys:
    """A bounded set of recently seen keys (oldest forgotten first), in this process only."""

    def __init__(self, capacity: int = DEFAULT_DEDUP_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def seen_before(self, keys: Iterable[str]) -> bool:
        """Record `keys`; True when any of them was already recorded.

        Synchronous on purpose: with no await between the check and the insert, two deliveries
        of one message on the event loop cannot both pass.
        """
        keys = [key for key in keys if key]
        duplicate = any(key in self._keys for key in keys)
        for key in keys:
            self._keys[key] = None
            self._keys.move_to_end(key)
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return duplicate


_metadata = sa.MetaData()
seen_table = sa.Table(
    TABLE_NAME,
    _metadata,
    sa.Column("key", sa.String(MAX_KEY_LENGTH), primary_key=True),
    sa.Column("seen_at", sa.Float, nullable=False, index=True),
)


# INSERT … ON CONFLICT DO NOTHING: all keys of a delivery in one transaction.
_UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class DatabaseKeys:
    """Seen keys in a SQL table, in front of an in-memory set for this process's own repeats.

    The primary key makes "first to insert wins" hold across processes and restarts. A database
    error is logged and the in-memory answer stands: a double answer is better than none.
    """

    def __init__(self, engine: Engine, capacity: int = DEFAULT_DEDUP_CAPACITY) -> None:
        self.engine = engine
        self.memory = RecentKeys(capacity)
        seen_table.create(engine, checkfirst=True)
        self._next_purge = 0.0

    def seen_before(self, keys: Iterable[str]) -> bool:
        keys = [key[:MAX_KEY_LENGTH] for key in keys if key]
        duplicate = self.memory.seen_before(keys)
        now = time.time()
        try:
            self._purge(now)
            duplicate = self._insert_all(keys, now) or duplicate
        except SQLAlchemyError as error:
            logger.error("Slack de-duplication table unavailable: %s", error.__class__.__name__)
        return duplicate

    def _insert_all(self, keys: list[str], now: float) -> bool:
        """Insert `keys` in one transaction; True when any was there already."""
        dialect = self.engine.dialect.name
        if dialect in _UPSERT_DIALECTS:
            insert = _UPSERT_DIALECTS[dialect](seen_table).on_conflict_do_nothing()
            with self.engine.begin() as connection:
                inserted = [
                    connection.execute(insert.values(key=key, seen_at=now)).rowcount for key in keys
                ]
            return any(count == 0 for count in inserted)
        # Other databases: one transaction per key, the primary key refusing a repeat.
        duplicate = False
        for key in keys:
            try:
                with self.engine.begin() as connection:
                    connection.execute(seen_table.insert().values(key=key, seen_at=now))
            except IntegrityError:
                duplicate = True
        return duplicate

    def _purge(self, now: float) -> None:
        if now < self._next_purge:
            return
        with self.engine.begin() as connection:
            old = seen_table.c.seen_at < now - KEEP_SECONDS
            connection.execute(seen_table.delete().where(old))
        self._next_purge = now + 60


def sqlite_engine(path: Path = DEFAULT_SQLITE_PATH) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(f"sqlite:///{path}")


def tracker_store_engine(agent: Any) -> Engine | None:
    """The SQLAlchemy engine of the agent's tracker store, if it is a SQL one."""
    store = getattr(agent, "tracker_store", None)
    # Rasa wraps stores (FailSafeTrackerStore keeps the real one in `_tracker_store`).
    store = getattr(store, "_tracker_store", store)
    engine = getattr(store, "engine", None)
    return engine if isinstance(engine, Engine) else None


def open_seen_keys(
    url: str | None, agent: Any = None, capacity: int = DEFAULT_DEDUP_CAPACITY
) -> SeenKeys:
    """The store for seen keys: `url`, else the SQL tracker store's database, else SQLite."""
    try:
        if url:
            engine = sa.create_engine(url)
            where = engine.url.render_as_string(hide_password=True)
        elif (engine := tracker_store_engine(agent)) is not None:
            where = "the tracker store's database"
        else:
            engine = sqlite_engine()
            where = str(DEFAULT_SQLITE_PATH)
        keys = DatabaseKeys(engine, capacity)
    except (SQLAlchemyError, OSError) as error:
        logger.error("Slack de-duplication stays in memory (no database: %s)", error)
        return RecentKeys(capacity)
    logger.info("Slack de-duplication keys are kept in %s", where)
    return keys
