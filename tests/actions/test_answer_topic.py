from actions.answer_topic import ActionAnswerTopic
from bot.rendering.answer import topic_answer
from bot.rendering.markdown import to_markdown


def test_answers_in_the_users_script_with_citation(kb, dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_follow_up", slots={"language": "zh-Hans"})
    events = ActionAnswerTopic().run(dispatcher, tracker, {})
    expected = topic_answer(kb, kb.topics["follow_up"], "zh-Hans")
    assert events == []
    assert len(dispatcher.messages) == 1
    message = dispatcher.messages[0]
    assert message["text"] == to_markdown(expected)
    assert message["custom"] == {"sales_coach": expected}
    assert message["text"].startswith("**跟踪力:持续跟进客户**")
    assert message["text"].endswith("_出处:第7段、第8段、第9段_")


def test_english_answer_cites_paragraphs(dispatcher, make_tracker) -> None:
    ActionAnswerTopic().run(
        dispatcher, make_tracker("ask_sales_process", slots={"language": "en"}), {}
    )
    text = dispatcher.messages[0]["text"]
    assert "- 1. Collect target customers" in text
    assert text.endswith("_Source: ¶7, ¶8_")


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
    ActionAnswerTopic().run(dispatcher, make_tracker("greet"), {})
    assert dispatcher.messages == [
        {
            "text": None,
            "buttons": [],
            "elements": [],
            "custom": {},
            "template": "utter_help",
            "response": "utter_help",
            "image": None,
            "attachment": None,
        }
    ]
