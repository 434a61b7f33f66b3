"""The trainers' report reads a 👎's comment and the unanswered questions from the tracker's
events (bot/report/stats.py) as a form leaves them: what was typed, then what validation kept."""

from __future__ import annotations

from bot.report.stats import build
from tests.report.test_misread import Events


def thumbs_down(events: Events) -> Events:
    events.user("what is drive", "ask_drive").action("action_answer_topic")
    events.answer("topic.drive")
    events.user('/feedback_negative{"answer_ref":"1"}', "feedback_negative", None)
    events.add(
        {
            "event": "slot",
            "name": "feedback",
            "value": {"rating": "down", "answer_id": "topic.drive"},
        }
    )
    events.add({"event": "active_loop", "name": "feedback_form"})
    return events


def test_a_comment_the_form_cleared_is_no_comment() -> None:
    # "skip" (or 算了) is first set as typed, then cleared by the form's validation
    events = thumbs_down(Events()).user("skip", "nlu_fallback")
    events.add({"event": "slot", "name": "feedback_comment", "value": "skip"})
    events.add({"event": "slot", "name": "feedback_comment", "value": ""})
    events.add({"event": "active_loop", "name": None})
    events.user("what is tenacity", "ask_tenacity")  # later slots are not this comment's
    events.add({"event": "slot", "name": "feedback_comment", "value": None})
    [feedback] = build([events.events]).feedback
    assert feedback.comment == ""


def test_a_comment_kept_is_the_comment() -> None:
    events = thumbs_down(Events()).user("it never says how often to call", "nlu_fallback")
    events.add(
        {"event": "slot", "name": "feedback_comment", "value": "it never says how often to call"}
    )
    events.add({"event": "active_loop", "name": None})
    [feedback] = build([events.events]).feedback
    assert feedback.comment == "it never says how often to call"


def test_what_is_typed_into_a_form_is_not_an_unanswered_question() -> None:
    events = thumbs_down(Events()).user("太短了,想要具體做法", "nlu_fallback", "zh-Hant")
    events.add({"event": "slot", "name": "feedback_comment", "value": "太短了,想要具體做法"})
    events.add({"event": "active_loop", "name": None})
    events.user("what is chemistry", "out_of_scope")  # asked outside any form: listed
    assert [item.text for item in build([events.events]).unanswered] == ["what is chemistry"]


def test_a_thumbs_down_names_the_question_typed_before_the_answer() -> None:
    # a guess clicked: the question is what was typed, not the button's payload
    events = Events().user("tenasity?", "nlu_fallback").action("action_clarify")
    events.user("/ask_tenacity", "ask_tenacity", None).action("action_answer_topic")
    events.answer("topic.tenacity")
    # a follow-up naming a role: its answer's question is the follow-up
    events.user("咁區域經理呢?", "what_about", "zh-Hant").action("action_answer_in_context")
    events.answer("duties.regional_manager")
    for answer_id in ("topic.tenacity", "duties.regional_manager"):
        events.add(
            {
                "event": "slot",
                "name": "feedback",
                "value": {"rating": "down", "answer_id": answer_id},
            }
        )
    assert [item.question for item in build([events.events]).feedback] == [
        "tenasity?",
        "咁區域經理呢?",
    ]


def test_in_a_flow_an_answer_is_no_question_a_side_question_is() -> None:
    events = Events().user("am I ready to manage?", "ask_promotion_readiness")
    events.add({"event": "active_loop", "name": "readiness_form"})
    events.user("yes", "affirm")  # answers the flow's question
    events.user("what is drive", "ask_drive").action("action_answer_topic").answer("topic.drive")
    events.user("no", "deny").answer("readiness.summary")
    for answer_id in ("topic.drive", "readiness.summary"):
        events.add(
            {
                "event": "slot",
                "name": "feedback",
                "value": {"rating": "down", "answer_id": answer_id},
            }
        )
    side, summary = build([events.events]).feedback
    assert side.question == "what is drive"
    assert summary.question not in ("yes", "no")
