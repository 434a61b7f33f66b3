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


def _detect_language_as_first_written(text: str, domain_terms) -> str | None:
    """detect_language before its patterns were compiled once (the reference)."""
    import re

    from bot.language import CJK, LATIN_WORD

    frame = text
    for term in sorted(domain_terms, key=len, reverse=True):
        frame = re.sub(re.escape(term), " ", frame, flags=re.IGNORECASE)
    chinese, latin = len(CJK.findall(frame)), len(LATIN_WORD.findall(frame))
    if not chinese and not latin:
        chinese, latin = len(CJK.findall(text)), len(LATIN_WORD.findall(text))
    if not chinese and not latin:
        return None
    return script_of(text) if chinese >= latin else "en"


def test_compiled_term_patterns_give_the_first_versions_language_for_every_nlu_text(
    terms,
) -> None:
    from pathlib import Path

    from rasa.shared.nlu.training_data.loading import load_data

    root = Path(__file__).resolve().parents[1]
    texts = [
        example.get("text")
        for source in ("data/nlu", "tests/nlu/held_out.yml", "tests/nlu/real_questions.yml")
        for example in load_data(str(root / source)).training_examples
    ]
    texts += ["Sales Manager跟AM", "am i an AM", "ＡＭ", "sales  manager", "業務員業務員"]
    assert len(texts) > 1000
    for text in texts:
        assert detect_language(text, terms) == _detect_language_as_first_written(text, terms), text


def test_the_term_patterns_follow_the_terms_given() -> None:
    assert detect_language("what does 業務員 do", ["業務員"]) == "en"
    assert detect_language("what does 業務員 do", []) == "zh-Hant"
    assert detect_language("what does 業務員 do", ["what does", "do"]) == "zh-Hant"
