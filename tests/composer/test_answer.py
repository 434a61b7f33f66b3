from bot.composer.answer import citation_text, comparison_answer, duties_answer, topic_answer


def test_citations_in_each_language() -> None:
    assert citation_text([9, 7, 7], "en") == "Source: ¶7, ¶9"
    assert citation_text([9, 7], "zh-Hant") == "出處:第7段、第9段"
    assert citation_text([9, 7], "zh-Hans") == "出处:第7段、第9段"


def test_items_group_into_one_list_and_quotes_are_attributed(kb) -> None:
    answer = topic_answer(kb, kb.topics["follow_up"], "en", part="full")
    kinds = [block["type"] for block in answer["blocks"]]
    assert kinds == ["quote", "paragraph", "paragraph", "list", "paragraph"]
    assert answer["blocks"][0]["attribution"] == (
        "The article attributes this to Terry Gou, the head of Foxconn."
    )
    assert len(answer["blocks"][3]["items"]) == 4
    assert answer["citations"] == [7, 8, 9]
    assert answer["entry_ids"][0] == "follow_up.quote"


def test_duties_list_what_the_article_leaves_out(kb) -> None:
    answer = duties_answer(kb, "account_manager", "zh-Hant")
    assert [b["label"] for b in answer["blocks"] if b["type"] == "field"] == [
        "負責範圍",
        "職責",
        "向誰匯報",
    ]
    assert answer["blocks"][-1] == {
        "type": "paragraph",
        "text": "文章沒有提到:管理誰、需要什麼、薪酬。",
    }


def test_comparison_of_all_four_roles_has_a_column_each(kb) -> None:
    roles = ["sales_rep", "sales_manager", "account_manager", "regional_manager"]
    answer = comparison_answer(kb, roles, "zh-Hans")
    table = answer["blocks"][0]
    assert table["columns"] == ["", "销售员", "销售经理", "客户经理", "区域经理"]
    assert [row[0] for row in table["rows"]] == [
        "负责范围",
        "职责",
        "向谁汇报",
        "管理谁",
        "需要什么",
        "薪酬",  # silent but for the rep: who sets a rep's pay (¶19)
    ]
    assert len(answer["blocks"]) == 1  # no pair-specific remarks for four roles


def test_a_row_the_article_is_silent_on_for_every_role_is_a_line_under_the_table(kb) -> None:
    answer = comparison_answer(kb, ["sales_manager", "regional_manager"], "en")
    assert [row[0] for row in answer["blocks"][0]["rows"]] == [
        "Scope",
        "Duties",
        "Reports to",
        "Manages",
        "What it takes",
    ]
    assert {"type": "paragraph", "text": "The article does not say: Pay."} in answer["blocks"]
    # asked for, the silent aspect is answered as such, in its table
    asked = comparison_answer(kb, ["sales_manager", "regional_manager"], "en", "pay")
    assert asked["blocks"][0]["rows"] == [
        ["Pay", "The article does not say.", "The article does not say."]
    ]


def test_a_question_about_pay_says_the_article_does_not_say(kb) -> None:
    answer = duties_answer(kb, "sales_rep", "en", "pay")
    assert answer["blocks"] == [
        {
            "type": "field",
            "label": "Pay",
            "text": "The article does not say. It only lists setting salespeople's pay among a "
            "sales manager's functions (¶19).",
        }
    ]
    assert answer["citations"] == [19]


def test_short_answer_first_then_the_rest(kb) -> None:
    topic = kb.topics["follow_up"]
    short = topic_answer(kb, topic, "en")
    more = topic_answer(kb, topic, "en", part="more")
    assert short["entry_ids"] + more["entry_ids"] == list(topic.entry_ids)
    assert short["buttons"][0] == {"title": "Tell me more", "payload": "/ask_more"}
    assert more["title"] == "Following up with customers: more"
    assert "/ask_more" not in [b["payload"] for b in more["buttons"]]


def test_a_question_naming_a_competency_the_topic_focuses_on_gets_its_entries(kb) -> None:
    # "what is execution?" got the four-part overview; the ¶6 definition came only on "more"
    topic = kb.topics["competencies"]
    answer = topic_answer(kb, topic, "en", focus="execution")
    assert answer["entry_ids"] == ["execution.heading", "execution.definition", "execution.parts"]
    assert answer["citation_text"] == "Source: ¶6, ¶9"
    assert topic_answer(kb, topic, "en", focus="drive")["entry_ids"] == list(
        topic.entry_ids[: topic.short]
    )
