"""The cluster benchmark's report: ratios and the floor target, from given measurements."""

from __future__ import annotations

import pytest

from bot.tools.cluster_bench import Throughput, report


def test_ratios_against_one_replica_and_the_floor() -> None:
    best = {
        "cluster": Throughput(messages=128, seconds=10.0, failures=0, p50=1.2),  # 12.8/s
        "one replica": Throughput(messages=128, seconds=16.0, failures=0, p50=2.0),  # 8/s
        "floor": Throughput(messages=128, seconds=20.0, failures=0, p50=0.4),  # 6.4/s
    }
    lines = report(best, senders=16, rounds=2)
    assert lines[0] == "Throughput, 16 concurrent senders (REST, loopback; best of 2)"
    assert "  12.8 msg/s" in lines[1] and "p50   1200 ms" in lines[1]
    assert lines[4] == "  cluster / one replica: 1.60x"
    assert lines[5].startswith("  cluster / Rasa floor:  2.00x") and lines[5].endswith("PASS")
    assert lines[6] == "  one replica / floor:   1.25x"


def test_below_the_target_is_a_miss_and_no_floor_says_so() -> None:
    slow = Throughput(messages=10, seconds=10.0, failures=0, p50=1.0)
    fast = Throughput(messages=15, seconds=10.0, failures=0, p50=1.0)
    assert report({"c": fast, "r": slow, "f": slow}, 16, 1)[-2].endswith("MISS")
    assert "not measured" in report({"c": fast, "r": slow}, 16, 1)[-1]


def test_per_second() -> None:
    assert Throughput(messages=30, seconds=4.0, failures=1, p50=0.1).per_second == pytest.approx(
        7.5
    )
