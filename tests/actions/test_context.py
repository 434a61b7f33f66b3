from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionAnswerInContext


def run(dispatcher, tracker) -> list:
    return ActionAnswerInContext().run(dispatcher, tracker, {})


PAIR = ["sales_manager", "account_manager"]


def after_comparison(aspect: str | None = None) -> dict:
    """The slots right after the sales manager / account manager table (or one aspect of it)."""
    answer_id = "comparison.sales_manager+account_manager" + (f".{aspect}" if aspect else "")
    last = {"id": answer_id, "kind": "comparison", "roles": PAIR, "aspect": aspect}
    return {"language": "en", "roles": PAIR, "last_answer": last}


def test_tell_me_more_gives_the_rest_of_the_topic(dispatcher, make_tracker) -> None:
    events = run(
        dispatcher, make_tracker("ask_more", slots={"language": "en", "topic": "follow_up"})
    )
    text = dispatcher.messages[0]["text"]
    assert text.startswith("**Following up with customers: more**\n\n- First, once the product")
    assert text.endswith("_Source: ¶8, ¶9_")
    assert events[0]["value"]["id"] == "topic.follow_up"
    assert [b["payload"].split("{")[0] for b in dispatcher.messages[0]["buttons"]] == [
        "/describe_stalled_deal",
        "/feedback_positive",
        "/feedback_negative",
    ]


def test_why_gives_the_articles_reasons(dispatcher, make_tracker) -> None:
    run(
        dispatcher, make_tracker("ask_why", slots={"language": "zh-Hant", "topic": "communication"})
    )
    text = dispatcher.messages[0]["text"]
    assert text.startswith("**為什麼?文章的說法**\n\n溝通不當在業務開發階段")
    assert text.endswith("_出處:第11段_")


def test_why_without_a_reason_in_the_article_says_so(dispatcher, make_tracker) -> None:
    run(dispatcher, make_tracker("ask_why", slots={"language": "en", "topic": "promotion"}))
    assert dispatcher.messages[0]["text"] == (
        "**Why? What the article says**\n\nThe article does not explain why. "
        "It only states what is above."
    )


def test_example_admits_there_are_none_and_gives_the_concrete_points(
    dispatcher, make_tracker
) -> None:
    run(dispatcher, make_tracker("ask_example", slots={"language": "zh-Hans", "topic": "drive"}))
    text = dispatcher.messages[0]["text"]
    assert "文章没有举实际例子。它在这方面最具体的说法是:" in text
    assert "- 一种是求稳定型" in text


def test_what_about_after_a_comparison_swaps_in_the_new_role(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "what_about",
        [{"entity": "role", "value": "regional_manager"}],
        after_comparison(),
    )
    events = run(dispatcher, tracker)
    assert events[0] == SlotSet("roles", ["sales_manager", "regional_manager"])
    table = dispatcher.messages[0]["custom"]["sales_coach"]["blocks"][0]
    assert table["columns"] == ["", "Sales manager", "Regional manager"]


def test_what_about_a_role_after_a_topic_gives_its_duties(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "what_about", [{"entity": "role", "value": "account_manager"}], {"language": "zh-Hans"}
    )
    events = run(dispatcher, tracker)
    assert events[:2] == [SlotSet("roles", ["account_manager"]), SlotSet("topic", None)]
    assert dispatcher.messages[0]["text"].startswith("**客户经理做什么**")


def test_what_about_a_skill_answers_that_topic(dispatcher, make_tracker) -> None:
    tracker = make_tracker("what_about", [{"entity": "competency", "value": "tenacity"}])
    events = run(dispatcher, tracker)
    assert events[:2] == [SlotSet("topic", "tenacity"), SlotSet("roles", None)]
    assert dispatcher.messages[0]["text"].startswith("**Tenacity**")


def test_what_about_nothing_asks_which(dispatcher, make_tracker) -> None:
    assert run(dispatcher, make_tracker("what_about", slots={"language": "en"})) == []
    assert dispatcher.messages[0]["text"].startswith("What about which role or skill?")


def test_more_after_a_duties_answer_says_that_is_all(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "ask_more",
        slots={
            "language": "en",
            "roles": ["sales_rep"],
            "last_answer": {"id": "duties.sales_rep", "kind": "duties", "roles": ["sales_rep"]},
        },
    )
    run(dispatcher, tracker)
    assert "That is everything the article says on this." in dispatcher.messages[0]["text"]


def test_more_after_one_aspect_gives_the_whole_role_card(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "ask_more",
        slots={
            "language": "en",
            "roles": ["sales_rep"],
            "last_answer": {
                "id": "duties.sales_rep.reports_to",
                "kind": "duties",
                "roles": ["sales_rep"],
                "aspect": "reports_to",
            },
        },
    )
    events = run(dispatcher, tracker)
    assert events[0]["value"]["id"] == "duties.sales_rep"
    text = dispatcher.messages[0]["text"]
    assert text.startswith("**Sales rep: what the job involves**")
    assert "**Reports to:**" in text
    assert "**Scope:**" in text


def test_more_after_one_aspect_of_a_comparison_gives_the_whole_table(
    dispatcher, make_tracker
) -> None:
    tracker = make_tracker("ask_more", slots=after_comparison("scope"))
    events = run(dispatcher, tracker)
    assert events[0]["value"]["id"] == "comparison.sales_manager+account_manager"
    table = dispatcher.messages[0]["custom"]["sales_coach"]["blocks"][0]
    assert table["columns"] == ["", "Sales manager", "Account manager"]
    assert [row[0] for row in table["rows"]] == [
        "Scope",
        "Duties",
        "Reports to",
        "Manages",
        "What it takes",
    ]


def test_what_about_a_role_already_compared_keeps_the_pair(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "what_about",
        [{"entity": "role", "value": "sales_manager"}],
        after_comparison(),
    )
    events = run(dispatcher, tracker)
    assert events[0] == SlotSet("roles", ["sales_manager", "account_manager"])


def test_what_about_a_role_after_a_role_card_describes_that_role(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "what_about",
        [{"entity": "role", "value": "account_manager"}],
        {
            "language": "en",
            "roles": ["sales_rep"],
            "last_answer": {"id": "duties.sales_rep", "kind": "duties", "roles": ["sales_rep"]},
        },
    )
    events = run(dispatcher, tracker)
    assert events[:2] == [SlotSet("roles", ["account_manager"]), SlotSet("topic", None)]
    answer = dispatcher.messages[0]["custom"]["sales_coach"]
    assert (answer["kind"], answer["roles"]) == ("duties", ["account_manager"])


def test_what_about_after_one_aspect_asks_that_aspect_of_the_new_role(
    dispatcher, make_tracker
) -> None:
    # "who does the regional manager report to?" then "and the account manager?"
    tracker = make_tracker(
        "what_about",
        [{"entity": "role", "value": "account_manager"}],
        {
            "language": "zh-Hans",
            "roles": ["regional_manager"],
            "last_answer": {
                "id": "duties.regional_manager.reports_to",
                "kind": "duties",
                "roles": ["regional_manager"],
                "aspect": "reports_to",
            },
        },
    )
    events = run(dispatcher, tracker)
    assert events[:2] == [SlotSet("roles", ["account_manager"]), SlotSet("topic", None)]
    assert events[2]["value"]["id"] == "duties.account_manager.reports_to"
    assert dispatcher.messages[0]["text"] == (
        "**客户经理做什么**\n\n**向谁汇报:** 文章没有提到。"
        "推论(并非文章原话):区域经理下辖若干个客户经理,"
        "把本区域的计划分解部署给他们,并带领和定期评估他们的工作(第24、26段);"
        "由此推断,客户经理向区域经理汇报。"
        "\n\n_出处:第24段、第26段_"
    )


def test_what_about_after_one_aspect_of_a_comparison_keeps_the_aspect(
    dispatcher, make_tracker
) -> None:
    tracker = make_tracker(
        "what_about",
        [{"entity": "role", "value": "regional_manager"}],
        after_comparison("reports_to"),
    )
    run(dispatcher, tracker)
    table = dispatcher.messages[0]["custom"]["sales_coach"]["blocks"][0]
    assert table["columns"] == ["", "Sales manager", "Regional manager"]
    assert [row[0] for row in table["rows"]] == ["Reports to"]


def more_turns(make_tracker, slots: dict, count: int) -> list[dict]:
    """`count` "tell me more" in a row, each with the slots the one before left; their messages."""
    messages = []
    for _ in range(count):
        dispatcher = CollectingDispatcher()
        events = run(dispatcher, make_tracker("ask_more", slots=slots))
        slots = {**slots, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}
        messages += dispatcher.messages
    return messages


def test_more_twice_after_a_topic_says_that_is_all_under_its_title(make_tracker) -> None:
    """QA defect 6: after the regional-manager-offer answer, a second "tell me more" repeated
    the first word for word."""
    short = {"id": "topic.management_offer", "kind": "answer", "entry_ids": ["x"]}
    slots = {"language": "en", "topic": "management_offer", "last_answer": short}
    first, second, third = (m["text"] for m in more_turns(make_tracker, slots, 3))
    assert first.startswith("**Being offered a management post: more**\n\nA regional manager")
    assert (
        second
        == third
        == (
            "**Being offered a management post: more**\n\n"
            "That is everything the article says on this."
        )
    )


def test_more_after_a_comparison_is_titled_with_it(make_tracker) -> None:
    """QA defect 6: the second "再多說一點" after a comparison was titled "**…(續)**"."""
    last = {
        "id": "comparison.regional_manager+sales_manager",
        "kind": "comparison",
        "title": "區域經理、銷售經理的區別",
        "roles": ["regional_manager", "sales_manager"],
        "aspect": None,
    }
    slots = {"language": "zh-Hant", "roles": last["roles"], "last_answer": last}
    first, second = (m["text"] for m in more_turns(make_tracker, slots, 2))
    assert first == second == "**區域經理、銷售經理的區別(續)**\n\n文章在這方面就說了這些。"


def test_more_on_the_competencies_gives_execution_before_the_articles_opening(
    make_tracker,
) -> None:
    """QA defect 6: "tell me more" after the four competencies led with ¶3-5 ("Selling is
    neither big nor small…"); execution, the competency the answer names first, comes first."""
    short = {"id": "topic.competencies", "kind": "answer", "entry_ids": ["competencies.four"]}
    slots = {"language": "en", "topic": "competencies", "last_answer": short}
    messages = more_turns(make_tracker, slots, 3)
    first, second, third = (m["text"] for m in messages)
    assert first.startswith(
        "**The four core competencies of a salesperson: more**\n\nThe execution"
    )
    assert "Selling is neither big nor small" not in first
    assert first.endswith("_Source: ¶6, ¶9_")
    assert messages[0]["buttons"][0]["payload"] == "/ask_more"
    assert second.endswith("_Source: ¶3, ¶4, ¶5_")
    assert "/ask_more" not in [b["payload"] for b in messages[1]["buttons"]]
    assert third.endswith("That is everything the article says on this.")


def test_an_aspect_without_a_role_asks_it_of_the_role_talked_about(
    dispatcher, make_tracker
) -> None:
    # QA: "what does a regional manager do", then "who does he report to?"
    tracker = make_tracker(
        "what_about",
        [{"entity": "aspect", "value": "reports_to"}],
        {
            "language": "en",
            "roles": ["regional_manager"],
            "last_answer": {
                "id": "duties.regional_manager",
                "kind": "duties",
                "roles": ["regional_manager"],
            },
        },
    )
    events = run(dispatcher, tracker)
    assert events[0]["value"]["id"] == "duties.regional_manager.reports_to"
    assert dispatcher.messages[0]["text"] == (
        "**Regional manager: what the job involves**\n\n**Reports to:** A regional manager "
        "reports to the marketing manager.\n\n_Source: ¶24_"
    )


def test_an_aspect_without_a_role_after_a_comparison_asks_it_of_both(
    dispatcher, make_tracker
) -> None:
    tracker = make_tracker(
        "what_about", [{"entity": "aspect", "value": "manages"}], after_comparison()
    )
    run(dispatcher, tracker)
    table = dispatcher.messages[0]["custom"]["sales_coach"]["blocks"][0]
    assert table["columns"] == ["", "Sales manager", "Account manager"]
    assert [row[0] for row in table["rows"]] == ["Manages"]


def test_why_right_after_the_reasons_were_given_says_so_instead_of_repeating(
    dispatcher, make_tracker
) -> None:
    # QA: "why is follow up so important?" then "why?" repeated the two paragraphs just shown
    last = {
        "id": "topic.follow_up",
        "kind": "answer",
        "entry_ids": ["follow_up.quote", "follow_up.why_it_matters", "follow_up.stall_point"],
    }
    slots = {"language": "en", "topic": "follow_up", "last_answer": last}
    run(dispatcher, make_tracker("ask_why", slots=slots))
    assert dispatcher.messages[0]["text"] == (
        "**Why? What the article says**\n\nThe article's reasons are the ones in the answer above "
        "(Source: ¶7, ¶8); it gives no others."
    )


def test_why_after_an_answer_without_the_reasons_gives_them(dispatcher, make_tracker) -> None:
    last = {"id": "topic.follow_up", "kind": "answer", "entry_ids": ["follow_up.quote"]}
    slots = {"language": "en", "topic": "follow_up", "last_answer": last}
    run(dispatcher, make_tracker("ask_why", slots=slots))
    assert dispatcher.messages[0]["text"].endswith("_Source: ¶7, ¶8_")
