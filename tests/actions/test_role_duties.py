import yaml
from rasa_sdk.events import SlotSet

from actions.role_duties import ActionRoleDuties
from bot.knowledge.base import KNOWLEDGE_DIR

ROLE = {"entity": "role", "value": "regional_manager"}


def test_duties_of_the_named_role(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_role_duties", [ROLE], {"language": "en"})
    events = ActionRoleDuties().run(dispatcher, tracker, {})
    assert events == [
        SlotSet("roles", ["regional_manager"]),
        SlotSet("topic", None),
        SlotSet(
            "last_answer",
            {
                "id": "duties.regional_manager",
                "kind": "duties",
                "title": "Regional manager: what the job involves",
                "entry_ids": [
                    "role.regional_manager.scope",
                    "role.regional_manager.duties",
                    "role.regional_manager.reports_to",
                    "role.regional_manager.manages",
                ],
                "roles": ["regional_manager"],
                "aspect": None,
            },
        ),
        SlotSet("has_answer", True),
    ]
    text = dispatcher.messages[0]["text"]
    assert text.startswith("**Regional manager: what the job involves**")
    assert "**Reports to:** A regional manager reports to the marketing manager." in text
    assert "The article does not say: What it takes, Pay." in text
    assert text.endswith("_Source: ¶24, ¶26_")


def test_role_from_the_conversation(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "ask_role_duties", [], {"language": "zh-Hant", "roles": ["account_manager"]}
    )
    events = ActionRoleDuties().run(dispatcher, tracker, {})
    assert events[:2] == [SlotSet("roles", ["account_manager"]), SlotSet("topic", None)]
    assert dispatcher.messages[0]["text"].startswith("**客戶經理做什麼**")


def test_no_role_asks_which_with_buttons(dispatcher, make_tracker) -> None:
    events = ActionRoleDuties().run(
        dispatcher, make_tracker("ask_role_duties", [], {"language": "zh-Hans"}), {}
    )
    assert events == []
    message = dispatcher.messages[0]
    assert message["text"] == "文章讲的是下面这四个职位。你想了解哪一个?"
    # one button per role of terms.yml (read as written), in its order
    terms = yaml.safe_load((KNOWLEDGE_DIR / "terms.yml").read_text(encoding="utf-8"))
    assert len(message["buttons"]) == len(terms["role"])
    assert message["buttons"][:4] == [
        {"title": "销售员", "payload": '/ask_role_duties{"role":"sales_rep"}'},
        {"title": "销售经理", "payload": '/ask_role_duties{"role":"sales_manager"}'},
        {"title": "客户经理", "payload": '/ask_role_duties{"role":"account_manager"}'},
        {"title": "区域经理", "payload": '/ask_role_duties{"role":"regional_manager"}'},
    ]


def test_one_aspect_asked_gets_that_aspect_only(dispatcher, make_tracker) -> None:
    """Who a sales rep reports to: the reporting line, not the whole role card."""
    tracker = make_tracker(
        "ask_role_duties",
        [{"entity": "role", "value": "sales_rep"}, {"entity": "aspect", "value": "reports_to"}],
        {"language": "en"},
    )
    events = ActionRoleDuties().run(dispatcher, tracker, {})
    assert events == [
        SlotSet("roles", ["sales_rep"]),
        SlotSet("topic", None),
        SlotSet(
            "last_answer",
            {
                "id": "duties.sales_rep.reports_to",
                "kind": "duties",
                "title": "Sales rep: what the job involves",
                # what the marked inference rests on (roles.yml)
                "entry_ids": [
                    "role.sales_manager.functions",
                    "role.sales_manager.team",
                    "role.sales_manager.coordinates",
                    "role.regional_manager.manages",
                ],
                "roles": ["sales_rep"],
                "aspect": "reports_to",
            },
        ),
        SlotSet("has_answer", True),
    ]
    assert dispatcher.messages[0]["text"] == (
        "**Sales rep: what the job involves**\n\n"
        "**Reports to:** The article does not say. An inference, not stated in it: The article "
        "has the sales manager recruiting, training, paying and managing salespeople (¶19, ¶22, "
        "¶25), and a regional manager overseeing the local sales reps (¶24); this suggests a rep "
        "reports to a sales manager or a regional manager.\n\n"
        "_Source: ¶19, ¶22, ¶24, ¶25_"
    )
    assert [b["payload"].split("{")[0] for b in dispatcher.messages[0]["buttons"]] == [
        "/ask_more",
        "/feedback_positive",
        "/feedback_negative",
    ]


def test_an_aspect_the_article_is_silent_on_says_so(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "ask_role_duties",
        [{"entity": "role", "value": "sales_manager"}, {"entity": "aspect", "value": "reports_to"}],
        {"language": "zh-Hant"},
    )
    ActionRoleDuties().run(dispatcher, tracker, {})
    answer = dispatcher.messages[0]["custom"]["sales_coach"]
    assert answer["blocks"] == [{"type": "paragraph", "text": "文章沒有提到:向誰匯報。"}]
    assert answer["citations"] == []


def test_a_close_second_guess_is_offered_in_the_users_script(dispatcher, make_tracker) -> None:
    ranking = [
        {"name": "ask_role_duties", "confidence": 0.5},
        {"name": "compare_roles", "confidence": 0.4},
    ]
    tracker = make_tracker(
        "ask_role_duties",
        entities=[{"entity": "role", "value": "sales_manager"}],
        slots={"language": "zh-Hans"},
        intent_ranking=ranking,
    )
    ActionRoleDuties().run(dispatcher, tracker, {})
    buttons = dispatcher.messages[0]["buttons"]
    assert {"title": "还是想问「职位的区别」?", "payload": "/compare_roles"} in buttons
