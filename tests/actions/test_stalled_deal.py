import asyncio

import pytest
from rasa_sdk.events import SlotSet

from actions.checklist import ActionAskChecklistAnswer, ActionStartChecklist
from actions.stalled_deal import (
    ActionAskDealStage,
    ActionStalledDealSummary,
    ValidateStalledDealForm,
)

FORM = "stalled_deal_form"


def test_start_clears_the_last_run_and_takes_a_stage_from_the_message(
    dispatcher, make_tracker
) -> None:
    tracker = make_tracker(
        "describe_stalled_deal", [{"entity": "stage", "value": "product_delivery"}]
    )
    assert ActionStartChecklist().run(dispatcher, tracker, {}) == [
        SlotSet("deal_stage", "product_delivery"),
        SlotSet("checklist_answer", None),
        SlotSet("checklist_step", 0),
        SlotSet("checklist_done", []),
        SlotSet("topic", "follow_up"),
    ]
    assert dispatcher.messages == []


def test_the_readiness_check_is_about_promotion(dispatcher, make_tracker) -> None:
    events = ActionStartChecklist().run(dispatcher, make_tracker("ask_promotion_readiness"), {})
    assert events[-1] == SlotSet("topic", "promotion")


def test_asks_the_stage_with_all_six_buttons(dispatcher, make_tracker) -> None:
    ActionAskDealStage().run(dispatcher, make_tracker(slots={"language": "zh-Hant"}), {})
    message = dispatcher.messages[0]
    assert message["text"] == "我們來推動這筆單子。它目前在業務過程的哪個階段?"
    assert message["buttons"] == [
        {"title": "1. 收集目標客戶", "payload": '/inform{"stage":"collect_targets"}'},
        {"title": "2. 電話溝通", "payload": '/inform{"stage":"phone_contact"}'},
        {"title": "3. 初次拜訪", "payload": '/inform{"stage":"first_visit"}'},
        {"title": "4. 產品送達", "payload": '/inform{"stage":"product_delivery"}'},
        {"title": "5. 商務談判", "payload": '/inform{"stage":"negotiation"}'},
        {"title": "6. 訂單落實", "payload": '/inform{"stage":"order_closing"}'},
    ]


def validate_stage(dispatcher, tracker, value):
    return ValidateStalledDealForm().validate_deal_stage(value, dispatcher, tracker, {})


def test_a_stage_in_free_text_is_understood(dispatcher, make_tracker) -> None:
    tracker = make_tracker("inform", [{"entity": "stage", "value": "product_delivery"}])
    assert validate_stage(dispatcher, tracker, "we sent samples") == {
        "deal_stage": "product_delivery"
    }


@pytest.mark.parametrize(
    ("typed", "stage"),
    [
        ("4", "product_delivery"),
        ("4.", "product_delivery"),
        ("#4", "product_delivery"),
        ("stage 4", "product_delivery"),
        ("第四步", "product_delivery"),
        ("第4個階段", "product_delivery"),
        ("1", "collect_targets"),
        ("六", "order_closing"),
    ],
)
def test_the_number_of_a_stage_button_typed_is_that_stage(
    dispatcher, make_tracker, typed, stage
) -> None:
    # QA: the buttons are numbered "1."-"6."; "5" or "第五步" got the hint
    tracker = make_tracker("nlu_fallback", slots={"language": "en"})
    assert validate_stage(dispatcher, tracker, typed)["deal_stage"] == stage


@pytest.mark.parametrize("typed", ["7", "0", "45", "step 4 was fine but then", "第七步"])
def test_a_number_that_is_no_stage_is_asked_again(dispatcher, make_tracker, typed) -> None:
    tracker = make_tracker("nlu_fallback", slots={"language": "en"})
    assert validate_stage(dispatcher, tracker, typed) == {"deal_stage": None}


def test_an_unclear_stage_is_asked_again_with_a_hint(dispatcher, make_tracker) -> None:
    tracker = make_tracker("inform", slots={"language": "zh-Hans"})
    assert validate_stage(dispatcher, tracker, "不太清楚") == {"deal_stage": None}
    assert [m["text"] for m in dispatcher.messages] == [
        "我没看懂是哪个阶段。请点击按钮,或说例如「样品已送到」「在谈判」。"
    ]


def test_a_stage_without_advice_skips_straight_to_the_summary(dispatcher, make_tracker) -> None:
    assert validate_stage(dispatcher, make_tracker(), "negotiation") == {
        "deal_stage": "negotiation",
        "checklist_answer": False,
    }


def test_each_step_is_asked_with_its_citation(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        slots={"language": "en", "deal_stage": "product_delivery", "checklist_step": 1},
        active_loop=FORM,
    )
    ActionAskChecklistAnswer().run(dispatcher, tracker, {})
    message = dispatcher.messages[0]
    assert message["text"] == (
        "Step 2 of 4: Then get your own company's quality department to promptly solve the "
        "technical problems the customer ran into while trying the product.\n_Source: ¶8_\n\n"
        "Have you done this?"
    )
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny", "/stop"]


def validate_answer(dispatcher, tracker, value):
    return ValidateStalledDealForm().validate_checklist_answer(value, dispatcher, tracker, {})


@pytest.mark.parametrize(
    ("step", "done", "answer", "expected"),
    [
        (0, [], True, {"checklist_answer": None, "checklist_step": 1, "checklist_done": [0]}),
        (1, [0], False, {"checklist_answer": None, "checklist_step": 2, "checklist_done": [0]}),
        (3, [0], False, {"checklist_answer": False, "checklist_step": 3, "checklist_done": [0]}),
    ],
)
def test_answers_are_recorded_until_the_last_step(
    dispatcher, make_tracker, step, done, answer, expected
) -> None:
    tracker = make_tracker(
        slots={"deal_stage": "product_delivery", "checklist_step": step, "checklist_done": done},
        active_loop=FORM,
    )
    assert validate_answer(dispatcher, tracker, answer) == expected
    assert dispatcher.messages == []


def test_a_non_answer_is_asked_again_with_a_hint(dispatcher, make_tracker) -> None:
    tracker = make_tracker(slots={"language": "zh-Hant"}, active_loop=FORM)
    assert validate_answer(dispatcher, tracker, "嗯……") == {"checklist_answer": None}
    assert [m["text"] for m in dispatcher.messages] == ["請回答是或否(或說「停止」)。"]


def test_summary_lists_next_actions_and_what_is_done(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        slots={"language": "en", "deal_stage": "product_delivery", "checklist_done": [0, 2]}
    )
    events = ActionStalledDealSummary().run(dispatcher, tracker, {})
    assert events[1:3] == [SlotSet("has_answer", True), SlotSet("checklist_answer", None)]
    assert events[0]["value"]["id"] == "deal.product_delivery"
    assert dispatcher.messages[0]["text"] == (
        "**Your stalled deal: next actions**\n\n"
        "**Next actions:**\n\n"
        "- Have your quality team fix the problems found in trial (Source: ¶8)\n"
        "- When all is ready, arrange visits between the two companies' senior people "
        "(Source: ¶9)\n\n"
        "**Already done:**\n\n"
        "- Get the customer's quality-department test results (Source: ¶8)\n"
        "- Learn the customer's business and send useful suggestions or industry news "
        "(Source: ¶9)\n\n"
        "_Source: ¶8, ¶9_"
    )


def test_summary_for_a_stage_the_article_does_not_cover(dispatcher, make_tracker) -> None:
    tracker = make_tracker(slots={"language": "zh-Hans", "deal_stage": "order_closing"})
    ActionStalledDealSummary().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "文章没有针对卡在「订单落实」阶段的具体建议。它相关的说法是:" in text
    assert text.endswith("_出处:第9段_")


def test_the_flows_own_reset_is_not_taken_for_an_unclear_answer(dispatcher, make_tracker) -> None:
    """Rasa validates the slots action_start_checklist clears when the form starts: the button
    "Coach me on a stalled deal" got two hints before its first question (issue 7)."""
    tracker = make_tracker("describe_stalled_deal", active_loop=FORM)
    assert validate_stage(dispatcher, tracker, None) == {"deal_stage": None}
    assert validate_answer(dispatcher, tracker, None) == {"checklist_answer": None}
    assert dispatcher.messages == []


def slot_events(**slots):
    return [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]


def run_validation(dispatcher, tracker, domain):
    return asyncio.run(ValidateStalledDealForm().run(dispatcher, tracker, domain))


@pytest.mark.parametrize("stage", ["negotiation", "order_closing"])
def test_a_stage_without_steps_named_at_the_start_leaves_nothing_to_ask(
    dispatcher, make_tracker, stage
) -> None:
    """QA defect 1: "we're stuck at negotiation" during the delivery checklist restarts the
    coach at a stage with no steps; back in the form, Rasa validates nothing before it asks
    (not after action_listen), so it asked step 1 of none (IndexError in
    action_ask_checklist_answer). A value for the answer lets the form end with the summary."""
    tracker = make_tracker("describe_stalled_deal", [{"entity": "stage", "value": stage}])
    assert ActionStartChecklist().run(dispatcher, tracker, {})[:2] == [
        SlotSet("deal_stage", stage),
        SlotSet("checklist_answer", False),
    ]


def test_the_readiness_check_is_not_ended_by_a_stage_it_names(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_promotion_readiness", [{"entity": "stage", "value": "negotiation"}])
    assert ActionStartChecklist().run(dispatcher, tracker, {})[1] == SlotSet(
        "checklist_answer", None
    )


def test_at_activation_a_stage_without_steps_and_its_answer_validate_to_the_summary(
    dispatcher, make_tracker, domain
) -> None:
    """The form's activation validates both prefilled slots, the stage first."""
    events = [
        {"event": "action", "name": "stalled_deal_form"},
        *slot_events(deal_stage="negotiation", checklist_answer=False),
    ]
    tracker = make_tracker(
        "describe_stalled_deal",
        slots={"deal_stage": "negotiation", "checklist_answer": False},
        events=events,
    )
    assert run_validation(dispatcher, tracker, domain) == [
        SlotSet("deal_stage", "negotiation"),
        SlotSet("checklist_answer", False),
        SlotSet("checklist_step", 0),
        SlotSet("checklist_done", []),
    ]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("intent", "stage", "expected"),
    [
        # a stage button of the same flow, or "we're stuck at closing" read as inform
        (
            "inform",
            "order_closing",
            {
                "checklist_answer": False,
                "checklist_step": 0,
                "checklist_done": [],
                "deal_stage": "order_closing",
            },
        ),
        (
            "describe_stalled_deal",
            "product_delivery",
            {
                "checklist_answer": None,
                "checklist_step": 0,
                "checklist_done": [],
                "deal_stage": "product_delivery",
            },
        ),
    ],
)
def test_another_stage_named_instead_of_yes_or_no_switches_the_checklist(
    dispatcher, make_tracker, intent, stage, expected
) -> None:
    tracker = make_tracker(
        intent,
        [{"entity": "stage", "value": stage}],
        slots={"deal_stage": "negotiation", "checklist_step": 2, "checklist_done": [0, 1]},
        active_loop=FORM,
    )
    assert validate_answer(dispatcher, tracker, f"/{intent}") == expected
    assert dispatcher.messages == []


def test_the_same_stage_named_again_is_an_unclear_answer(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "inform",
        [{"entity": "stage", "value": "product_delivery"}],
        slots={"language": "en", "deal_stage": "product_delivery", "checklist_step": 1},
        active_loop=FORM,
    )
    assert validate_answer(dispatcher, tracker, "samples delivered") == {"checklist_answer": None}
    assert [m["text"] for m in dispatcher.messages] == ["Please answer yes or no (or say stop)."]
