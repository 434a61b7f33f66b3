"""Where Slack's de-duplication keys live: a table that outlives the process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.channels import slack_dedup
from bot.channels.slack_dedup import (
    KEEP_SECONDS,
    TABLE_NAME,
    DatabaseKeys,
    RecentKeys,
    open_seen_keys,
    seen_table,
)


@pytest.mark.parametrize("upsert", [True, False], ids=["on-conflict", "per-key"])
def test_keys_outlive_the_process_that_saw_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upsert: bool
) -> None:
    if not upsert:  # what databases without INSERT … ON CONFLICT go through
        monkeypatch.setattr(slack_dedup, "_UPSERT_DIALECTS", {})
    url = f"sqlite:///{tmp_path / 'seen.db'}"
    before_restart = DatabaseKeys(sa.create_engine(url))
    assert before_restart.seen_before(["event:Ev1", "message:D1:1.2"]) is False
    assert before_restart.seen_before(["event:Ev1"]) is True
    after_restart = DatabaseKeys(sa.create_engine(url))  # a new process: empty memory
    assert after_restart.seen_before(["client_msg:x", "message:D1:1.2"]) is True
    assert after_restart.seen_before(["event:Ev2"]) is False


def test_old_keys_are_purged(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'seen.db'}")
    keys = DatabaseKeys(engine)
    with engine.begin() as connection:
        old = time.time() - KEEP_SECONDS - 10
        connection.execute(seen_table.insert().values(key="event:old", seen_at=old))
    assert keys.seen_before(["event:new"]) is False
    with engine.connect() as connection:
        stored = {row.key for row in connection.execute(sa.select(seen_table.c.key))}
    assert stored == {"event:new"}


def test_the_sql_tracker_stores_database_is_used(tmp_path: Path) -> None:
    database = tmp_path / "rasa.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(database))

    class Agent:  # what the channel reads: agent.tracker_store, wrapped as Rasa wraps it
        tracker_store = FailSafeTrackerStore(store)

    keys = open_seen_keys(None, Agent())
    assert isinstance(keys, DatabaseKeys)
    assert keys.seen_before(["event:Ev9"]) is False
    tables = sa.inspect(sa.create_engine(f"sqlite:///{database}")).get_table_names()
    assert {"events", TABLE_NAME} <= set(tables)


def test_an_unusable_database_leaves_the_keys_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    keys = open_seen_keys(f"sqlite:///{blocked / 'seen.db'}")
    assert isinstance(keys, RecentKeys)
    assert keys.seen_before(["a"]) is False and keys.seen_before(["a"]) is True
