import re
import subprocess
import sys

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import MixedChineseTokenizer


def tokens(text: str) -> list[str]:
    tokenizer = MixedChineseTokenizer(MixedChineseTokenizer.get_default_config())
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_english_words_stay_whole_and_lowercased() -> None:
    assert tokens("Sales Manager 跟 AM 差在哪") == [
        "sales",
        "manager",
        "跟",
        "am",
        "差",
        "在",
        "哪",
    ]


def test_knowledge_base_terms_are_single_tokens() -> None:
    assert "業務主管" in tokens("我是業務員想升業務主管")
    assert "業務員" in tokens("我是業務員想升業務主管")


def test_the_pipeline_and_jiebas_dictionary_are_ready_when_the_model_loads() -> None:
    """Built by `create` (Rasa's load of a component that is not trained), not by the first
    message; in a new process, since this one's are built already."""
    code = """
import jieba
from bot.nlu import spacy_pipeline
from bot.nlu.tokenizer import MixedChineseTokenizer
assert not jieba.dt.initialized and spacy_pipeline.build_pipeline.cache_info().currsize == 0
MixedChineseTokenizer.create(MixedChineseTokenizer.get_default_config(), None, None, None)
print(jieba.dt.initialized, spacy_pipeline.build_pipeline.cache_info().currsize)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "1"], done.stderr[-2000:]


def test_emoji_become_words_the_featurizers_keep() -> None:
    # QA: typed 👎 was parsed like 👍 and 🙂: Rasa's CountVectorsFeaturizer keeps `\w+` only
    thumbs_up, thumbs_down = tokens("👍"), tokens("👎")
    assert thumbs_up != thumbs_down
    assert all(re.fullmatch(r"\w+", t) for t in thumbs_up + thumbs_down + tokens("🙂🔥"))
    # skin tones and variation selectors are the same emoji
    assert tokens("👍🏻") == tokens("👍🏿") == tokens("👍\ufe0f") == thumbs_up
    assert tokens("这个建议很落地 👍") == ["这个", "建议", "很", "落地", *thumbs_up]


def test_edge_inputs_tokenize_without_empty_or_control_tokens() -> None:
    assert tokens("") == tokens("   ") == tokens("\x00") == []
    assert tokens("a\x00b") == ["a", "b"]
    assert tokens("???") == ["?", "?", "?"]
    # jieba splits scripts it does not know into letters; nothing is lost
    assert "".join(tokens("مرحبا كيف حالك")) == "مرحباكيفحالك"
    assert "".join(tokens("שלום")) == "שלום"
