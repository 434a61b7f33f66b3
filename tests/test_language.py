import pytest

from bot.knowledge.base import term_list
from bot.language import detect_language, script_of


@pytest.fixture(scope="module")
def terms(kb) -> list[str]:
    return [term.text for term in term_list(kb.terms)]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how do i follow up after sending samples", "en"),
        ("what does 業務員 do", "en"),  # an English question about a Chinese term
        ("how to 跟进 a client", "en"),
        ("sales manager 跟 account manager 差在哪", "zh"),  # Chinese frame, no script clue
        ("AM 要做啥呢", "zh"),
        ("follow up 客户有啥技巧", "zh-Hans"),
        ("區域經理要做什麼", "zh-Hant"),
        ("区域经理要做什么", "zh-Hans"),
        ("謝謝", "zh-Hant"),
        ("你好", "zh"),
        ("ok", "en"),
        ("👍", None),
        ("", None),
    ],
)
def test_detects_the_language_of_the_sentence(text, language, terms) -> None:
    assert detect_language(text, terms) == language


def test_script_is_decided_by_the_majority_of_specific_characters() -> None:
    assert script_of("這销售") == "zh"  # one each
    assert script_of("這個銷售经理") == "zh-Hant"
