"""The source article: its raw text, every cleaning edit, and the numbered paragraphs entries cite.

Every change made to the article as received is listed here (`EDITS`, `VARIANTS`, and the
character conversion reviewed in tests/knowledge/test_source.py), so that the faithfulness test can
check each entry against the raw text, not against our own cleaned copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.knowledge.script import to_traditional

ARTICLE_PATH = Path(__file__).parent / "source" / "article.txt"

# What a censor mark (`**`) becomes where the context leaves more than one reading: a visible gap.
GAP = "□□"

EDIT_KINDS = ("garbled", "restored", "gap")


@dataclass(frozen=True)
class Edit:
    """One hand-made change to the article as received (after the pinyin and escape pass)."""

    before: str
    after: str
    kind: str  # garbled: mis-encoded text fixed; restored: a censored word that has one reading;
    # gap: a censored word with several readings, left visibly missing
    why: str


EDITS = (
    Edit("重?fù)?dān)", "重擔", "garbled", "重擔 mis-encoded"),
    Edit("當?shù)劁N售代表", "當地銷售代表", "garbled", "當地 mis-encoded"),
    Edit("工作??蛻艚?jīng)理", "工作。客戶經理", "garbled", "a full stop and 客戶 mis-encoded"),
    Edit("首先要做百科的是", "首先要做的是", "garbled", "a link word pasted into the sentence"),
    Edit("交待得實情", "交待的事情", "garbled", "的事 mis-encoded as 得實"),
    Edit("很多公司在**業務員", "很多公司在招聘業務員", "restored", "hiring salespeople"),
    Edit("靈丹妙*", "靈丹妙藥", "restored", "the fixed idiom 靈丹妙藥"),
    Edit("從**到卓越", "從優秀到卓越", "restored", "the fixed phrase 從優秀到卓越 (twice)"),
    Edit("工作充滿**", "工作充滿激情", "restored", "paired with 激情和干勁 in the same sentence"),
    Edit("用**和干勁", "用激情和干勁", "restored", "the pair 激情和干勁"),
    Edit("銷售**和銷售預算", "銷售計劃和銷售預算", "restored", "the plan and budget pair"),
    Edit("季度**和月度**", "季度計劃和月度計劃", "restored", "quarterly and monthly plans"),
    Edit("分銷**", "分銷網絡", "restored", "建立和完善…分銷網絡: a distribution network"),
    Edit(" **的銷售人員", f" {GAP}的銷售人員", "gap", "an adjective: 優秀? 成功? not certain"),
    Edit("溝通的**技巧", f"溝通的{GAP}技巧", "gap", "an adjective: not certain"),
    Edit("瑞士**心理學家", f"瑞士{GAP}心理學家", "gap", "著名? not certain"),
    Edit("甚至是**,", f"甚至是{GAP},", "gap", "a group of people: not certain"),
)

# Characters the machine conversion left in a variant form; OpenCC's s2tw handles the rest.
VARIANTS = (
    ("沖勁", "衝勁"),
    ("干勁", "幹勁"),
    ("采購", "採購"),
    ("郭臺銘", "郭台銘"),
    ("瞭解", "了解"),
    ("收獲", "收穫"),
)

PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
CRLF_ESCAPE = re.compile(r"(\\+x0d\\+x0a)+")


def as_received() -> str:
    """The article as received, with only the pinyin readings and `\\x0d\\x0a` escapes removed."""
    return CRLF_ESCAPE.sub(" ", PINYIN.sub("", ARTICLE_PATH.read_text(encoding="utf-8")))


def normalize_characters(text: str) -> str:
    """Characters only: Simplified leftovers to Taiwan Traditional, then the listed variants."""
    text = to_traditional(text)
    for before, after in VARIANTS:
        text = text.replace(before, after)
    return text


def _lines(text: str) -> dict[int, str]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return {number: line for number, line in enumerate(filter(None, lines), start=1)}


def clean(raw: str) -> str:
    """The article without conversion artefacts: every hand edit, then the character pass."""
    for edit in EDITS:
        raw = raw.replace(edit.before, edit.after)
    return normalize_characters(raw)


@lru_cache(maxsize=1)
def paragraphs() -> dict[int, str]:
    """Cleaned paragraphs numbered from 1: each non-empty line of the article is one paragraph."""
    return _lines(clean(as_received()))


@lru_cache(maxsize=1)
def received_paragraphs() -> dict[int, str]:
    """The same paragraphs as received (characters normalized, no word edited)."""
    return _lines(normalize_characters(as_received()))
