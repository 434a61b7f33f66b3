import pytest
from rasa_sdk.events import SlotSet

from actions.common import language_of
from actions.language import ActionSwitchLanguage


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


def test_actions_answer_in_the_settled_language(make_tracker) -> None:
    # "好的" after a Traditional question: the slots settle it, no validation action runs
    tracker = make_tracker(slots={"language": "zh", "chinese_script": "zh-Hant"})
    assert language_of(tracker) == "zh-Hant"
    assert (
        language_of(make_tracker(slots={"language": "zh-Hant", "language_preference": "en"}))
        == "en"
    )
