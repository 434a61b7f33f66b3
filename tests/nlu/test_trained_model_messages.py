"""What the trained model makes of the messages exploratory QA reported, and of near variants.

Each of these was parsed wrongly over REST: an empty message raised, a typed 👎 was 👍, hedges
("kinda", "唔係好肯定") were read as yes and recorded answers, "idk" as a 👎, Cantonese "冇" as yes,
"不用了" did not stop a flow, and "sales rep 要做咩" was answered in Simplified. A second round
found "never mind" / "nvm" / "no thanks" recorded as a no instead of stopping the flow, and
Chinese and Cantonese "more" ("继续", "仲有冇?", "仲有呢?") read as a yes or as `what_about`.
The NLU is statistical, but these are single short answers the flows depend on: each must come
out right.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.agent import Agent

# a yes/no answer the flows must not take as yes, no or feedback: they ask again with a hint
NOT_AN_ANSWER = {"affirm", "deny", "feedback_positive", "feedback_negative"}

EXPECTED = {
    # nothing to read: not understood (action_clarify; in a flow, the yes/no hint)
    "": "nlu_fallback",
    "   ": "nlu_fallback",
    "???": "nlu_fallback",
    "🙂": "nlu_fallback",
    "🤔🤔🔥": "nlu_fallback",
    "\x00": "nlu_fallback",
    # typed thumbs, any skin tone
    "👍": "feedback_positive",
    "👍🏻": "feedback_positive",
    "👍🏾👍🏾": "feedback_positive",
    "👎": "feedback_negative",
    "👎🏻": "feedback_negative",
    "👎🏿": "feedback_negative",
    # clear yes / no in Cantonese, Taiwanese, Simplified and English
    "冇": "deny",
    "未呀": "deny",
    "唔係": "deny",
    "沒有": "deny",
    "還沒": "deny",
    "nope": "deny",
    "nah": "deny",
    "係呀": "affirm",
    "有啊": "affirm",
    "嗯嗯": "affirm",
    "yep": "affirm",
    "yeah": "affirm",
    # "不用了" stops a flow (README); a bare "不用" stays a plain no
    "不用了": "stop",
    "不用了 谢谢": "stop",
    "不用了 謝謝": "stop",
    "不用": "deny",
    # round 2: giving up on a flow is a stop, not a recorded "no" (README); outside a flow
    # stop and deny get the same reply, so nothing is lost there
    "never mind": "stop",
    "nvm": "stop",
    "no thanks": "stop",
    "forget it": "stop",
    "算了吧": "stop",
    "nevermind, forget it": "stop",  # variant not in the training data
    "no thanks, i'll stop here": "stop",  # variant not in the training data
    # ...while a plain no to "have you done X?" stays an answer
    "no": "deny",
    "not yet": "deny",
    # round 2: "more" after an answer, in Simplified, Traditional and Cantonese
    "继续": "ask_more",
    "仲有冇?": "ask_more",
    "仲有呢?": "ask_more",
    "還有嗎": "ask_more",
    "然後呢": "ask_more",
    "再講多啲": "ask_more",
    "多说点": "ask_more",
    "繼續說吧": "ask_more",  # variant not in the training data
    "仲有冇其他?": "ask_more",  # variant not in the training data
    # ...but naming a role or competency is what_about
    "咁區域經理呢?": "what_about",
    "那销售经理呢": "what_about",
    "咁韌性呢?": "what_about",  # variant not in the training data
}
HEDGES = ["kinda", "idk", "唔係好肯定", "not sure", "maybe", "sort of", "不太确定", "說不上來"]


def parse(agent: Agent, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize("text", list(EXPECTED))
def test_reported_messages_get_their_intent(trained_agent: Agent, text: str) -> None:
    intent = parse(trained_agent, text)["intent"]
    assert intent["name"] == EXPECTED[text], intent


@pytest.mark.parametrize("text", HEDGES)
def test_hedges_are_unsure_neither_yes_nor_no_nor_feedback(trained_agent: Agent, text: str) -> None:
    """`unsure`: in a flow the form takes it as free text and asks again with its hint."""
    intent = parse(trained_agent, text)["intent"]
    assert intent["name"] == "unsure", intent


@pytest.mark.parametrize("text", ["a\x00b", "مرحبا كيف حالك", "שלום"])
def test_other_scripts_and_control_characters_are_no_answer(
    trained_agent: Agent, text: str
) -> None:
    assert parse(trained_agent, text)["intent"]["name"] not in NOT_AN_ANSWER
    # no word in English or Chinese: not understood
    if not text.isascii():
        assert parse(trained_agent, text)["intent"]["name"] == "nlu_fallback"


def test_cantonese_is_answered_in_traditional(trained_agent: Agent) -> None:
    entities = parse(trained_agent, "sales rep 要做咩")["entities"]
    assert {(e["entity"], e["value"]) for e in entities} >= {
        ("language", "zh-Hant"),
        ("chinese_script", "zh-Hant"),
        ("role", "sales_rep"),
    }


def test_unsure_and_nothing_read_are_free_text_for_the_flows(domain: dict[str, Any]) -> None:
    """A hedge or an empty message in a flow must reach the form as free text, which its
    validation answers with the hint; excluded from a from_text mapping, the form would
    reject it and the answer would be lost."""
    for slot in ("checklist_answer", "deal_stage"):
        for mapping in domain["slots"][slot]["mappings"]:
            if mapping["type"] == "from_text":
                assert not {"unsure", "nlu_fallback"} & set(mapping.get("not_intent", []))
    assert "unsure" in domain["intents"]
