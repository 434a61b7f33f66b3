"""Rasa intent classifier: logistic regression over binary n-gram presence and sentence vectors.

Rasa's own `LogisticRegressionClassifier` feeds the sparse sentence features as they come, the
sum of every token's counts: a long forum post then weighs its n-grams by length and drowns the
sentence vector, and lbfgs needs minutes to converge on such counts. This one clips every count to
1 (an n-gram is there or not) and lets the regularisation strength `C` be set. On the real-question
set that was worth several points and trains in seconds (docs/nlu.md).

Classes are weighted as Rasa's are (balanced: each intent counts as much as any other whatever
its number of examples), except `off_topic_weight` times more for `out_of_scope`: a coaching answer
to a question the article cannot answer costs more than declining a coaching question.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack

OFF_TOPIC = "out_of_scope"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class BinaryLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` with n-gram presence instead of counts, and `C`."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 1.0,
            "max_iter": 500,
            "off_topic_weight": 1.0,
        }

    def __init__(self, config: dict[str, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.C = float(self.config["C"])

    def _create_training_matrix(self, training_data: TrainingData) -> tuple[csr_matrix, list[str]]:
        X, y = super()._create_training_matrix(training_data)  # noqa: N806 (sklearn's name)
        counts = Counter(y)
        weights = {label: len(y) / (len(counts) * n) for label, n in counts.items()}
        if OFF_TOPIC in weights:
            weights[OFF_TOPIC] *= float(self.config["off_topic_weight"])
        self.clf.class_weight = weights
        return X, y

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (Rasa's name)
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            presence = csr_matrix(sparse.features if sparse else [])
            presence.data[:] = 1.0
            rows.append(hstack([presence, csr_matrix(dense.features if dense else [])]))
        return vstack(rows).tocsr()
