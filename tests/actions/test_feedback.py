from rasa_sdk.events import SlotSet

from actions.feedback import ActionAskFeedbackComment, ActionRecordFeedback, ValidateFeedbackForm

LAST = {"id": "topic.follow_up", "entry_ids": ["follow_up.quote"]}


def test_thumbs_up_is_recorded_with_the_answer_id(dispatcher, make_tracker) -> None:
    tracker = make_tracker("feedback_positive", slots={"last_answer": LAST, "language": "en"})
    assert ActionRecordFeedback().run(dispatcher, tracker, {}) == [
        SlotSet(
            "feedback",
            {"rating": "up", "answer_id": "topic.follow_up", "entry_ids": ["follow_up.quote"]},
        ),
        SlotSet("feedback_comment", None),
    ]
    assert [m["text"] for m in dispatcher.messages] == ["Thanks for the feedback!"]


def test_thumbs_down_is_recorded_and_the_form_asks(dispatcher, make_tracker) -> None:
    tracker = make_tracker("feedback_negative", slots={"last_answer": LAST, "language": "zh-Hans"})
    events = ActionRecordFeedback().run(dispatcher, tracker, {})
    assert events[0] == SlotSet(
        "feedback",
        {"rating": "down", "answer_id": "topic.follow_up", "entry_ids": ["follow_up.quote"]},
    )
    assert dispatcher.messages == []
    ActionAskFeedbackComment().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == "抱歉没帮上忙。少了什么?(可不填:直接输入,或说「跳过」)"


def test_the_comment_is_kept_and_a_skip_is_recorded_as_empty(dispatcher, make_tracker) -> None:
    validate = ValidateFeedbackForm().validate_feedback_comment
    said = make_tracker("out_of_scope")
    assert validate("needs a real example", dispatcher, said, {}) == {
        "feedback_comment": "needs a real example"
    }
    assert validate("no thanks", dispatcher, make_tracker("deny"), {}) == {"feedback_comment": ""}


def test_stop_in_the_feedback_form_is_recorded_as_no_comment(dispatcher, make_tracker) -> None:
    validate = ValidateFeedbackForm().validate_feedback_comment
    assert validate("stop", dispatcher, make_tracker("stop"), {}) == {"feedback_comment": ""}


def bot_answer(answer_id: str, ref: str, entry_ids: list[str]) -> dict:
    answer = {"id": answer_id, "ref": ref, "entry_ids": entry_ids}
    return {"event": "bot", "text": "…", "data": {"custom": {"sales_coach": answer}}}


def test_a_click_under_an_older_answer_rates_that_answer(dispatcher, make_tracker) -> None:
    events = [
        bot_answer("topic.follow_up", "0000000000aa", ["follow_up.quote"]),
        bot_answer("topic.drive", "0000000000bb", ["drive.why"]),
        # the 👍 under the first answer: bot/channels/guard.py put its reference in the metadata
        {"event": "user", "text": "/feedback_positive", "metadata": {"answer_ref": "0000000000aa"}},
    ]
    latest = {"id": "topic.drive", "entry_ids": ["drive.why"]}
    tracker = make_tracker("feedback_positive", slots={"last_answer": latest}, events=events)
    assert ActionRecordFeedback().run(dispatcher, tracker, {})[0] == SlotSet(
        "feedback",
        {"rating": "up", "answer_id": "topic.follow_up", "entry_ids": ["follow_up.quote"]},
    )


def test_a_click_on_an_answer_not_in_the_conversation_names_no_answer(
    dispatcher, make_tracker
) -> None:
    events = [
        bot_answer("topic.drive", "0000000000bb", ["drive.why"]),
        {"event": "user", "text": "/feedback_negative", "metadata": {"answer_ref": "0000000000cc"}},
    ]
    tracker = make_tracker("feedback_negative", slots={"last_answer": LAST}, events=events)
    assert ActionRecordFeedback().run(dispatcher, tracker, {})[0] == SlotSet(
        "feedback", {"rating": "down", "answer_id": None, "entry_ids": []}
    )
