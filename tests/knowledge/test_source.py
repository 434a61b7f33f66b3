"""Every change to the article as received is listed, reviewed here, and nothing else changes."""

from __future__ import annotations

import difflib
import re
from collections import Counter

from bot.knowledge.source import (
    EDIT_KINDS,
    EDITS,
    GAP,
    as_received,
    normalize_characters,
    paragraphs,
    received_paragraphs,
)

# Reviewed by hand against the article: the word each `restored` edit puts in place of `**`.
RESTORED_WORDS = Counter(
    {
        "招聘": 1,  # 很多公司在**業務員的過程中: hiring salespeople
        "藥": 1,  # 靈丹妙*: the idiom 靈丹妙藥
        "優秀": 2,  # 從**到卓越: the fixed phrase 從優秀到卓越
        "激情": 2,  # 工作充滿** / 用**和干勁: the pair 激情和干勁
        "計劃": 3,  # 銷售**和銷售預算 / 季度**和月度**
        "網絡": 1,  # 建立和完善各地的分銷**
    }
)
# Reviewed by hand: the characters OpenCC's s2tw changes in this article (Simplified leftovers).
CHARACTER_CHANGES = {
    "于": "於",
    "后": "後",
    "么": "麼",
    "并": "並",
    "采": "採",
    "恒": "恆",
    "范": "範",
    "了": "瞭",
    "板": "闆",
    "里": "裡",
    "辟": "闢",
    "郁": "鬱",
    "欲": "慾",
    "干": "幹",
}


def test_the_article_has_26_paragraphs() -> None:
    assert len(paragraphs()) == 26
    assert len(received_paragraphs()) == 26
    assert paragraphs()[7].startswith("關於跟蹤力")
    assert paragraphs()[26].startswith("1、區別二")


def test_conversion_artefacts_are_gone() -> None:
    text = "\n".join(paragraphs().values())
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", text), "pinyin left"
    assert "x0d" not in text and "\\" not in text
    assert "*" not in text, "censor marks left"
    assert not re.search(r"\?\?|\?[a-z]", text), "garbled characters left"
    for leftover in ("百科", "什么", "之后", "對于", "走向卓越"):
        assert leftover not in text


def test_every_edit_matches_the_article_as_received() -> None:
    received = as_received()
    for edit in EDITS:
        assert edit.kind in EDIT_KINDS
        assert edit.before in received, f"{edit.before!r} is not in the article"


def test_every_censor_mark_is_restored_or_left_as_a_visible_gap() -> None:
    marks = len(re.findall(r"\*+", as_received()))
    covered = sum(
        as_received().count(edit.before) * len(re.findall(r"\*+", edit.before))
        for edit in EDITS
        if edit.kind in ("restored", "gap")
    )
    assert marks == covered == 14


def test_restored_words_are_the_reviewed_ones_and_nothing_else_changes() -> None:
    restored: Counter[str] = Counter()
    for edit in (edit for edit in EDITS if edit.kind == "restored"):
        pattern = re.escape(edit.before).replace(r"\*\*", "(.+?)").replace(r"\*", "(.+?)")
        match = re.fullmatch(pattern, edit.after)
        assert match, f"{edit.after!r} changes more than the censor marks of {edit.before!r}"
        for word in match.groups():
            restored[word] += as_received().count(edit.before)
    assert restored == RESTORED_WORDS


def test_gaps_add_no_words() -> None:
    for edit in (edit for edit in EDITS if edit.kind == "gap"):
        assert edit.after == edit.before.replace("**", GAP)


def test_the_character_pass_changes_only_the_reviewed_characters() -> None:
    received = as_received()
    converted = normalize_characters(received)
    matcher = difflib.SequenceMatcher(None, received, converted, autojunk=False)
    changes = set()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        assert op == "replace" and i2 - i1 == j2 - j1 or op == "equal", "characters only"
        pairs = zip(received[i1:i2], converted[j1:j2], strict=True)
        changes |= {(before, after) for before, after in pairs if before != after}
    listed_variants = {("沖", "衝"), ("干", "幹"), ("臺", "台"), ("瞭", "了"), ("獲", "穫")}
    assert changes <= set(CHARACTER_CHANGES.items()) | listed_variants, changes
