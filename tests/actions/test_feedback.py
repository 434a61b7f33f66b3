import pytest
from rasa_sdk.events import FollowupAction, SlotSet

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


@pytest.mark.parametrize("typed", ["skip", "Skip.", "跳过", "略過", "no comment", "冇"])
def test_the_skip_word_the_question_suggests_is_no_comment_whatever_the_nlu_says(
    dispatcher, make_tracker, typed
) -> None:
    # QA: "skip" (as the 👎 question suggests) was parsed as nlu_fallback and kept as the comment
    validate = ValidateFeedbackForm().validate_feedback_comment
    assert validate(typed, dispatcher, make_tracker("nlu_fallback"), {}) == {"feedback_comment": ""}


def test_the_forms_own_reset_of_the_comment_is_not_a_skip(dispatcher, make_tracker) -> None:
    # the 👎 click resets the slot to None; "none" is a skip word, None is not
    validate = ValidateFeedbackForm().validate_feedback_comment
    tracker = make_tracker("feedback_negative")
    assert validate(None, dispatcher, tracker, {}) == {"feedback_comment": None}


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


def test_a_click_on_an_answer_not_in_the_conversation_records_nothing(
    dispatcher, make_tracker
) -> None:
    """QA defect 3: it stored a 👎 with answer_id None, which the report showed as "Question:
    (empty) / Answer: no answer recorded"; and the feedback form then asked what was missing."""
    events = [
        bot_answer("topic.drive", "0000000000bb", ["drive.why"]),
        {"event": "user", "text": "/feedback_negative", "metadata": {"answer_ref": "0000000000cc"}},
    ]
    tracker = make_tracker(
        "feedback_negative", slots={"last_answer": LAST, "language": "en"}, events=events
    )
    assert ActionRecordFeedback().run(dispatcher, tracker, {}) == [FollowupAction("action_listen")]
    assert [m["text"] for m in dispatcher.messages] == [
        "I can't tell which answer that rating is for, so I didn't record it. Ask again and rate "
        "the new answer."
    ]


@pytest.mark.parametrize("intent", ["feedback_positive", "feedback_negative"])
@pytest.mark.parametrize("form", ["readiness_form", "stalled_deal_form"])
def test_a_rating_typed_in_a_flow_is_an_unclear_answer_not_a_rating(
    dispatcher, make_tracker, intent, form
) -> None:
    """QA defect 3: "idk" (read as 👎) in the readiness check stored a 👎 with no answer; "🙂"
    (read as 👍) in a flow rated the answer given before the flow."""
    events = [{"event": "user", "text": "idk", "metadata": {}}]
    tracker = make_tracker(
        intent,
        slots={"last_answer": LAST, "language": "zh-Hant"},
        events=events,
        active_loop=form,
    )
    assert ActionRecordFeedback().run(dispatcher, tracker, {}) == []
    assert [m["text"] for m in dispatcher.messages] == ["請回答是或否(或說「停止」)。"]


def test_the_button_under_an_answer_still_rates_it_in_a_flow(dispatcher, make_tracker) -> None:
    events = [
        bot_answer("topic.drive", "0000000000bb", ["drive.why"]),
        {"event": "user", "text": "/feedback_positive", "metadata": {"answer_ref": "0000000000bb"}},
    ]
    tracker = make_tracker(
        "feedback_positive",
        slots={"last_answer": LAST, "language": "en"},
        events=events,
        active_loop="readiness_form",
    )
    assert ActionRecordFeedback().run(dispatcher, tracker, {})[0] == SlotSet(
        "feedback", {"rating": "up", "answer_id": "topic.drive", "entry_ids": ["drive.why"]}
    )
    assert [m["text"] for m in dispatcher.messages] == ["Thanks for the feedback!"]


def test_a_typed_rating_with_no_answer_yet_records_nothing(dispatcher, make_tracker) -> None:
    tracker = make_tracker("feedback_positive", slots={"language": "en"})
    assert ActionRecordFeedback().run(dispatcher, tracker, {}) == [FollowupAction("action_listen")]


def test_a_rating_typed_while_the_stage_is_asked_gets_the_stage_hint(
    dispatcher, make_tracker
) -> None:
    tracker = make_tracker(
        "feedback_positive",
        slots={"last_answer": LAST, "language": "en", "requested_slot": "deal_stage"},
        events=[{"event": "user", "text": "🙂", "metadata": {}}],
        active_loop="stalled_deal_form",
    )
    assert ActionRecordFeedback().run(dispatcher, tracker, {}) == []
    assert [m["text"] for m in dispatcher.messages] == [
        "I didn't catch the stage. Pick a button, or say e.g. "
        '"samples delivered" or "negotiating".'
    ]


def test_a_thumbs_down_button_in_a_flow_is_acknowledged(dispatcher, make_tracker) -> None:
    # QA: the 👎 under an earlier answer, clicked mid-check, was stored without a word
    events = [
        bot_answer("topic.drive", "0000000000bb", ["drive.why"]),
        {"event": "user", "text": "/feedback_negative", "metadata": {"answer_ref": "0000000000bb"}},
    ]
    tracker = make_tracker(
        "feedback_negative",
        slots={"last_answer": LAST, "language": "zh-Hans"},
        events=events,
        active_loop="readiness_form",
    )
    assert ActionRecordFeedback().run(dispatcher, tracker, {})[0] == SlotSet(
        "feedback", {"rating": "down", "answer_id": "topic.drive", "entry_ids": ["drive.why"]}
    )
    assert [m["text"] for m in dispatcher.messages] == ["已记下:那个回答没帮上忙。回到刚才的问题:"]
