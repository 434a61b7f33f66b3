"""The real-question sets: well formed, large enough, and never a copy of anything trained on.

Two sets run through the same checks: `real_questions.yml` (some model choices were tuned on it)
and `real_questions_unseen.yml` (kept apart from all tuning, to measure generalisation)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.knowledge.script import to_simplified
from bot.language import detect_language

PROJECT_DIR = Path(__file__).resolve().parents[2]
REAL_QUESTIONS = PROJECT_DIR / "tests" / "nlu" / "real_questions.yml"
UNSEEN_QUESTIONS = PROJECT_DIR / "tests" / "nlu" / "real_questions_unseen.yml"
HELD_OUT = PROJECT_DIR / "tests" / "nlu" / "held_out.yml"
SECOND_LABELS = PROJECT_DIR / "tests" / "nlu" / "second_labels.yml"


@dataclass(frozen=True)
class Sizes:
    total: int
    per_language: int
    out_of_scope: int


# The thresholds of issue 11 for the first set; the unseen set was asked for at a smaller size.
SIZES = {
    REAL_QUESTIONS: Sizes(total=240, per_language=60, out_of_scope=50),
    UNSEEN_QUESTIONS: Sizes(total=90, per_language=30, out_of_scope=25),
}
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
# What a coach would pick for a question asked cold: no context or chit-chat intents.
LABELS = {
    "ask_follow_up",
    "ask_commitment",
    "ask_communication",
    "ask_tenacity",
    "ask_drive",
    "ask_competencies",
    "ask_sales_process",
    "ask_role_duties",
    "compare_roles",
    "ask_promotion",
    "ask_management_offer",
    "describe_stalled_deal",
    "ask_promotion_readiness",
    "out_of_scope",
}
URL = re.compile(r"https?://[^\s/]+\.[^\s/]+\S*")
NEAR_RATIO = 0.9
MIN_CONTAINED_CHARS = 12


def folded_all(texts: list[str]) -> list[str]:
    """One script, one case, no punctuation or spaces: "客戶, 已讀!" and "客户已读" fold alike.

    Characters are converted one by one, each distinct one once: OpenCC over whole texts
    costs about a second for the training data, and a duplicate check needs no phrase rules.
    """
    chars = sorted({char for text in texts for char in text.lower() if char.isalnum()})
    simplified = to_simplified("\n".join(chars)).split("\n") if chars else []
    assert len(simplified) == len(chars)  # OpenCC keeps line breaks
    fold = dict(zip(chars, simplified, strict=True))
    return ["".join(fold.get(char, "") for char in text.lower()) for text in texts]


def near_duplicates(texts: list[str], references: list[str]) -> list[tuple[str, str]]:
    """Pairs (text, reference) that are the same after folding, nearly the same
    (SequenceMatcher ratio >= 0.9), or one inside the other (both at least 12 characters).

    The ratio is 2*matches/(len(a)+len(b)), so it cannot reach 0.9 unless the lengths are
    close: only references of a near length are compared, cheapest bound first.
    """
    folded_references = sorted(
        (pair for pair in zip(folded_all(references), references, strict=True) if pair[0]),
        key=lambda pair: len(pair[0]),
    )
    lengths = [len(b) for b, _ in folded_references]
    # Containment first, searched in one joined string each way (cheap, in C).
    joined = "\0".join(b for b, _ in folded_references)
    found = []
    for text, a in zip(texts, folded_all(texts), strict=True):
        if not a:
            continue
        inside = a in joined and len(a) >= MIN_CONTAINED_CHARS
        matched = {
            index
            for index, (b, _) in enumerate(folded_references)
            if a == b
            or (inside and a in b)
            or (len(b) >= MIN_CONTAINED_CHARS and len(b) <= len(a) and b in a)
        }
        found += [(text, folded_references[index][1]) for index in sorted(matched)]
        low = bisect_left(lengths, len(a) * NEAR_RATIO / (2 - NEAR_RATIO))
        high = bisect_right(lengths, len(a) * (2 - NEAR_RATIO) / NEAR_RATIO)
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(a)
        for index in range(low, high):
            if index in matched:
                continue
            b, reference = folded_references[index]
            matcher.set_seq1(b)
            if matcher.quick_ratio() >= NEAR_RATIO and matcher.ratio() >= NEAR_RATIO:
                found.append((text, reference))
    return found


def read_examples(path: Path) -> list[dict[str, Any]]:
    """(intent, text, metadata) for every example, read as written in the file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        {"intent": block["intent"], "text": example["text"], **example.get("metadata", {})}
        for block in document["nlu"]
        for example in block["examples"]
    ]


@pytest.fixture(scope="module", params=list(SIZES), ids=lambda path: path.stem)
def real_set(request: pytest.FixtureRequest) -> Path:
    return request.param


@pytest.fixture(scope="module")
def examples(real_set: Path) -> list[dict[str, Any]]:
    return read_examples(real_set)


def texts_of(path: Path) -> list[str]:
    return [message.get("text") for message in load_data(str(path)).intent_examples]


def test_rasa_reads_every_example_with_its_intent(real_set, examples) -> None:
    data = load_data(str(real_set))
    read = Counter((m.get("intent"), m.get("text").strip()) for m in data.intent_examples)
    assert read == Counter((e["intent"], e["text"].strip()) for e in examples)


def test_every_example_has_a_source_a_language_and_a_coaching_label(examples, domain) -> None:
    assert LABELS <= set(domain["intents"])
    for example in examples:
        assert URL.fullmatch(example.get("source", "")), example
        assert example.get("language") in LANGUAGES, example
        assert example["intent"] in LABELS, example


def test_the_language_label_matches_the_script_written(examples) -> None:
    # Chinese with no script-specific character ("zh") fits either Chinese label.
    for example in examples:
        detected = detect_language(example["text"])
        allowed = {"en"} if example["language"] == "en" else {example["language"], "zh"}
        assert detected in allowed, example


def test_the_set_is_as_large_as_asked(real_set, examples) -> None:
    sizes = SIZES[real_set]
    languages = Counter(example["language"] for example in examples)
    assert len(examples) >= sizes.total
    for language in LANGUAGES:
        assert languages[language] >= sizes.per_language, language
    assert sum(example["intent"] == "out_of_scope" for example in examples) >= sizes.out_of_scope


def test_no_question_is_in_the_set_twice(examples) -> None:
    texts = [example["text"] for example in examples]
    pairs = [
        pair for i, text in enumerate(texts) for pair in near_duplicates([text], texts[i + 1 :])
    ]
    assert pairs == []


def test_no_question_is_a_copy_of_the_training_data(examples) -> None:
    training = texts_of(PROJECT_DIR / "data" / "nlu")
    assert near_duplicates([example["text"] for example in examples], training) == []


def test_no_question_is_a_copy_of_the_held_out_set(examples) -> None:
    held_out = texts_of(HELD_OUT)
    assert near_duplicates([example["text"] for example in examples], held_out) == []


def test_the_two_real_sets_share_no_question() -> None:
    # The unseen set only measures generalisation if none of it was in the set tuned on.
    tuned = [example["text"] for example in read_examples(REAL_QUESTIONS)]
    unseen = [example["text"] for example in read_examples(UNSEEN_QUESTIONS)]
    assert near_duplicates(unseen, tuned) == []


def test_the_second_annotator_labelled_every_real_question_once() -> None:
    # second_labels.yml measures how far two annotators agree (bot/tools/label_agreement.py):
    # a question added to a set without a second label, or a stale one, would skew that.
    labels = yaml.safe_load(SECOND_LABELS.read_text(encoding="utf-8"))["labels"]
    questions = [e["text"] for path in SIZES for e in read_examples(path)]
    assert Counter(label["text"] for label in labels) == Counter(questions)
    for label in labels:
        assert label["intent"] in LABELS, label
        assert set(label) <= {"text", "intent", "hesitated_with"}, label
        if "hesitated_with" in label:
            assert label["hesitated_with"] in LABELS - {label["intent"]}, label


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("客戶多次已讀不回，是否應該放棄？", "客户多次已读不回,是否应该放弃"),  # script, marks
        ("Should I keep pestering him?", "should i keep  pestering him"),  # case, spaces
        ("how many times should I follow up", "how many times should i follow up?!"),
        ("how many times should I follow up with him", "how many time should I follow up with him"),
        ("my client went silent after the quote", "so my client went silent after the quote, help"),
    ],
)
def test_the_duplicate_check_catches_copies_in_disguise(text: str, reference: str) -> None:
    assert near_duplicates([text], ["an unrelated line", reference]) == [(text, reference)]


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("Should I keep pestering him?", "Should I stop calling her?"),
        ("跟进", "怎么跟进客户"),  # contained, but too short to count
        ("客户多次已读不回,是否应该放弃", "客户一直不回消息,我该怎么跟进"),
    ],
)
def test_the_duplicate_check_lets_different_questions_pass(text: str, reference: str) -> None:
    assert near_duplicates([text], [reference]) == []
