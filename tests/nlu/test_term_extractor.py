import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.term_extractor import TermEntityExtractor


def extract(text: str) -> list[tuple[str, str]]:
    message = Message(data={"text": text})
    TermEntityExtractor().process([message])
    return [(e["entity"], e["value"]) for e in message.get("entities", [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sales manager 跟 account manager 差在哪",
            [("role", "sales_manager"), ("role", "account_manager")],
        ),
        ("我是業務員想升業務主管", [("role", "sales_rep"), ("role", "sales_manager")]),
        ("区域经理向谁汇报", [("role", "regional_manager"), ("aspect", "reports_to")]),
        ("AM 要做啥", [("role", "account_manager")]),
        ("I am new here", []),  # "am" is not the acronym AM
        ("What does a Regional Manager do?", [("role", "regional_manager")]),
        ("样品寄出去就没下文", [("stage", "product_delivery")]),
        ("how do i keep my tenacity", [("competency", "tenacity")]),
    ],
)
def test_terms_map_to_canonical_ids_in_all_scripts(text, expected) -> None:
    assert extract(text) == expected


def test_entities_carry_offsets_and_extractor_name() -> None:
    message = Message(data={"text": "what does an AM do"})
    TermEntityExtractor().process([message])
    assert message.get("entities") == [
        {
            "entity": "role",
            "value": "account_manager",
            "start": 13,
            "end": 15,
            "confidence": 1.0,
            "extractor": "TermEntityExtractor",
        }
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # typed on a phone: a swap, a dropped letter, both in one phrase
        (
            "regoinal manger vs sales manger",
            [
                ("role", "regional_manager", "regoinal manger"),
                ("role", "sales_manager", "sales manger"),
            ],
        ),
        ("how do I improve my comunication", [("competency", "communication", "comunication")]),
        (
            "acct mgr report to who",
            [("role", "account_manager", "acct mgr"), ("aspect", "reports_to", "report to")],
        ),
        # not respelled: short words, stage words, words as close to two terms, real words kept
        ("clothing store", []),
        ("the reps", [("role", "sales_rep", "reps")]),
        ("I am new here", []),
    ],
)
def test_typos_in_role_and_skill_words_are_respelled_offsets_are_the_users(text, expected) -> None:
    message = Message(data={"text": text})
    TermEntityExtractor().process([message])
    found = [
        (e["entity"], e["value"], text[e["start"] : e["end"]]) for e in message.get("entities", [])
    ]
    assert found == expected
