"""The e5 second opinion: used only below the threshold, averaged, stored with the model."""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import coo_matrix, csr_matrix, hstack

from bot.nlu import e5_encoder
from bot.nlu.linear_classifier import BinaryLogisticRegressionClassifier
from bot.nlu.second_opinion_classifier import SecondOpinionClassifier

VOCABULARY = 4
SCALE = 3.0
GREET = [
    "hello there",
    "hi, good morning",
    "你好",
    "早安，大家好",
    "哈囉你好",
    "hey, nice to meet you",
]
WEATHER = [
    "will it rain tomorrow",
    "明天会下雨吗",
    "今天天氣如何",
    "is it sunny outside",
    "天气预报",
    "how cold is it today",
]
# n-gram 0 in every example, 1 marks a greeting, 2 the weather, 3 is never seen in training:
# the n-grams alone say little, so the first model is unsure of most messages
QUERIES = [
    ("good evening everyone", [0]),
    ("會下雪嗎", [0, 3]),
    ("hello", [0, 1]),
    ("下雨", [0, 2]),
]


def message(text: str, ngrams: list[int], intent: str | None = None) -> Message:
    msg = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    row = np.zeros((1, VOCABULARY))
    row[0, ngrams] = 1
    msg.add_features(Features(coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    # the first model's sentence vector: the same for all, so only the n-grams tell them apart
    msg.add_features(Features(np.full((1, 3), 0.5), FEATURE_TYPE_SENTENCE, TEXT, "use"))
    return msg


def training_data() -> TrainingData:
    return TrainingData(
        [message(t, [0, 1] if i % 3 == 0 else [0], "greet") for i, t in enumerate(GREET)]
        + [message(t, [0, 2] if i % 3 == 0 else [0], "weather") for i, t in enumerate(WEATHER)]
    )


def queries() -> list[Message]:
    return [message(text, ngrams) for text, ngrams in QUERIES]


CONFIG = {"weighting": "tfidf", "sparse_norm": 5.0, "C": 1.0}


def trained(cls: type, tmp_path: Path, **config: object) -> BinaryLogisticRegressionClassifier:
    config = {**cls.get_default_config(), **CONFIG, **config}
    context = ExecutionContext(GraphSchema({}), "test")
    tmp_path.mkdir(parents=True, exist_ok=True)
    component = cls.create(config, LocalModelStorage(tmp_path), Resource("clf"), context)
    component.train(training_data())
    return component


def opinion(below: float, **extra: object) -> dict[str, object]:
    return {"second_opinion": {"encoder": "e5", "scale": SCALE, "below": below, **extra}}


def first_probabilities(tmp_path: Path) -> np.ndarray:
    first = trained(BinaryLogisticRegressionClassifier, tmp_path / "first")
    return first.clf.predict_proba(first._create_X(queries()))


def test_above_the_threshold_the_first_models_probabilities_are_kept_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = first_probabilities(tmp_path)
    below = float(np.sort(first.max(axis=1))[1]) + 1e-9  # two queries below, two above
    component = trained(SecondOpinionClassifier, tmp_path / "both", **opinion(below))
    assert component.second is not None
    encoded: list[str] = []
    real_encode = e5_encoder.encode
    monkeypatch.setattr(e5_encoder, "encode", lambda t: encoded.extend(t) or real_encode(t))
    found = component.probabilities(queries())
    unsure = first.max(axis=1) < below
    assert unsure.sum() == 2
    assert np.array_equal(found[~unsure], first[~unsure])
    assert not np.allclose(found[unsure], first[unsure])
    # e5 encoded only the unsure messages
    assert encoded == [text for (text, _), u in zip(QUERIES, unsure, strict=True) if u]


def test_below_the_threshold_the_two_models_are_averaged(tmp_path: Path) -> None:
    first = first_probabilities(tmp_path)
    component = trained(SecondOpinionClassifier, tmp_path / "both", **opinion(1.01))
    messages = queries()
    # the second model's rows built here: the n-gram columns, then e5 x scale
    ngrams = BinaryLogisticRegressionClassifier._create_X(component, messages)[:, :VOCABULARY]
    vectors = e5_encoder.encode([text for text, _ in QUERIES]) * SCALE
    second = component.second.predict_proba(hstack([ngrams, csr_matrix(vectors)]))
    found = component.probabilities(messages)
    assert np.allclose(found, (first + second) / 2, atol=1e-6)
    assert np.allclose(found.sum(axis=1), 1.0)
    component.process(messages)
    top = messages[0].get("intent")
    assert top["confidence"] == pytest.approx(found[0].max())
    assert top["name"] == component.clf.classes_[found[0].argmax()]


def test_off_by_default_it_is_the_first_model(tmp_path: Path) -> None:
    component = trained(SecondOpinionClassifier, tmp_path / "one")
    assert component.second is None
    assert np.array_equal(component.probabilities(queries()), first_probabilities(tmp_path))


def test_the_second_model_is_stored_and_loaded_with_the_first(tmp_path: Path) -> None:
    config = {**SecondOpinionClassifier.get_default_config(), **CONFIG, **opinion(0.9)}
    component = trained(SecondOpinionClassifier, tmp_path, **opinion(0.9))
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = SecondOpinionClassifier.load(
        config, LocalModelStorage(tmp_path), Resource("clf"), context
    )
    assert loaded.second is not None
    expected = component.probabilities(queries())
    assert not np.array_equal(expected, loaded.clf.predict_proba(loaded._create_X(queries())))
    assert np.array_equal(loaded.probabilities(queries()), expected)


def test_training_vectors_come_from_the_disk_cache_the_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = trained(SecondOpinionClassifier, tmp_path / "a", **opinion(0.9, cache_dir=str(cache)))
    assert len(list(cache.iterdir())) == 1

    def refuse(texts: list[str]) -> np.ndarray:
        raise AssertionError(f"encoded again: {texts}")

    monkeypatch.setattr(e5_encoder, "encode", refuse)
    again = trained(SecondOpinionClassifier, tmp_path / "b", **opinion(0.9, cache_dir=str(cache)))
    assert np.array_equal(again.second.coef_, first.second.coef_)
