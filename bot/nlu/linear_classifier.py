"""Rasa intent classifier: logistic regression over binary n-gram presence and sentence vectors.

Rasa's own `LogisticRegressionClassifier` feeds the sparse sentence features as they come, the
sum of every token's counts: a long forum post then weighs its n-grams by length and drowns the
sentence vector, and lbfgs needs minutes to converge on such counts. This one clips every count to
1 (an n-gram is there or not) and lets the regularisation strength `C` be set. On the real-question
set that was worth several points and trains in seconds (docs/nlu.md).

With `weighting: tfidf`, each present n-gram counts by its inverse document frequency (learnt
from the training data) and each message's n-gram part is scaled to length `sparse_norm`: a
forum post with 300 n-grams then weighs as much as a ten-character line, beside a sentence vector
of fixed length. Real questions are three times longer than the training lines (median 33
against 13 characters), and this was worth several points on both evaluation sets (docs/nlu.md).

Classes are weighted as Rasa's are (balanced: each intent counts as much as any other whatever
its number of examples), except `off_topic_weight` times more for `out_of_scope`: a coaching answer
to a question the article cannot answer costs more than declining a coaching question.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack

from bot.nlu.code_version import CodeVersioned
from bot.nlu.emoji import has_words, wordless_intent

OFF_TOPIC = "out_of_scope"
WEIGHTINGS = ("presence", "tfidf")
IDF_FILE = "idf.npy"

logger = logging.getLogger(__name__)


def _canonical(columns: np.ndarray) -> bool:
    return bool(np.all(columns[1:] > columns[:-1]))


def readable(message: Message) -> bool:
    """Whether the model can read the message: words, and both kinds of sentence feature. An
    empty or whitespace-only message has neither, and its row had 0 columns: sklearn raised
    `ValueError: Found array with 0 feature(s)` and the user got an apology."""
    if not has_words(message.get(TEXT) or ""):
        return False
    kinds = {
        feature.is_sparse()
        for feature in message.features
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE
    }
    return kinds == {True, False}


def readable_only(messages: list[Message]) -> list[Message]:
    """The messages the model can read; each of the others gets its intent here."""
    readable_ones = []
    for message in messages:
        if readable(message):
            readable_ones.append(message)
        else:
            set_wordless_intent(message)
    return readable_ones


def set_wordless_intent(message: Message) -> None:
    """👍/👎 alone are feedback; any other message the model cannot read gets no intent at
    confidence 0, which FallbackClassifier turns into `nlu_fallback` (not understood)."""
    name = wordless_intent(message.get(TEXT) or "")
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0 if name else 0.0}
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent] if name else [], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class BinaryLogisticRegressionClassifier(CodeVersioned, LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` with n-gram presence instead of counts, and `C`."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 1.0,
            "max_iter": 500,
            "off_topic_weight": 1.0,
            # presence: every n-gram 1; tfidf: idf-weighted, each message scaled to sparse_norm
            "weighting": "presence",
            "sparse_norm": 10.0,
        }

    def __init__(self, config: dict[str, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.C = float(self.config["C"])
        if self.config["weighting"] not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}")
        self.idf: np.ndarray | None = None

    def _learn_idf(self, presence: csr_matrix) -> None:
        # sklearn's smooth idf: ln((1 + n) / (1 + df)) + 1, so no n-gram weighs zero
        documents = presence.shape[0]
        df = np.bincount(presence.indices, minlength=presence.shape[1])
        self.idf = np.log((1 + documents) / (1 + df)) + 1.0

    def _weighted(self, presence: csr_matrix) -> csr_matrix:
        if self.config["weighting"] != "tfidf" or self.idf is None:
            return presence
        if presence.shape[1] != len(self.idf):  # no n-gram at all (an empty message)
            return presence
        weighted = csr_matrix(presence.multiply(self.idf[np.newaxis, :]))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        scale = float(self.config["sparse_norm"]) / norms
        return csr_matrix(weighted.multiply(scale[:, np.newaxis]))

    def _create_training_matrix(self, training_data: TrainingData) -> tuple[csr_matrix, list[str]]:
        if self.config["weighting"] == "tfidf":
            examples = [e for e in training_data.intent_examples if e.get("intent") and e.get(TEXT)]
            self._learn_idf(vstack([self._presence(e) for e in examples]).tocsr())
        X, y = super()._create_training_matrix(training_data)  # noqa: N806 (sklearn's name)
        counts = Counter(y)
        weights = {label: len(y) / (len(counts) * n) for label, n in counts.items()}
        if OFF_TOPIC in weights:
            weights[OFF_TOPIC] *= float(self.config["off_topic_weight"])
        self.clf.class_weight = weights
        return X, y

    @staticmethod
    def _presence(message: Message) -> csr_matrix:
        sparse = message.get_sparse_features(attribute=TEXT)[1]
        presence = csr_matrix(sparse.features if sparse else [])
        presence.data[:] = 1.0
        return presence

    def _stacked_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802
        """The input rows as Rasa builds them (its feature concatenation, then scipy's)."""
        rows = []
        for message in messages:
            dense = message.get_dense_features(attribute=TEXT)[1]
            sparse = self._weighted(self._presence(message))
            rows.append(hstack([sparse, csr_matrix(dense.features if dense else [])]))
        return vstack(rows).tocsr()

    def _row(self, message: Message) -> tuple[np.ndarray, np.ndarray, int] | None:
        """(columns, values, width) of the row `_stacked_X` builds for `message`, read from its
        sentence features directly: Rasa's `get_*_features` deep-copy and hstack them, and
        the weighting goes through four scipy matrices, a fifth of a parse's time for one
        short row. Each step gives the same floats in the same order (the classifier's dot
        products then sum in the same order): bit for bit (tests/nlu/test_linear_classifier.py).
        None when the message lacks either kind of sentence feature (Rasa's path then)."""
        sparse, dense = [], []
        for feature in message.features:
            if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE:
                (sparse if feature.is_sparse() else dense).append(feature.features)
        if not sparse or not dense:
            return None
        columns, width = [], 0
        for matrix in sparse:
            columns.append(matrix.tocoo().col.astype(np.int64) + width)
            width += matrix.shape[1]
        cols = np.concatenate(columns)
        if len(sparse) > 1 or not _canonical(cols):
            cols = np.unique(cols)  # what scipy's hstack and csr conversion leave
        values = np.ones(len(cols))  # presence
        if self.config["weighting"] == "tfidf" and self.idf is not None and width == len(self.idf):
            values = self.idf[cols]
            # scipy's row sum of the squares (`_minor_reduce`: np.add.reduceat), then the scale
            norm = np.sqrt(np.add.reduceat(values * values, [0])) if len(cols) else np.zeros(1)
            norm[norm == 0] = 1.0
            values = values * (float(self.config["sparse_norm"]) / norm)[0]
        vector = np.concatenate([np.asarray(d).reshape(1, -1) for d in dense], axis=-1)[0]
        present = np.flatnonzero(vector)  # a csr row of the dense vector keeps its non-zeros
        cols = np.concatenate([cols, present + width])
        values = np.concatenate([values, vector[present].astype(np.float64)])
        return cols, values, width + len(vector)

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (Rasa's name)
        rows = [self._row(message) for message in messages]
        widths = {row[2] for row in rows if row is not None}
        if not rows or any(row is None for row in rows) or len(widths) != 1:
            return self._stacked_X(messages)
        indptr = np.cumsum([0] + [len(row[0]) for row in rows])
        return csr_matrix(
            (
                np.concatenate([row[1] for row in rows]),
                np.concatenate([row[0] for row in rows]).astype(np.int32),
                indptr.astype(np.int32),
            ),
            shape=(len(rows), widths.pop()),
        )

    def process(self, messages: list[Message]) -> list[Message]:
        self._coefficients_column_ready()
        words = readable_only(messages)
        if words:
            super().process(words)
        return messages

    def _coefficients_column_ready(self) -> None:
        """sklearn scores a sparse row as `X @ coef_.T`; scipy needs that right-hand side
        C-contiguous and, for sklearn's row-major `coef_`, copied it whole on every message
        (classes x n-grams floats: 6% of the Rasa server's busy time under load, py-spy). Held
        column-major once, `coef_.T` is contiguous: the same numbers, the same sums in the same
        order, no copy."""
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.T.flags.c_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)

    def persist(self) -> None:
        super().persist()
        if self.idf is not None:
            with self._model_storage.write_to(self._resource) as model_dir:
                np.save(model_dir / IDF_FILE, self.idf)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> BinaryLogisticRegressionClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        try:
            with model_storage.read_from(resource) as model_dir:
                if (model_dir / IDF_FILE).exists():
                    component.idf = np.load(model_dir / IDF_FILE)
        except ValueError:  # nothing stored yet: the untrained component Rasa asked for
            logger.debug("no idf stored for %s", resource.name)
        if component.config["weighting"] == "tfidf" and component.idf is None:
            logger.debug("tfidf weighting without a stored idf: n-gram presence is used")
        return component
