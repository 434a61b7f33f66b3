"""The source article: its raw text and the cleaned, numbered paragraphs that entries cite."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.knowledge.script import to_traditional

ARTICLE_PATH = Path(__file__).parent / "source" / "article.txt"

# Conversion artefacts fixed by hand, each checked against its context (after the pinyin pass).
GARBLED = [
    ("重?fù)?dān)", "重擔"),  # 重擔 mis-encoded
    ("當?shù)劁N售代表", "當地銷售代表"),  # 當地 mis-encoded
    ("工作??蛻艚?jīng)理", "工作。客戶經理"),  # full stop + 客戶 mis-encoded
    ("首先要做百科的是", "首先要做的是"),  # a link word pasted into the sentence
    ("交待得實情", "交待的事情"),
]

# Censored words (`**`): restored only where the context leaves one reading; otherwise the
# sentence is made readable without the word.
CENSORED = [
    ("**的銷售人員所具備的執行力", "銷售人員所具備的執行力"),
    ("很多公司在**業務員的過程中", "很多公司在招聘業務員的過程中"),  # "basic entry rule" → hiring
    ("溝通的**技巧", "溝通的技巧"),
    ("靈丹妙*", "靈丹妙藥"),  # fixed idiom
    ("銷售人員從**到卓越的性格基礎", "銷售人員走向卓越的性格基礎"),
    ("瑞士**心理學家", "瑞士心理學家"),
    ("是銷售從**到卓越的性格根基所在", "是銷售走向卓越的性格根基所在"),
    ("工作充滿**", "工作充滿激情"),  # paired with 激情和干勁 below
    ("用**和干勁感染別人", "用激情和幹勁感染別人"),
    ("使團隊其他成員甚至是**,具備了", "使團隊其他成員具備了"),
    ("銷售**和銷售預算的制定", "銷售計劃和銷售預算的制定"),  # plan + budget pair
    ("季度**和月度**", "季度計劃和月度計劃"),
    ("各地的分銷**", "各地的分銷"),
]

# Simplified/variant characters left behind by the machine conversion.
VARIANTS = [
    ("沖勁", "衝勁"),
    ("干勁", "幹勁"),
    ("采購", "採購"),
    ("郭臺銘", "郭台銘"),
    ("瞭解", "了解"),
    ("收獲", "收穫"),
]

PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
CRLF_ESCAPE = re.compile(r"(\\+x0d\\+x0a)+")


def clean(raw: str) -> str:
    """Return the article text without conversion artefacts (pinyin, escapes, censor marks)."""
    text = CRLF_ESCAPE.sub(" ", PINYIN.sub("", raw))
    for before, after in GARBLED + CENSORED:
        text = text.replace(before, after)
    # Characters the machine conversion left in Simplified form (于, 后, 么 …), then name fixes.
    text = to_traditional(text)
    for before, after in VARIANTS:
        text = text.replace(before, after)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


@lru_cache(maxsize=1)
def paragraphs() -> dict[int, str]:
    """Cleaned paragraphs numbered from 1: each non-empty line of the article is one paragraph."""
    lines = [line for line in clean(ARTICLE_PATH.read_text(encoding="utf-8")).splitlines() if line]
    return {number: line for number, line in enumerate(lines, start=1)}
