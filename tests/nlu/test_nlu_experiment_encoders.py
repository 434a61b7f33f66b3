"""The experiment tool's encoder switch: each text encoded once, "+" joins vectors side by side."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.tools import nlu_experiment


@pytest.fixture
def fake_encoders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, list[list[str]]]:
    calls: dict[str, list[list[str]]] = {"a": [], "b": []}

    def make(name: str, width: int, value: float) -> Callable[[list[str]], np.ndarray]:
        def encode(texts: list[str]) -> np.ndarray:
            calls[name].append(list(texts))
            return np.array([[value + len(t)] * width for t in texts], dtype=np.float32)

        return encode

    monkeypatch.setattr(nlu_experiment, "CACHE", tmp_path)
    monkeypatch.setattr(nlu_experiment, "_BY_TEXT", {})
    monkeypatch.setattr(
        nlu_experiment, "ENCODERS", {"a": make("a", 2, 0.0), "b": make("b", 3, 100.0)}
    )
    return calls


def test_texts_already_seen_are_not_encoded_again(fake_encoders) -> None:
    first = nlu_experiment.encoded(["xx", "y", "xx"], "raw", "a")
    second = nlu_experiment.encoded(["y", "zzz"], "raw", "a")
    assert fake_encoders["a"] == [["xx", "y"], ["zzz"]]
    assert first.tolist() == [[2.0, 2.0], [1.0, 1.0], [2.0, 2.0]]
    assert second.tolist() == [[1.0, 1.0], [3.0, 3.0]]


def test_a_plus_joins_the_encoders_vectors_in_order(fake_encoders) -> None:
    joined = nlu_experiment.encoded(["xx", "y"], "raw", "a+b")
    assert joined.tolist() == [[2.0, 2.0, 102.0, 102.0, 102.0], [1.0, 1.0, 101.0, 101.0, 101.0]]


def test_vectors_are_cached_on_disk_per_encoder(fake_encoders) -> None:
    nlu_experiment.encoded(["xx"], "raw", "a")
    nlu_experiment._BY_TEXT.clear()
    again = nlu_experiment.encoded(["xx"], "raw", "a")
    assert fake_encoders["a"] == [["xx"]]
    assert again.tolist() == [[2.0, 2.0]]
    nlu_experiment.encoded(["xx"], "raw", "b")
    assert fake_encoders["b"] == [["xx"]]
