import re

from bot.knowledge.source import paragraphs


def test_the_article_has_26_paragraphs() -> None:
    assert len(paragraphs()) == 26
    assert paragraphs()[7].startswith("關於跟蹤力")
    assert paragraphs()[26].startswith("1、區別二")


def test_conversion_artefacts_are_gone() -> None:
    text = "\n".join(paragraphs().values())
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", text), "pinyin left"
    assert "x0d" not in text and "\\" not in text
    assert "*" not in text, "censor marks left"
    assert not re.search(r"\?\?|\?[a-z]", text), "garbled characters left"
    for leftover in ("百科", "什么", "之后", "對于"):
        assert leftover not in text


def test_censored_words_are_restored_only_where_certain() -> None:
    assert "靈丹妙藥" in paragraphs()[12]
    assert "銷售計劃和銷售預算的制定" in paragraphs()[19]
    assert "溝通的技巧" in paragraphs()[12]  # the censored adjective is dropped, not guessed
