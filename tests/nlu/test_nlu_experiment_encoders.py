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


def test_the_cascade_uses_the_second_model_only_where_the_first_is_unsure() -> None:
    first = np.array([[0.9, 0.1], [0.55, 0.45], [0.2, 0.8]])
    second = np.array([[0.1, 0.9], [0.1, 0.9], [0.6, 0.4]])
    replaced, unsure = nlu_experiment.cascade(first, second, 0.6, "replace")
    assert unsure.tolist() == [False, True, False]
    assert replaced.tolist() == [[0.9, 0.1], [0.1, 0.9], [0.2, 0.8]]
    averaged, _ = nlu_experiment.cascade(first, second, 0.6, "average")
    assert averaged.argmax(axis=1).tolist() == [0, 1, 1]
    assert np.allclose(averaged[1], [0.325, 0.675])
    assert first.tolist()[1] == [0.55, 0.45]  # the inputs are not changed in place


def test_the_cascade_threshold_is_strict_and_bounds_the_share() -> None:
    first = np.array([[0.5, 0.5], [0.7, 0.3], [0.4, 0.6]])
    second = np.zeros_like(first)
    assert nlu_experiment.cascade(first, second, 0.0, "replace")[1].tolist() == [False] * 3
    assert nlu_experiment.cascade(first, second, 0.6, "replace")[1].tolist() == [True, False, False]
    assert nlu_experiment.cascade(first, second, 1.01, "average")[1].tolist() == [True] * 3


def test_the_cascade_refuses_mismatched_models_and_unknown_modes() -> None:
    with pytest.raises(ValueError):
        nlu_experiment.cascade(np.ones((2, 3)), np.ones((2, 4)), 0.5, "replace")
    with pytest.raises(ValueError):
        nlu_experiment.cascade(np.ones((2, 3)), np.ones((2, 3)), 0.5, "max")
