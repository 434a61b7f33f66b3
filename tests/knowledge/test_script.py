"""Simplified Chinese reads as Simplified: mainland character forms, and mainland words in ours."""

from __future__ import annotations

import yaml

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.script import WORDING_PATH, to_simplified, to_simplified_wording
from bot.rendering.strings import STRINGS_PATH

TAIWAN_WORDS = ("点选", "回馈", "略过", "职涯", "卡关")


def test_article_words_take_mainland_character_forms(kb: KnowledgeBase) -> None:
    assert kb.entries["tenacity.means.effort_pays"].text("zh-Hans") == "是相信付出终有回报的执着。"
    assert to_simplified("執著") == "执着"


def test_our_wording_uses_mainland_words() -> None:
    assert to_simplified_wording("請點選按鈕,或說「略過」") == "请点击按钮,或说「跳过」"
    assert to_simplified_wording("四種核心競爭力") == "四种核心竞争力"  # not 内核 (kernel)


def test_no_interface_string_keeps_a_taiwan_word_in_simplified() -> None:
    for key, by_language in yaml.safe_load(STRINGS_PATH.read_text(encoding="utf-8")).items():
        simplified = to_simplified_wording(by_language["zh"])
        assert not [word for word in TAIWAN_WORDS if word in simplified], key


def test_the_wording_table_covers_the_reviewed_words() -> None:
    assert set(TAIWAN_WORDS) <= set(yaml.safe_load(WORDING_PATH.read_text(encoding="utf-8")))
