"""Slack rendering: markdown → mrkdwn and structured answers → Block Kit (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bot.knowledge.base import KNOWLEDGE_DIR
from bot.rendering.slack import (
    MAX_BLOCKS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_SECTION_TEXT,
    ZWSP,
    answer_blocks,
    buttons_block,
    escape_mrkdwn,
    home_view,
    markdown_to_mrkdwn,
    open_bold,
    oversized,
    render_message,
    split_text,
    text_only,
    truncate,
)

COMPARISON: dict[str, Any] = {
    "kind": "comparison",
    "language": "en",
    "title": "Sales manager vs Account manager: how they differ",
    "blocks": [
        {
            "type": "table",
            "columns": ["", "Sales manager", "Account manager"],
            "rows": [
                ["Scope", "A **department** or a group.", "One specific kind of work."],
                ["Reports to", "The article does not say.", "A regional manager."],
            ],
        },
        {"type": "heading", "text": "What the article says about these roles directly"},
        {"type": "paragraph", "text": "The main difference is in their **functions**."},
    ],
    "citations": [18, 19],
    "citation_text": "Source: ¶18, ¶19",
    "entry_ids": ["compare.sales_manager.account_manager.functions"],
    "buttons": [],
}

TOPIC: dict[str, Any] = {
    "kind": "answer",
    "language": "en",
    "title": "Following up with customers",
    "blocks": [
        {"type": "paragraph", "text": "Follow up **within a day** & keep notes < 5 lines."},
        {"type": "list", "items": ["Call back", "Send the **quote**"]},
        {
            "type": "quote",
            "text": "Stick with it.",
            "attribution": "The article attributes this to a veteran.",
        },
        {"type": "field", "label": "Scope", "text": "A region."},
    ],
    "citations": [13, 15],
    "citation_text": "Source: ¶13, ¶15",
    "entry_ids": ["follow_up.why_it_matters"],
    "buttons": [{"title": "Compare roles", "payload": "/compare_roles"}],
}


def all_texts(value: Any) -> Iterator[str]:
    """Every string in a Block Kit structure."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from all_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_texts(item)


# -- markdown → mrkdwn ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold**", "*bold*"),
        ("__bold__", "*bold*"),
        ("a **bold** word", "a *bold* word"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("~~gone~~", "~gone~"),
        ("- one\n- two", "• one\n• two"),
        ("* one\n+ two", "• one\n• two"),
        ("- one\n  - nested", "• one\n    ◦ nested"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("[the article](https://example.com/a)", "<https://example.com/a|the article>"),
        ("[**bold** link](https://example.com)", "<https://example.com|*bold* link>"),
        ("<https://example.com>", "<https://example.com>"),
        ("![chart](https://example.com/c.png)", "<https://example.com/c.png|chart>"),
        ("# Title", "*Title*"),
        ("### A **bold** heading ###", "*A bold heading*"),
        ("> quoted **text**", "> quoted *text*"),
        ("> a\n>\n> — b", "> a\n>\n> — b"),
        ("`**not bold**`", "`**not bold**`"),
        ("```\na < b\n```", "```\na &lt; b\n```"),
        ("5 < 6 & 7 > 3", "5 &lt; 6 &amp; 7 &gt; 3"),
        ("above\n\n---\n\nbelow", "above\n\nbelow"),
        ("snake_case_word", "snake_case_word"),
        ("2 * 3 * 4", "2 * 3 * 4"),
    ],
)
def test_markdown_to_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert markdown_to_mrkdwn(markdown) == mrkdwn


@pytest.mark.parametrize(
    "markdown",
    ["**unclosed bold", "a ** b", "**a** **b", "# **Heading**", "- **x** and **y**", "****"],
)
def test_no_raw_double_asterisks_are_left(markdown: str) -> None:
    assert "**" not in markdown_to_mrkdwn(markdown)


def test_bold_inside_chinese_text_is_padded() -> None:
    # Slack ignores `*` glued to CJK characters; a zero-width space makes it a boundary.
    assert markdown_to_mrkdwn("這是**重點**內容") == f"這是{ZWSP}*重點*{ZWSP}內容"
    assert markdown_to_mrkdwn("**重點**內容") == f"*重點*{ZWSP}內容"
    assert markdown_to_mrkdwn("看 **重點** 吧") == "看 *重點* 吧"


def test_link_urls_are_escaped() -> None:
    assert (
        markdown_to_mrkdwn("[q](https://x.com/?a=1&b=2|3)") == "<https://x.com/?a=1&amp;b=2%7C3|q>"
    )


def test_markdown_table_becomes_labelled_lists() -> None:
    markdown = (
        "| | Sales manager | Account manager |\n"
        "|---|---|---|\n"
        "| Scope | A **group** | One kind of work |\n"
        "| Reports to | | A regional manager |"
    )
    assert markdown_to_mrkdwn(markdown) == (
        "*Scope*\n"
        "• Sales manager: A *group*\n"
        "• Account manager: One kind of work\n"
        "*Reports to*\n"
        "• Sales manager: —\n"
        "• Account manager: A regional manager"
    )


def test_web_markdown_answer_converts_cleanly() -> None:
    markdown = (
        "**Following up**\n\n"
        "Why it matters.\n\n"
        "- Call back\n- Send the **quote**\n\n"
        "> Stick with it.\n>\n> — a veteran\n\n"
        "**Scope:** A region.\n\n"
        "_Source: ¶13, ¶15_"
    )
    mrkdwn = markdown_to_mrkdwn(markdown)
    assert "**" not in mrkdwn
    assert mrkdwn.startswith("*Following up*\n\nWhy it matters.\n\n• Call back\n• Send the *quote*")
    assert "*Scope:* A region." in mrkdwn
    assert mrkdwn.endswith("_Source: ¶13, ¶15_")


def test_escape_mrkdwn() -> None:
    assert escape_mrkdwn("<@U1> & <!here>") == "&lt;@U1&gt; &amp; &lt;!here&gt;"


def test_truncate_and_split() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…")
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    chunks = split_text(text, 1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n".join(chunks) == text
    assert all(len(chunk) <= 300 for chunk in split_text("y" * 1000, 300))


def bold_spans_are_whole(chunk: str) -> bool:
    return all(open_bold(line) == -1 for line in chunk.split("\n"))


def test_a_long_line_is_never_split_inside_a_bold_span() -> None:
    # The cut at 100 characters would fall inside the bold span (which starts at 90).
    line = "a" * 89 + " *" + "bold words " * 3 + "end* " + "tail " * 30
    chunks = split_text(line, 100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert all(bold_spans_are_whole(chunk) for chunk in chunks)
    assert chunks[1].startswith("*bold words")
    assert "".join(chunks).replace(" ", "") == line.replace(" ", "")


def test_a_bold_span_longer_than_a_chunk_is_closed_and_reopened() -> None:
    line = "*" + "x" * 250 + "*"
    chunks = split_text(line, 100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert all(chunk.startswith("*") and chunk.endswith("*") for chunk in chunks)
    assert "".join(chunk.strip("*") for chunk in chunks) == "x" * 250


def test_truncate_never_leaves_a_bold_span_open() -> None:
    cut = truncate("intro " * 6 + "*" + "long bold " * 20 + "*", 60)
    assert len(cut) <= 60 and cut.endswith("…")
    assert open_bold(cut) == -1


# -- Block Kit -----------------------------------------------------------------------------------


def test_comparison_table_is_rendered_as_section_fields() -> None:
    blocks = answer_blocks(COMPARISON)
    assert blocks[0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Sales manager vs Account manager: how they differ*"},
    }
    scope = blocks[1]
    assert scope["text"]["text"] == "*Scope*"
    assert [field["text"] for field in scope["fields"]] == [
        "*Sales manager*\nA *department* or a group.",
        "*Account manager*\nOne specific kind of work.",
    ]
    assert all(field["type"] == "mrkdwn" for field in scope["fields"])
    assert blocks[3]["text"]["text"] == "*What the article says about these roles directly*"
    assert blocks[4]["text"]["text"] == "The main difference is in their *functions*."
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Source: ¶18, ¶19"}],
    }


def test_wide_tables_and_long_cells_respect_slack_limits() -> None:
    columns = [""] + [f"Role {n}" for n in range(25)]
    table = {
        "type": "table",
        "columns": columns,
        "rows": [["Scope"] + ["z" * 5000] * 25],
    }
    blocks = answer_blocks({"title": "Wide", "blocks": [table]})
    field_sections = [block for block in blocks if "fields" in block]
    assert [len(block["fields"]) for block in field_sections] == [10, 10, 5]
    for block in field_sections:
        assert all(len(field["text"]) <= MAX_FIELD_TEXT for field in block["fields"])
        assert len(block["fields"]) <= MAX_FIELDS
    assert field_sections[0]["text"]["text"] == "*Scope*"


def test_topic_answer_blocks() -> None:
    blocks = answer_blocks(TOPIC, TOPIC["buttons"])
    assert [block["type"] for block in blocks] == [
        "section",
        "section",
        "section",
        "section",
        "section",
        "context",
        "actions",
    ]
    assert blocks[1]["text"]["text"] == "Follow up *within a day* &amp; keep notes &lt; 5 lines."
    assert blocks[2]["text"]["text"] == "• Call back\n• Send the *quote*"
    assert blocks[3]["text"]["text"] == (
        "> Stick with it.\n> — The article attributes this to a veteran."
    )
    assert blocks[4]["text"]["text"] == "*Scope*\nA region."
    assert blocks[6]["elements"][0]["value"] == "/compare_roles"


def test_long_paragraphs_are_split_into_sections() -> None:
    paragraph = {"type": "paragraph", "text": "\n".join(["sentence " * 40] * 30)}
    blocks = answer_blocks({"title": "Long", "blocks": [paragraph]})
    assert len(blocks) > 2
    assert all(len(block["text"]["text"]) <= MAX_SECTION_TEXT for block in blocks)


def test_block_count_is_capped() -> None:
    many = [{"type": "paragraph", "text": f"p{n}"} for n in range(80)]
    answer = {"title": "Many", "blocks": many, "citation_text": "Source: ¶1"}
    blocks = answer_blocks(answer, [{"title": "More", "payload": "/more"}])
    assert len(blocks) == MAX_BLOCKS
    assert [block["type"] for block in blocks[-2:]] == ["context", "actions"]


def test_unknown_block_types_keep_their_text() -> None:
    blocks = answer_blocks({"blocks": [{"type": "callout", "text": "Note **this**"}, {"x": 1}]})
    assert blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "Note *this*"}}]


def test_buttons_block() -> None:
    buttons = [
        {"title": f"Role {n}", "payload": f'/ask_role_duties{{"role":"r{n}"}}'} for n in range(30)
    ]
    block = buttons_block(buttons)
    assert block is not None
    assert block["type"] == "actions"
    assert len(block["elements"]) == 25  # Slack's limit per actions block
    assert block["elements"][-1]["text"]["text"] == "Role 24"
    first = block["elements"][0]
    assert first["type"] == "button"
    assert first["text"] == {"type": "plain_text", "text": "Role 0"}
    assert first["value"] == '/ask_role_duties{"role":"r0"}'
    assert len({element["action_id"] for element in block["elements"]}) == 25
    assert buttons_block([{"title": "no payload"}]) is None
    long = buttons_block([{"title": "t" * 200, "payload": "/x"}])
    assert long is not None and len(long["elements"][0]["text"]["text"]) <= 75


def test_stage_question_offers_all_six_stages_in_one_block() -> None:
    from bot.composer.coaching import deal_stage_question
    from bot.knowledge.base import knowledge_base

    text, buttons = deal_stage_question(knowledge_base(), "en")
    rendered = render_message({"text": text, "buttons": buttons})
    assert rendered is not None
    (actions,) = [block for block in rendered["blocks"] if block["type"] == "actions"]
    titles = [element["text"]["text"] for element in actions["elements"]]
    assert [title.split(".")[0] for title in titles] == ["1", "2", "3", "4", "5", "6"]


# -- size guard ----------------------------------------------------------------------------------


def test_oversized_names_each_limit() -> None:
    assert oversized({"text": "ok", "blocks": [{"type": "section", "text": {"text": "x"}}]}) is None
    assert "text" in str(oversized({"text": "x" * 40_001}))
    assert "blocks" in str(oversized({"text": "", "blocks": [{"type": "divider"}] * 51}))
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert "section" in str(oversized({"blocks": [long_section]}))
    buttons = [{"type": "button", "text": {"text": "b"}, "value": "/x"}] * 26
    assert "buttons" in str(oversized({"blocks": [{"type": "actions", "elements": buttons}]}))
    fields = [{"type": "mrkdwn", "text": "f"}] * 11
    assert "fields" in str(oversized({"blocks": [{"type": "section", "fields": fields}]}))
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2500}}] * 5
    assert "12000" in str(oversized({"blocks": many}))


def test_a_huge_answer_falls_back_to_text_that_keeps_it_all() -> None:
    # 60 long paragraphs: more than 50 blocks' worth, and more than 40,000 characters.
    paragraphs = [f"Paragraph {n} **key point {n}** " + "word " * 150 for n in range(60)]
    answer = {
        "title": "Huge",
        "blocks": [{"type": "paragraph", "text": text} for text in paragraphs],
        "citation_text": "Source: ¶1",
        "buttons": [{"title": "Tell me more", "payload": "/ask_more"}],
    }
    rendered = render_message({"text": "", "custom": {"sales_coach": answer}})
    assert rendered is not None and set(rendered) == {"text"}
    text = rendered["text"]
    assert len(text) <= 40_000 and text.endswith("\n\nTell me more")
    assert text.startswith("*Huge*\n\nParagraph 0 *key point 0*")
    assert all(open_bold(line) == -1 for line in text.split("\n"))
    # Well under 50 blocks but over the blocks' total text: text too.
    twelve = [{"type": "paragraph", "text": "word " * 500} for _ in range(6)]
    rendered = render_message({"custom": {"sales_coach": {"title": "T", "blocks": twelve}}})
    assert rendered is not None and set(rendered) == {"text"}
    # An ordinary answer keeps its blocks.
    small = render_message({"text": "", "custom": {"sales_coach": TOPIC}})
    assert small is not None and "blocks" in small and oversized(small) is None


def test_text_only_keeps_the_whole_structured_answer() -> None:
    rendered = text_only({"custom": {"sales_coach": COMPARISON}})
    assert rendered is not None and set(rendered) == {"text"}
    text = rendered["text"]
    assert text.startswith("*Sales manager vs Account manager: how they differ*")
    assert "• Sales manager: A *department* or a group." in text
    assert "The main difference is in their *functions*." in text
    assert text.rstrip().endswith("Source: ¶18, ¶19")


# -- App Home ------------------------------------------------------------------------------------


def test_home_view_in_each_language() -> None:
    english = home_view("en")
    assert english["type"] == "home"
    texts = json.dumps(english, ensure_ascii=False)
    assert "/coach" in texts and "English, 简体中文, 繁體中文" in texts
    (actions,) = [block for block in english["blocks"] if block["type"] == "actions"]
    payloads = [element["value"] for element in actions["elements"]]
    # every topic of the registry (read as written), then roles and the two coaching flows
    registry = yaml.safe_load((KNOWLEDGE_DIR / "topics.yml").read_text(encoding="utf-8"))
    assert payloads == [f"/{topic['intent']}" for topic in registry.values()] + [
        "/ask_role_duties",
        "/compare_roles",
        "/describe_stalled_deal",
        "/ask_promotion_readiness",
    ]
    assert oversized(english) is None
    traditional = json.dumps(home_view("zh-Hant", "zh-Hant"), ensure_ascii=False)
    assert (
        "主題" in traditional
        and "跟進客戶" in traditional
        and "目前跟你用的是:繁體中文" in traditional
    )
    simplified = json.dumps(home_view("zh-Hans", "zh-Hans"), ensure_ascii=False)
    assert "主题" in simplified and "跟进客户" in simplified


# -- whole messages ------------------------------------------------------------------------------


def test_answer_message_is_one_block_kit_message_with_a_text_fallback() -> None:
    message = {
        "text": "**Sales manager vs Account manager**\n\n| | A | B |\n|---|---|---|\n| x | 1 | 2 |",
        "buttons": [{"title": "Compare roles", "payload": "/compare_roles"}],
        "custom": {"sales_coach": COMPARISON},
    }
    rendered = render_message(message)
    assert rendered is not None
    assert set(rendered) == {"text", "blocks"}
    assert rendered["text"].startswith("*Sales manager vs Account manager*")
    assert rendered["blocks"][-1]["elements"][0]["value"] == "/compare_roles"
    assert not any("**" in text for text in all_texts(rendered))
    json.dumps(rendered)  # serialisable as chat.postMessage JSON


def test_answer_buttons_are_used_when_the_message_has_none() -> None:
    rendered = render_message({"custom": {"sales_coach": TOPIC}})
    assert rendered is not None
    assert rendered["blocks"][-1]["type"] == "actions"
    # No markdown text on the message: the fallback is built from the answer.
    assert rendered["text"].startswith("*Following up with customers*")
    assert "Source: ¶13, ¶15" in rendered["text"]


def test_plain_text_message_is_not_split() -> None:
    rendered = render_message({"text": "Hi! I am **Sales Coach**.\n\nAsk me anything."})
    assert rendered == {"text": "Hi! I am *Sales Coach*.\n\nAsk me anything."}


def test_text_with_buttons() -> None:
    rendered = render_message(
        {"text": "Which role?", "buttons": [{"title": "Sales rep", "payload": "/x"}]}
    )
    assert rendered is not None
    assert rendered["text"] == "Which role?"
    assert [block["type"] for block in rendered["blocks"]] == ["section", "actions"]


def test_quick_replies_are_buttons_too() -> None:
    rendered = render_message({"text": "Pick", "quick_replies": [{"title": "A", "payload": "/a"}]})
    assert rendered is not None and rendered["blocks"][-1]["type"] == "actions"


def test_buttons_without_text_still_have_a_fallback() -> None:
    rendered = render_message({"buttons": [{"title": "A", "payload": "/a"}]})
    assert rendered is not None and rendered["text"] == "A"


def test_nothing_to_render() -> None:
    assert render_message({"image": "https://example.com/x.png"}) is None
    assert render_message({"custom": {"blocks": []}}) is None
