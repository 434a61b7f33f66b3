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
from scipy.sparse import coo_matrix

from bot.nlu.linear_classifier import BinaryLogisticRegressionClassifier

VOCABULARY = 6


def message(text: str, ngrams: list[int], intent: str | None = None, count: int = 1) -> Message:
    """A message whose sparse sentence feature has `ngrams` present (`count` times each)."""
    data = {TEXT: text, **({INTENT: intent} if intent else {})}
    msg = Message(data=data)
    row = np.zeros((1, VOCABULARY))
    row[0, ngrams] = count
    msg.add_features(Features(coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    msg.add_features(Features(np.ones((1, 2)), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    return msg


def training_data() -> TrainingData:
    # n-gram 0 is in every example (a common word); 1-2 mark "greet", 3-4 "out_of_scope"
    return TrainingData(
        [message(f"g{i}", [0, 1 + i % 2], "greet") for i in range(6)]
        + [message(f"o{i}", [0, 3 + i % 2], "out_of_scope") for i in range(6)]
    )


def classifier(tmp_path: Path, **config: object) -> BinaryLogisticRegressionClassifier:
    config = {**BinaryLogisticRegressionClassifier.get_default_config(), **config}
    context = ExecutionContext(GraphSchema({}), "test")
    return BinaryLogisticRegressionClassifier.create(
        config, LocalModelStorage(tmp_path), Resource("clf"), context
    )


def sparse_part(component: BinaryLogisticRegressionClassifier, msg: Message) -> np.ndarray:
    return component._create_X([msg]).toarray()[0, :VOCABULARY]


def test_presence_clips_counts_to_one(tmp_path: Path) -> None:
    component = classifier(tmp_path)
    component.train(training_data())
    assert sparse_part(component, message("x", [1, 3], count=7)).tolist() == [0, 1, 0, 1, 0, 0]


def test_tfidf_gives_each_message_the_same_length_and_rare_ngrams_more_weight(
    tmp_path: Path,
) -> None:
    component = classifier(tmp_path, weighting="tfidf", sparse_norm=10.0)
    component.train(training_data())
    short = sparse_part(component, message("short", [0, 1]))
    long = sparse_part(component, message("long", [0, 1, 2, 3, 4], count=3))
    assert np.linalg.norm(short) == pytest.approx(10.0)
    assert np.linalg.norm(long) == pytest.approx(10.0)
    assert short[1] > short[0]  # in a third of the examples against in all of them


def test_off_topic_weight_multiplies_the_balanced_weight(tmp_path: Path) -> None:
    component = classifier(tmp_path, off_topic_weight=4.0)
    component.train(training_data())
    assert component.clf.class_weight == {"greet": 1.0, "out_of_scope": 4.0}


def test_the_idf_is_stored_and_loaded_with_the_model(tmp_path: Path) -> None:
    config = {**BinaryLogisticRegressionClassifier.get_default_config(), "weighting": "tfidf"}
    trained = classifier(tmp_path, weighting="tfidf")
    trained.train(training_data())
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = BinaryLogisticRegressionClassifier.load(
        config, LocalModelStorage(tmp_path), Resource("clf"), context
    )
    assert loaded.idf is not None
    np.testing.assert_allclose(loaded.idf, trained.idf)
    probe = message("probe", [0, 2, 4])
    np.testing.assert_allclose(sparse_part(loaded, probe), sparse_part(trained, probe))


def test_an_unknown_weighting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        classifier(tmp_path, weighting="bm25")


def test_predictions_are_the_same_with_coefficients_held_column_major(tmp_path: Path) -> None:
    """`process` holds `coef_` column-major so scipy does not copy `coef_.T` per message: the
    probabilities are exactly those of the row-major coefficients, and no copy is made."""
    import copy

    component = classifier(tmp_path, weighting="tfidf")
    three_intents = training_data()  # two would give a single row, contiguous either way
    three_intents.training_examples.extend(message(f"t{i}", [5], "thanks") for i in range(6))
    component.train(three_intents)
    assert not component.clf.coef_.T.flags.c_contiguous  # as sklearn leaves it
    probes = [message("a", [0, 1]), message("b", [3]), message("c", [0, 2, 4], count=2)]
    row_major = copy.deepcopy(component.clf)
    row_major.coef_ = np.ascontiguousarray(row_major.coef_)
    expected = row_major.predict_proba(component._create_X(probes))
    component.process(probes)
    assert component.clf.coef_.T.flags.c_contiguous  # scipy uses it as it is
    assert np.shares_memory(np.asarray(component.clf.coef_.T).ravel(), component.clf.coef_)
    got = component.clf.predict_proba(component._create_X(probes))
    assert np.array_equal(got, expected)  # bit for bit
    for probe, row in zip(probes, expected, strict=True):
        assert probe.get(INTENT)["confidence"] == pytest.approx(row.max(), abs=0)


def two_featurizers(text: str, rng: np.random.Generator) -> Message:
    """As the project's pipeline makes them: two count featurizers' sparse rows (word and
    char n-grams) and a float32 sentence vector, some of it zero."""
    msg = Message(data={TEXT: text})
    for origin, size in (("words", 7), ("chars", 9)):
        row = np.zeros((1, size))
        row[0, rng.choice(size, rng.integers(0, 4), replace=False)] = rng.integers(1, 4)
        msg.add_features(Features(coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, origin))
    vector = rng.standard_normal((1, 5)).astype(np.float32)
    vector[0, rng.integers(0, 5)] = 0.0
    msg.add_features(Features(vector, FEATURE_TYPE_SENTENCE, TEXT, "encoder"))
    return msg


@pytest.mark.parametrize("weighting", ["presence", "tfidf"])
def test_the_row_is_rasas_concatenation_bit_for_bit(tmp_path: Path, weighting: str) -> None:
    rng = np.random.default_rng(7)
    component = classifier(tmp_path, weighting=weighting, sparse_norm=5.0)
    examples = [two_featurizers(f"m{i}", rng) for i in range(60)]
    for i, example in enumerate(examples):
        example.set(INTENT, ["greet", "thanks", "out_of_scope"][i % 3])
    component.train(TrainingData(examples))
    probes = [two_featurizers(f"p{i}", rng) for i in range(40)]
    for batch in ([probe] for probe in probes):
        ours, rasas = component._create_X(batch), component._stacked_X(batch)
        assert ours.shape == rasas.shape
        assert ours.dtype == rasas.dtype
        assert ours.indices.tolist() == rasas.indices.tolist()  # the same summation order
        assert ours.data.tobytes() == rasas.data.tobytes()
        assert np.array_equal(component.clf.predict_proba(ours), component.clf.predict_proba(rasas))
    both = component._create_X(probes)
    assert (both != component._stacked_X(probes)).nnz == 0
    # a message without a sentence vector takes Rasa's path
    bare = Message(data={TEXT: "x"})
    bare.add_features(Features(coo_matrix(np.ones((1, 7))), FEATURE_TYPE_SENTENCE, TEXT, "w"))
    assert component._row(bare) is None


def test_the_trained_models_rows_are_rasas(monkeypatch) -> None:
    """Every held-out message through the trained model's pipeline: the classifier's input is
    the one Rasa's concatenation builds, its probabilities the same bits."""
    import asyncio

    import yaml
    from rasa.core.agent import Agent

    model = Path(__file__).resolve().parents[2] / "models" / "sales-coach.tar.gz"
    if not model.exists():
        pytest.skip("no trained model: run `make train`")
    compared = []
    create_x = BinaryLogisticRegressionClassifier._create_X

    def checked(self: BinaryLogisticRegressionClassifier, messages: list[Message]):
        ours, rasas = create_x(self, messages), self._stacked_X(messages)
        assert ours.shape == rasas.shape
        assert ours.indices.tolist() == rasas.indices.tolist()
        assert ours.data.tobytes() == rasas.data.tobytes()
        if rasas.shape[1]:  # an empty message has no features at all
            assert np.array_equal(self.clf.predict_proba(ours), self.clf.predict_proba(rasas))
            compared.append(len(messages))
        return ours

    monkeypatch.setattr(BinaryLogisticRegressionClassifier, "_create_X", checked)
    agent = Agent.load(str(model))
    held_out = Path(__file__).resolve().parent / "held_out.yml"
    texts = [
        line.strip()[2:]
        for block in yaml.safe_load(held_out.read_text())["nlu"]
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ][:300]
    texts += ["x" * 3000, "?", "銷售"]

    async def parse_all() -> None:
        for text in texts:
            await agent.parse_message(text)

    asyncio.run(parse_all())
    assert len(compared) >= 300
