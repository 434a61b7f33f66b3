import pytest
from rasa_sdk.events import SlotSet

from actions.language import ActionSwitchLanguage, ValidateSlotMappings


def slot_event(value: str) -> dict:
    return {"event": "slot", "name": "language", "value": value}


def test_decided_language_is_kept(dispatcher, make_tracker) -> None:
    result = ValidateSlotMappings().validate_language("zh-Hant", dispatcher, make_tracker(), {})
    assert result == {"language": "zh-Hant"}


def test_undecided_chinese_keeps_the_script_used_before(dispatcher, make_tracker) -> None:
    tracker = make_tracker(events=[slot_event("zh-Hant"), slot_event("en")])
    result = ValidateSlotMappings().validate_language("zh", dispatcher, tracker, {})
    assert result == {"language": "zh-Hant"}


def test_undecided_chinese_without_history_is_simplified(dispatcher, make_tracker) -> None:
    tracker = make_tracker(events=[slot_event("en")])
    assert ValidateSlotMappings().validate_language("zh", dispatcher, tracker, {}) == {
        "language": "zh-Hans"
    }


def test_a_chosen_language_wins_over_detection(dispatcher, make_tracker) -> None:
    tracker = make_tracker(slots={"language_preference": "en"})
    result = ValidateSlotMappings().validate_language("zh-Hant", dispatcher, tracker, {})
    assert result == {"language": "en"}


@pytest.mark.parametrize(
    ("text", "script", "chosen", "reply"),
    [
        ("answer in english pls", "en", "en", "OK, I'll answer in English from now on."),
        ("用繁體字回答", "zh-Hant", "zh-Hant", "好的,之後我會用中文回答。"),
        ("请用中文", "zh", "zh-Hans", "好的,之后我会用中文回答。"),
        ("請用中文", "zh", "zh-Hant", "好的,之後我會用中文回答。"),
    ],
)
def test_switching_language_sticks(dispatcher, make_tracker, text, script, chosen, reply) -> None:
    tracker = make_tracker(
        "switch_language", [{"entity": "script", "value": script}], {"language": "en"}, text=text
    )
    events = ActionSwitchLanguage().run(dispatcher, tracker, {})
    assert events == [SlotSet("language_preference", chosen), SlotSet("language", chosen)]
    assert [m["text"] for m in dispatcher.messages] == [reply]


def test_switching_without_a_language_asks_which(dispatcher, make_tracker) -> None:
    tracker = make_tracker("switch_language", [], {"language": "zh-Hant"}, text="換個語言")
    assert ActionSwitchLanguage().run(dispatcher, tracker, {}) == []
    assert [m["text"] for m in dispatcher.messages] == [
        "你想用哪種語言:英文、簡體中文還是繁體中文?"
    ]
