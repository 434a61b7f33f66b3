"""``make report``: ``python -m bot.report [--endpoints endpoints.yml] [--out results/report.html]``
writes the trainers' report from the tracker store configured in the endpoints file."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rasa.core.tracker_store import InMemoryTrackerStore

from bot.report.source import report_html, tracker_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", type=Path, default=Path("endpoints.yml"))
    parser.add_argument("--domain", type=Path, default=Path("domain.yml"))
    parser.add_argument("--out", type=Path, default=Path("results/report.html"))
    args = parser.parse_args()
    store = tracker_store(args.endpoints, args.domain)
    html = asyncio.run(report_html(store))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(html, encoding="utf-8")
    print(f"Trainers' report: {args.out} ({store.__class__.__name__})")
    if isinstance(store, InMemoryTrackerStore):
        print(
            f"{args.endpoints} configures no tracker_store: conversations live only inside a "
            "running server, so this report is empty (see /report on the server instead)."
        )


if __name__ == "__main__":
    main()
