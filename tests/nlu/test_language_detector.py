from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language_detector import LanguageDetector


def language_entities(text: str) -> list:
    message = Message(data={"text": text, "entities": [{"entity": "role", "value": "x"}]})
    LanguageDetector().process([message])
    return [e for e in message.get("entities") if e["entity"] == "language"]


def test_adds_a_language_entity_and_keeps_others() -> None:
    message = Message(data={"text": "區域經理要做什麼", "entities": [{"entity": "role"}]})
    LanguageDetector().process([message])
    assert message.get("entities") == [
        {"entity": "role"},
        {
            "entity": "language",
            "value": "zh-Hant",
            "start": 0,
            "end": 8,
            "confidence": 1.0,
            "extractor": "LanguageDetector",
        },
        {
            "entity": "chinese_script",
            "value": "zh-Hant",
            "start": 0,
            "end": 8,
            "confidence": 1.0,
            "extractor": "LanguageDetector",
        },
    ]


def test_button_payloads_and_emoji_leave_the_language_alone() -> None:
    assert language_entities('/ask_role_duties{"role":"sales_rep"}') == []
    assert language_entities("👍") == []


def script_entities(text: str) -> list[str]:
    message = Message(data={"text": text})
    LanguageDetector().process([message])
    return [e["value"] for e in message.get("entities", []) if e["entity"] == "chinese_script"]


def test_only_a_told_chinese_script_fills_chinese_script() -> None:
    # "好的" tells no script: the chinese_script slot keeps the one used before
    assert language_entities("好的")[0]["value"] == "zh"
    assert script_entities("好的") == []
    assert script_entities("what does a sales manager do") == []
    assert script_entities("区域经理要干嘛") == ["zh-Hans"]


def test_cantonese_without_a_script_specific_character_is_traditional() -> None:
    # QA: "sales rep 要做咩" was answered in Simplified. Cantonese particles are Hong Kong usage.
    for text in (
        "sales rep 要做咩",
        "我做咗三年",
        "佢唔想做",
        "有冇啲方法",
        "喺邊度",
        "點解要跟进",
    ):
        assert language_entities(text)[0]["value"] == "zh-Hant", text
        assert script_entities(text) == ["zh-Hant"], text
    # the same sentence in Mandarin tells no script, and a Simplified character still wins
    assert language_entities("sales rep 要做什么")[0]["value"] == "zh-Hans"
    assert language_entities("要做啥")[0]["value"] == "zh"
    assert language_entities("佢话咗要跟进")[0]["value"] == "zh-Hans"
