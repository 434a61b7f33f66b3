"""Messages with little or nothing to read go through every custom NLU component.

QA found that an empty message made `SecondOpinionClassifier` raise (`Found array with 0
feature(s)`) and the user got "Sorry, I can't reach my knowledge base". This runs our components
in the order of config.yml, with Rasa's own CountVectorsFeaturizers and FallbackClassifier
between them, trained on a small set, and checks each edge input comes out parsed.
"""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language_detector import LanguageDetector
from bot.nlu.second_opinion_classifier import SecondOpinionClassifier
from bot.nlu.sentence_encoder import SentenceEncoderFeaturizer
from bot.nlu.term_extractor import TermEntityExtractor
from bot.nlu.tokenizer import MixedChineseTokenizer

TRAINING = {
    "feedback_positive": ["👍", "very helpful 👍", "这个回答很有用", "說得很好 👍", "great answer"],
    "feedback_negative": ["👎", "not helpful 👎", "没用", "這回答沒用 👎", "bad answer"],
    "greet": ["hello", "hi there", "你好", "早安", "good morning"],
    "out_of_scope": [
        "will it rain",
        "明天会下雨吗",
        "天氣如何",
        "what is the capital",
        "🤔 weather",
    ],
}
# text -> the intent it must come out as (None: words the toy model reads as it will; what the
# trained model makes of them is in test_trained_model_messages.py)
EDGE = {
    "": "nlu_fallback",
    "   ": "nlu_fallback",
    "\t\n": "nlu_fallback",
    "???": "nlu_fallback",
    "。。。": "nlu_fallback",
    "🙂": "nlu_fallback",
    "🤔🤔🔥": "nlu_fallback",
    "👍👎": "nlu_fallback",
    "👍": "feedback_positive",
    "👍🏻": "feedback_positive",
    "👍🏿👍": "feedback_positive",
    "💯": "feedback_positive",
    "👎": "feedback_negative",
    "👎🏽": "feedback_negative",
    "👎\ufe0f": "feedback_negative",
    "\x00": "nlu_fallback",
    "a\x00b": None,
    # words of which the model knows no n-gram: not understood, whatever their sentence vector
    "مرحبا كيف حالك": "nlu_fallback",
    "שלום, מה שלומך": "nlu_fallback",
}


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    examples = [
        Message(data={TEXT: text, INTENT: intent})
        for intent, texts in TRAINING.items()
        for text in texts
    ]
    data = TrainingData(examples)
    tokenizer = MixedChineseTokenizer(MixedChineseTokenizer.get_default_config())
    words = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context()
    )
    chars = CountVectorsFeaturizer.create(
        {
            **CountVectorsFeaturizer.get_default_config(),
            "analyzer": "char_wb",
            "min_ngram": 1,
            "max_ngram": 4,
        },
        storage,
        Resource("chars"),
        context(),
    )
    encoder = SentenceEncoderFeaturizer(
        "use", {**SentenceEncoderFeaturizer.get_default_config(), "scale": 3.0}
    )
    classifier = SecondOpinionClassifier.create(
        {
            **SecondOpinionClassifier.get_default_config(),
            "weighting": "tfidf",
            "sparse_norm": 5.0,
            # below 1.01: every readable message also goes through e5
            "second_opinion": {"encoder": "e5", "scale": 3.0, "below": 1.01},
        },
        storage,
        Resource("clf"),
        context(),
    )
    tokenizer.process_training_data(data)
    for featurizer in (words, chars):
        featurizer.train(data)
        featurizer.process_training_data(data)
    encoder.process_training_data(data)
    classifier.train(data)
    fallback = FallbackClassifier({**FallbackClassifier.get_default_config(), "threshold": 0.4})
    return [
        tokenizer,
        LanguageDetector(),
        TermEntityExtractor(),
        words,
        chars,
        encoder,
        classifier,
        fallback,
    ]


def parse(pipeline: list, text: str) -> Message:
    message = Message(data={TEXT: text})
    for component in pipeline:
        component.process([message])
    return message


@pytest.mark.parametrize("text", list(EDGE))
def test_every_component_survives_and_the_parse_is_sensible(pipeline: list, text: str) -> None:
    intent = parse(pipeline, text).get(INTENT)
    expected = EDGE[text]
    if expected is None:
        assert intent["name"] in {*TRAINING, "nlu_fallback"}
        assert 0.0 < intent["confidence"] <= 1.0
    else:
        assert intent["name"] == expected


def test_a_batch_mixing_edge_and_ordinary_messages_is_classified_one_by_one(
    pipeline: list,
) -> None:
    texts = ["", "hello", "👎", "   ", "这个回答很有用"]
    messages = [Message(data={TEXT: text}) for text in texts]
    for component in pipeline:
        component.process(messages)
    names = [m.get(INTENT)["name"] for m in messages]
    assert names == [
        "nlu_fallback",
        "greet",
        "feedback_negative",
        "nlu_fallback",
        "feedback_positive",
    ]


def test_emoji_reach_the_classifier_inside_a_sentence(pipeline: list) -> None:
    """The same words with 👍 or 👎 differ: the emoji are features now, not dropped."""
    up = parse(pipeline, "this answer 👍").get("intent_ranking")
    down = parse(pipeline, "this answer 👎").get("intent_ranking")
    assert up != down
    assert {r["name"]: r["confidence"] for r in up}["feedback_positive"] > {
        r["name"]: r["confidence"] for r in down
    }["feedback_positive"]
