"""Conversations from a Rasa tracker store, through Rasa's TrackerStore interface only (so any
configured store works: the SQL store of endpoints.yml, Redis, in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import read_endpoint_config

from bot.report.page import render
from bot.report.stats import build


def tracker_store(endpoints: Path, domain: Path) -> TrackerStore:
    """The tracker store configured in ``endpoints`` (``tracker_store:``), as Rasa creates it."""
    config = read_endpoint_config(str(endpoints), endpoint_type="tracker_store")
    return create_tracker_store(config, Domain.load(str(domain)))


async def conversations(store: TrackerStore) -> AsyncIterator[list[dict[str, Any]]]:
    """Each stored conversation's events, every session of it, oldest first."""
    for sender_id in sorted(await store.keys()):
        tracker = await store.retrieve_full_tracker(sender_id)
        if tracker is not None:
            yield [event.as_dict() for event in tracker.events]


async def report_html(store: TrackerStore) -> str:
    return render(build([events async for events in conversations(store)]))
