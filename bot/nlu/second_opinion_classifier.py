"""Rasa intent classifier: the n-gram + USE model, and an n-gram + e5 model where it is unsure.

`BinaryLogisticRegressionClassifier` (n-grams + the USE vector) classifies every message. With
`second_opinion` set, a second logistic regression is trained on the same n-gram part (same idf,
same norm: the very columns of the first model's rows) beside multilingual-e5-small's vector
times `scale`; a message whose first top probability is below `below` is encoded with e5 and
gets the average of the two models' probabilities. e5 is better on long real questions but
three times slower than USE; asked only where USE is unsure, it runs for about 1% of chat-like
messages and a fifth of long forum questions (figures in docs/nlu.md).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from bot.nlu import e5_encoder
from bot.nlu.linear_classifier import BinaryLogisticRegressionClassifier, readable_only

SECOND_FILE = "second_opinion.skops"
ENCODERS = ("e5",)

logger = logging.getLogger(__name__)


def combine(first: np.ndarray, second: np.ndarray, unsure: np.ndarray) -> np.ndarray:
    """The first model's rows, averaged with the second's where `unsure`."""
    out = first.copy()
    out[unsure] = (first[unsure] + second) / 2
    return out


def ngram_width(message: Message) -> int:
    """Columns of the n-gram part of the message's input row (its sparse sentence features)."""
    return sum(
        f.features.shape[1]
        for f in message.features
        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE and f.is_sparse()
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SecondOpinionClassifier(BinaryLogisticRegressionClassifier):
    """`BinaryLogisticRegressionClassifier`, averaged with an e5 model below a confidence."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **BinaryLogisticRegressionClassifier.get_default_config(),
            # e.g. {encoder: e5, scale: 3.0, below: 0.4, cache_dir: .rasa/e5-vectors}; None: off
            "second_opinion": None,
        }

    def __init__(self, config: dict[str, Any], *args: Any) -> None:
        super().__init__(config, *args)
        opinion = self.config["second_opinion"]
        if opinion and opinion.get("encoder", "e5") not in ENCODERS:
            raise ValueError(f"second_opinion encoder must be one of {ENCODERS}")
        self.second: LogisticRegression | None = None

    def _opinion(self, key: str, default: Any) -> Any:
        return (self.config["second_opinion"] or {}).get(key, default)

    def _second_X(  # noqa: N802 (sklearn's name)
        self,
        first_X: csr_matrix,
        messages: list[Message],
        cached: bool,  # noqa: N803
    ) -> csr_matrix:
        """The n-gram columns of the first model's rows, then e5's vector times `scale`."""
        width = ngram_width(messages[0]) if messages else 0
        cache = self._opinion("cache_dir", None) if cached else None
        texts = [m.get(TEXT) or "" for m in messages]
        vectors = e5_encoder.cached_encode(texts, Path(cache) if cache else None)
        scaled = vectors.astype(np.float64) * float(self._opinion("scale", 3.0))
        return hstack([first_X[:, :width], csr_matrix(scaled)]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        resource = super().train(training_data)  # fits and persists the first model
        if not self.config["second_opinion"] or not hasattr(self.clf, "classes_"):
            return resource
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        first_X, y = self._create_training_matrix(training_data)  # noqa: N806
        self.second = clone(self.clf)  # the same C, iterations and class weights
        self.second.fit(self._second_X(first_X, examples, cached=True), y)
        self.persist()
        return resource

    def probabilities(self, messages: list[Message], cached: bool = False) -> np.ndarray:
        """Class probabilities (columns: `self.clf.classes_`), averaged where it is unsure."""
        self._coefficients_column_ready()
        first_X = self._create_X(messages)  # noqa: N806
        first = self.clf.predict_proba(first_X)
        if self.second is None:
            return first
        unsure = first.max(axis=1) < float(self._opinion("below", 0.4))
        if not unsure.any():
            return first
        picked = [m for m, u in zip(messages, unsure, strict=True) if u]
        second = self.second.predict_proba(self._second_X(first_X[unsure], picked, cached))
        return combine(first, second, unsure)

    def process(self, messages: list[Message]) -> list[Message]:
        words = readable_only(messages)
        if words:
            self._set_intents(words, self.probabilities(words))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # training texts: their e5 vectors are in the disk cache already
        examples = training_data.training_examples
        self._set_intents(examples, self.probabilities(examples, cached=True))
        return training_data

    def _set_intents(self, messages: list[Message], probas: np.ndarray) -> list[Message]:
        """As Rasa's `LogisticRegressionClassifier.process` sets them."""
        length = self.config[RANKING_LENGTH]
        for message, row in zip(messages, probas, strict=True):
            ranking = sorted(
                ({"name": k, "confidence": v} for k, v in zip(self.clf.classes_, row, strict=True)),
                key=lambda e: -e["confidence"],
            )
            intent = ranking[0]
            if length > 0:
                ranking = ranking[:length]
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        super().persist()
        if self.second is not None:
            import skops.io as sio

            with self._model_storage.write_to(self._resource) as model_dir:
                sio.dump(self.second, model_dir / SECOND_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SecondOpinionClassifier:
        import skops.io as sio

        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        if not component.config["second_opinion"]:
            return component
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / SECOND_FILE
                if path.exists():
                    # the types Rasa trusts for the first model's file: sklearn's own
                    component.second = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        except ValueError:  # nothing stored yet: the untrained component Rasa asked for
            logger.debug("no second model stored for %s", resource.name)
        if component.second is not None:
            e5_encoder.encoder()  # load the engine with the model, not on the first message
        return component
