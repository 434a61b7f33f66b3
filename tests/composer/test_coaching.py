from bot.composer.answer import comparison_answer
from bot.composer.coaching import clarification, deal_summary, step_question


def test_every_step_done_quotes_only_what_the_article_says_next(kb) -> None:
    answer = deal_summary(kb, "product_delivery", [0, 1, 2, 3], "en")
    assert answer["blocks"][0] == {
        "type": "paragraph",
        "text": "You have done every step the article gives for this stage. On what follows, it "
        "says only this:",
    }
    assert answer["blocks"][1]["text"].startswith("The exact order quantities")
    assert answer["blocks"][2] == {"type": "heading", "text": "Already done:"}
    assert answer["citations"] == [8, 9]


def test_step_question_in_simplified_chinese(kb) -> None:
    steps = kb.stalled_deal["product_delivery"].steps
    text, buttons = step_question(kb, steps, 3, "zh-Hans")
    assert text.startswith("第4步(共4步):在所有条件都具备的情况下")
    assert text.endswith("_出处:第9段_\n\n这一步做了吗?")
    assert [b["title"] for b in buttons] == ["是的", "还没", "停止"]


def test_clarification_keeps_three_guesses_and_one_way_out(kb) -> None:
    guesses = ["ask_drive", "help", "ask_tenacity", "ask_commitment", "ask_communication"]
    text, buttons = clarification(guesses, "en")
    assert text == "Sorry, I'm not sure what you mean. Did you mean:"
    assert [b["payload"] for b in buttons] == [
        "/ask_drive",
        "/ask_tenacity",
        "/ask_commitment",
        "/help",
    ]


def test_difference_two_says_it_gives_only_the_regional_managers_side(kb) -> None:
    answer = comparison_answer(kb, ["regional_manager", "sales_manager"], "zh-Hant")
    texts = [block.get("text") for block in answer["blocks"]]
    position = texts.index("區別二:職責不同。")
    assert (
        texts[position + 1]
        == "說明:文章在這個標題下只寫了區域經理的職責(第26段),沒有列出銷售經理這一方。"
    )
