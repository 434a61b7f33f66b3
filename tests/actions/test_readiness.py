from rasa_sdk.events import SlotSet

from actions.checklist import ActionAskChecklistAnswer
from actions.readiness import ActionReadinessSummary, ValidateReadinessForm

FORM = "readiness_form"


def test_first_question_introduces_the_check(dispatcher, make_tracker) -> None:
    tracker = make_tracker(slots={"language": "zh-Hans", "checklist_step": 0}, active_loop=FORM)
    ActionAskChecklistAnswer().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == (
        "我们对照文章所说销售经理需要具备和负责的事来检查。\n\n"
        "第1题(共6题):你有能证明自己技能过硬的业绩吗?"
    )


def test_last_answer_ends_the_form(dispatcher, make_tracker) -> None:
    tracker = make_tracker(slots={"checklist_step": 5, "checklist_done": [0]}, active_loop=FORM)
    result = ValidateReadinessForm().validate_checklist_answer(True, dispatcher, tracker, {})
    assert result == {"checklist_answer": True, "checklist_step": 5, "checklist_done": [0, 5]}


def test_summary_gives_strengths_gaps_and_what_is_not_covered(dispatcher, make_tracker) -> None:
    tracker = make_tracker(slots={"language": "en", "checklist_done": [0, 4]})
    events = ActionReadinessSummary().run(dispatcher, tracker, {})
    assert events[1:3] == [SlotSet("has_answer", True), SlotSet("checklist_answer", None)]
    text = dispatcher.messages[0]["text"]
    assert "**Strengths:**\n\n- A track record that proves your skills (Source: ¶22)\n" in text
    assert (
        "**Gaps to work on:**\n\n- Staff training (Source: ¶22)\n"
        "- Managing people and the sales direction (Source: ¶22)\n" in text
    )
    gaps = text.split("**Gaps to work on:**")[1].split("**What the job involves")[0]
    assert "¶19" not in gaps, "a sales manager's functions (¶19) are not promotion criteria"
    assert (
        "**What the job involves (the article lists these as a sales manager's functions, not as"
        " conditions for promotion):**\n\n"
        "- Setting targets, quotas, plans and budgets (Source: ¶19): not yet\n"
        "- Recruiting salespeople (Source: ¶19): done before\n"
        "- Assessing sales performance (Source: ¶19): not yet\n"
    ) in text
    assert "The article does not cover how long a promotion takes" in text
    assert text.endswith("_Source: ¶19, ¶22_")


def test_no_strengths_says_none_yet(dispatcher, make_tracker) -> None:
    ActionReadinessSummary().run(dispatcher, make_tracker(slots={"language": "zh-Hant"}), {})
    assert "**優勢:**\n\n暫無" in dispatcher.messages[0]["text"]
