from rasa_sdk.events import SlotSet

from actions.answer_topic import ActionAnswerTopic
from bot.rendering.answer import topic_answer
from bot.rendering.markdown import to_markdown


def test_short_answer_in_the_users_script_with_citation(kb, dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_follow_up", slots={"language": "zh-Hans", "roles": ["sales_rep"]})
    events = ActionAnswerTopic().run(dispatcher, tracker, {})
    expected = topic_answer(kb, kb.topics["follow_up"], "zh-Hans")
    assert events == [
        SlotSet("topic", "follow_up"),
        SlotSet("roles", None),
        SlotSet("last_answer", {"id": "topic.follow_up", "entry_ids": expected["entry_ids"]}),
    ]
    assert dispatcher.messages == [
        {
            "text": to_markdown(expected),
            "buttons": [
                {"title": "再详细一点", "payload": "/ask_more"},
                {"title": "卡住的单子", "payload": "/describe_stalled_deal"},
                {"title": "👍", "payload": "/feedback_positive"},
                {"title": "👎", "payload": "/feedback_negative"},
            ],
            "elements": [],
            "custom": {"sales_coach": expected},
            "template": None,
            "response": None,
            "image": None,
            "attachment": None,
        }
    ]
    text = dispatcher.messages[0]["text"]
    assert text.startswith("**跟踪力:持续跟进客户**\n\n> 销售不跟踪,终将一场空")
    assert text.endswith("_出处:第7段、第8段_")


def test_english_answer_cites_paragraphs(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_sales_process", slots={"language": "en"})
    ActionAnswerTopic().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "- 1. Collect target customers\n- 2. Phone contact" in text
    assert text.endswith("_Source: ¶7_")


def test_unanswered_question_is_said_plainly(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_management_offer", slots={"language": "zh-Hant"})
    ActionAnswerTopic().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "文章提出的問題:「銷售人員為什麼拒絕出任區域經理」" in text
    assert "文章提出了這個問題,但沒有回答" in text


def test_no_language_slot_answers_in_english(dispatcher, make_tracker) -> None:
    ActionAnswerTopic().run(dispatcher, make_tracker("ask_drive"), {})
    assert dispatcher.messages[0]["text"].startswith("**Drive**")


def test_intent_without_topic_falls_back_to_help(dispatcher, make_tracker) -> None:
    assert ActionAnswerTopic().run(dispatcher, make_tracker("greet"), {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_help"]
