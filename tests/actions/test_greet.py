from rasa_sdk.events import SlotSet

from actions.greet import ActionGreet


def test_the_welcome_comes_once_with_five_topics(dispatcher, make_tracker) -> None:
    tracker = make_tracker("greet", slots={"language": "zh-Hant"})
    assert ActionGreet().run(dispatcher, tracker, {}) == [SlotSet("welcomed", True)]
    (message,) = dispatcher.messages
    assert message["text"].startswith("你好!我是銷售教練")
    assert message["buttons"] == [
        {"title": "跟進客戶", "payload": "/ask_follow_up"},
        {"title": "業務過程", "payload": "/ask_sales_process"},
        {"title": "職位的區別", "payload": "/compare_roles"},
        {"title": "升經理", "payload": "/ask_promotion"},
        {"title": "可以問什麼?", "payload": "/help"},
    ]


def test_later_greetings_are_short(dispatcher, make_tracker) -> None:
    tracker = make_tracker("greet", slots={"welcomed": True, "language": "en"})
    assert ActionGreet().run(dispatcher, tracker, {}) == []
    assert [m["text"] for m in dispatcher.messages] == ["Hi again! What would you like to know?"]
