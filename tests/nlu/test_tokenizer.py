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
