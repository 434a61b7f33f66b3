import pytest
from rasa_sdk.events import SlotSet

from actions.compare_roles import ActionCompareRoles, roles_to_compare

# The roles the function is given here, not the project's (those are data: terms.yml).
EVERY_ROLE = ("sales_rep", "sales_manager", "account_manager", "regional_manager")


def role(value: str) -> dict:
    return {"entity": "role", "value": value}


@pytest.mark.parametrize(
    ("named", "earlier", "expected"),
    [
        (["sales_manager", "account_manager"], [], ["sales_manager", "account_manager"]),
        (["account_manager"], ["sales_manager"], ["sales_manager", "account_manager"]),
        (
            ["account_manager"],
            ["account_manager"],
            ["account_manager", "sales_rep", "sales_manager", "regional_manager"],
        ),
        (
            ["regional_manager"],
            [],
            ["regional_manager", "sales_rep", "sales_manager", "account_manager"],
        ),
        ([], ["sales_rep", "sales_manager"], ["sales_rep", "sales_manager"]),
        ([], ["sales_rep"], ["sales_rep", "sales_manager", "account_manager", "regional_manager"]),
        # "Did you mean How roles differ?" under a sales manager card: it leads the table
        (
            [],
            ["sales_manager"],
            ["sales_manager", "sales_rep", "account_manager", "regional_manager"],
        ),
        ([], [], ["sales_rep", "sales_manager", "account_manager", "regional_manager"]),
    ],
)
def test_which_roles_are_compared(named, earlier, expected) -> None:
    assert roles_to_compare(named, earlier, EVERY_ROLE) == expected


def test_two_named_roles_give_a_table_and_the_direct_comparison(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "compare_roles", [role("sales_manager"), role("account_manager")], {"language": "en"}
    )
    events = ActionCompareRoles().run(dispatcher, tracker, {})
    assert events == [
        SlotSet("roles", ["sales_manager", "account_manager"]),
        SlotSet("topic", None),
        SlotSet(
            "last_answer",
            {
                "id": "comparison.sales_manager+account_manager",
                "kind": "comparison",
                "title": "Sales manager vs Account manager: how they differ",
                # the cells row by row (reports_to: the account manager's marked inference),
                # then what the article says on the pair
                "entry_ids": [
                    "role.sales_manager.scope",
                    "role.account_manager.scope",
                    "role.account_manager.varies",
                    "role.sales_manager.functions",
                    "role.sales_manager.coordinates",
                    "role.account_manager.functions",
                    "role.regional_manager.manages",
                    "role.regional_manager.duties",
                    "role.sales_manager.team",
                    "career.promotion",
                    "compare.sales_manager.account_manager.functions",
                    "compare.sales_manager.account_manager.not_pre_post_sales",
                ],
                "roles": ["sales_manager", "account_manager"],
                "aspect": None,
            },
        ),
        SlotSet("has_answer", True),
    ]
    message = dispatcher.messages[0]
    answer = message["custom"]["sales_coach"]
    assert answer["kind"] == "comparison"
    assert answer["blocks"][0]["columns"] == ["", "Sales manager", "Account manager"]
    assert answer["blocks"][0]["rows"][2] == [
        "Reports to",
        "The article does not say.",
        "The article does not say. An inference, not stated in it: A regional manager oversees"
        " several account managers, assigns them the region's plans, and leads and regularly"
        " assesses their work (¶24, ¶26); this suggests an account manager reports to a regional"
        " manager.",
    ]
    assert "| Reports to | The article does not say. |" in message["text"]
    assert "not after-sales versus pre-sales service" in message["text"]
    assert message["text"].endswith("_Source: ¶18, ¶19, ¶20, ¶22, ¶24, ¶25, ¶26_")


def test_one_aspect_and_the_other_role_from_context(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "compare_roles",
        [role("regional_manager"), {"entity": "aspect", "value": "reports_to"}],
        {"language": "zh-Hant", "roles": ["sales_manager"]},
    )
    events = ActionCompareRoles().run(dispatcher, tracker, {})
    assert events[0] == SlotSet("roles", ["sales_manager", "regional_manager"])
    assert events[2]["value"]["id"] == "comparison.sales_manager+regional_manager.reports_to"
    table = dispatcher.messages[0]["custom"]["sales_coach"]["blocks"][0]
    assert table == {
        "type": "table",
        "columns": ["", "銷售經理", "區域經理"],
        "rows": [["向誰匯報", "文章沒有提到。", "區域經理:……向市場經理匯報。"]],
    }
