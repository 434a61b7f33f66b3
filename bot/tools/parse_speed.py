"""How long the trained model takes to understand one message, in process: `make parse-speed`.

Loads models/sales-coach.tar.gz as the server does (with bot/rasa_speedups.py installed), parses
every question of the written held-out set and the real-question set once to warm up, then
again, timing each parse. Prints p50 / p90 / p99 in milliseconds per set and the process's peak
resident memory. No server, no action server: this is the NLU alone (issue 11's "parse p50").
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import structlog
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data

from bot import rasa_speedups

PROJECT_DIR = Path(__file__).resolve().parents[2]
SETS = [PROJECT_DIR / "tests/nlu/held_out.yml", PROJECT_DIR / "tests/nlu/real_questions.yml"]


async def timings(agent: Agent, texts: list[str]) -> list[float]:
    for text in texts:  # warm-up: first calls fill caches (jieba, the encoder's graph)
        await agent.parse_message(text)
    result = []
    for text in texts:
        start = time.perf_counter()
        await agent.parse_message(text)
        result.append((time.perf_counter() - start) * 1000)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.parse_speed", description=__doc__)
    parser.add_argument("--model", default=str(PROJECT_DIR / "models/sales-coach.tar.gz"))
    args = parser.parse_args(argv)
    # Rasa logs every parse at debug level: that would be timed too
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    rasa_speedups.install()
    print(f"load: {os.getloadavg()[0]:.1f} (1-min load average; 2 shared cores)")
    start = time.perf_counter()
    agent = Agent.load(args.model)
    print(f"model loaded in {time.perf_counter() - start:.1f} s")
    for path in SETS:
        texts = [example.get("text") for example in load_data(str(path)).intent_examples]
        ms = sorted(asyncio.run(timings(agent, texts)))
        p = statistics.quantiles(ms, n=100, method="inclusive")
        print(
            f"{path.name:22s} {len(ms):4d} messages  parse p50 {p[49]:5.1f} ms"
            f"  p90 {p[89]:5.1f} ms  p99 {p[98]:5.1f} ms"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
