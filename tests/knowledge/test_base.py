"""The knowledge base is faithful to the article, complete, and refuses bad data clearly."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge.base import (
    KNOWLEDGE_DIR,
    KnowledgeBase,
    KnowledgeBaseError,
    load,
    term_list,
)
from bot.knowledge.source import EDITS, normalize_characters, paragraphs, received_paragraphs

# Sentences that carry no content of the article's own: the site's repeated titles (¶1, ¶2, ¶21),
# its sign-off, and headings that only introduce the next paragraphs.
NOT_CONTENT = {
    "銷售員和銷售經理的區別是什麼",
    "那麼銷售員和銷售經理的區別是什麼?",
    "下面,就隨我一起去看看吧,希望您能滿意,謝謝。",
    "銷售和銷售經理有哪些區別",
}
# A sentence counts as covered when at least this share of its characters is quoted by entries.
COVERED_SHARE = 0.25


def _squash(text: str) -> str:
    return "".join(text.split())


def _unexplained_changes(received: str, cleaned: str, start: int, end: int) -> list[str]:
    """Differences between the article as received and our cleaned text inside cleaned[start:end]
    that no listed edit accounts for."""
    edits = [
        (_squash(normalize_characters(edit.before)), _squash(normalize_characters(edit.after)))
        for edit in EDITS
    ]
    matcher = difflib.SequenceMatcher(None, received, cleaned, autojunk=False)
    unexplained = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        inside = j1 < end and j2 > start if j2 > j1 else start < j1 < end
        if op == "equal" or not inside:
            continue
        was, now = received[i1:i2], cleaned[j1:j2]
        if not any(was in before and now in after for before, after in edits):
            unexplained.append(f"{was!r} → {now!r}")
    return unexplained


def test_every_span_is_quoted_from_the_article_as_received(kb: KnowledgeBase) -> None:
    """Checked against the raw text: every character of a span is the article's, or lies in an
    edit listed (and reviewed) in bot/knowledge/source.py."""
    for entry in kb.entries.values():
        cleaned = _squash("".join(paragraphs()[number] for number in entry.paragraphs))
        received = _squash("".join(received_paragraphs()[number] for number in entry.paragraphs))
        for part in entry.zh.split("……"):
            start = cleaned.find(_squash(part))
            assert start >= 0, f"{entry.id}: {part!r} is not in ¶{entry.paragraphs}"
            end = start + len(_squash(part))
            assert _unexplained_changes(received, cleaned, start, end) == [], entry.id


def test_the_raw_text_check_catches_an_unlisted_change() -> None:
    received = _squash(received_paragraphs()[13])
    cleaned = received.replace("從**到卓越", "走向卓越")
    start = cleaned.find("走向卓越")
    assert _unexplained_changes(received, cleaned, start, start + 4) != []


def _sentences(paragraph: str) -> list[tuple[int, int]]:
    bounds = [0] + [m.end() for m in re.finditer(r"[。!?;!?]", paragraph)] + [len(paragraph)]
    return [(start, end) for start, end in zip(bounds, bounds[1:], strict=False) if end > start]


def _uncovered_sentences(kb: KnowledgeBase) -> list[str]:
    uncovered = []
    for number, paragraph in paragraphs().items():
        text = _squash(paragraph)
        quoted = [False] * len(text)
        for entry in kb.entries.values():
            for part in entry.zh.split("……") if number in entry.paragraphs else []:
                start = text.find(_squash(part))
                if start >= 0:
                    quoted[start : start + len(_squash(part))] = [True] * len(_squash(part))
        for start, end in _sentences(text):
            sentence = text[start:end]
            if sentence not in NOT_CONTENT and sum(quoted[start:end]) < COVERED_SHARE * len(
                sentence
            ):
                uncovered.append(f"¶{number}: {sentence}")
    return uncovered


def test_every_sentence_of_the_article_is_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    assert _uncovered_sentences(kb) == []


def test_a_sentence_left_out_is_found(kb: KnowledgeBase) -> None:
    entries = {key: entry for key, entry in kb.entries.items() if key != "tenacity.sales_go_first"}
    smaller = KnowledgeBase(
        entries, {}, kb.roles, [], {}, kb.terms, kb.stalled_deal, kb.readiness, {}
    )
    assert _uncovered_sentences(smaller) == ["¶14: 產品未動,銷售先行。"]


def test_every_entry_is_reachable_from_an_intent_or_action(kb: KnowledgeBase) -> None:
    reachable = {entry_id for topic in kb.topics.values() for entry_id in topic.entry_ids}
    for aspects in kb.roles.values():
        reachable |= {entry_id for ids in aspects.values() if ids for entry_id in ids}
    reachable |= {entry_id for pair in kb.comparisons for entry_id in pair.entry_ids}
    for advice in kb.stalled_deal.values():
        reachable |= {step.entry_id for step in advice.steps} | set(advice.related + advice.after)
    assert set(kb.entries) - reachable == set()


def test_every_topic_intent_is_in_the_domain(kb: KnowledgeBase, domain: dict) -> None:
    for topic in kb.topics.values():
        assert topic.intent in domain["intents"]


def test_silence_is_explicit(kb: KnowledgeBase) -> None:
    assert kb.aspect("sales_manager", "reports_to") is None
    assert kb.aspect("regional_manager", "requirements") is None
    assert [e.id for e in kb.aspect("regional_manager", "reports_to")] == [
        "role.regional_manager.reports_to"
    ]
    described = yaml.safe_load((KNOWLEDGE_DIR / "roles.yml").read_text(encoding="utf-8"))
    assert set(kb.roles) == set(described["roles"])
    assert all(set(aspects) == set(kb.aspects) for aspects in kb.roles.values())


def test_entries_are_shown_in_the_users_script(kb: KnowledgeBase) -> None:
    entry = kb.entries["follow_up.quote"]
    assert entry.text("zh-Hant") == "銷售不跟蹤,終將一場空"
    assert entry.text("zh-Hans") == "销售不跟踪,终将一场空"
    assert entry.text("en").startswith("A sale")
    assert entry.attribution_text("zh-Hans") == "富士康老板郭台铭"


def test_terms_include_derived_simplified_forms(kb: KnowledgeBase) -> None:
    texts = {(t.entity, t.value, t.text) for t in term_list(kb.terms)}
    assert ("role", "regional_manager", "区域经理") in texts
    assert ("role", "regional_manager", "區域經理") in texts
    assert ("role", "account_manager", "AM") in texts


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the knowledge base to break."""
    target = tmp_path / "knowledge"
    shutil.copytree(Path(__file__).parents[2] / "bot" / "knowledge", target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "entries/follow_up.yml",
            '  en: "A sale you don\'t follow up ends in nothing."\n',
            "",
            "follow_up.yml: entry 'follow_up.quote': `en` must be non-empty text",
        ),
        (
            "entries/follow_up.yml",
            "paragraphs: [7]",
            "paragraphs: [27]",  # the article has 26 paragraphs
            "follow_up.yml: entry 'follow_up.quote': `paragraphs` must be a non-empty list of"
            " paragraph numbers 1–26",
        ),
        (
            "terms.yml",
            "  regional_manager:\n    en: [regional manager,",
            "  no_such_role:\n    en: [district manager,",
            "roles.yml: roles: role(s) ['regional_manager'] have no words under `role`",
        ),
        (
            "roles.yml",
            "  regional_manager:\n",
            "  no_such_role:\n",
            "roles.yml: roles: role(s) ['no_such_role'] have no words under `role`",
        ),
        (
            "topics.yml",
            "  competencies: [drive]\n",
            "",
            "topics.yml: file: competency 'drive' (terms.yml) must be answered by exactly one",
        ),
        (
            "topics.yml",
            "  competencies: [drive]\n",
            "  competencies: [drive, grit]\n",
            "topics.yml: topic 'drive': `competencies` names value(s) ['grit']",
        ),
        (
            "topics.yml",
            "intent: ask_drive",
            "intent: ask_tenacity",
            "topics.yml: file: intent(s) ['ask_tenacity'] name more than one topic",
        ),
        (
            "entries/roles.yml",
            "- id: role.sales_rep.duties",
            "- id: role.sales_rep.scope",
            "roles.yml: entry 'role.sales_rep.scope': duplicate id",
        ),
        (
            "topics.yml",
            "entries: [commitment.time_management,",
            "entries: [commitment.time_mgmt,",
            "topics.yml: topic 'commitment': unknown entry id(s) ['commitment.time_mgmt']",
        ),
        (
            "topics.yml",
            "  more: [2]\n",
            "  more: [5]\n",
            "topics.yml: topic 'competencies': `more` must list the entries each",
        ),
        (
            "topics.yml",
            "  focus: {execution: [execution.heading,",
            "  focus: {drive: [execution.heading,",
            "topics.yml: topic 'competencies': `focus` must map competencies of the topic",
        ),
        (
            "topics.yml",
            "  focus: {execution: [execution.heading,",
            "  focus: {execution: [follow_up.quote,",
            "topics.yml: topic 'competencies': `focus` must map competencies of the topic",
        ),
        (
            "roles.yml",
            "    reports_to: not_in_source\n    manages: [role.sales_manager.team]",
            "    manages: [role.sales_manager.team]",
            "roles.yml: role 'sales_manager': must give every aspect",
        ),
        (
            "entries/tenacity.yml",
            "  style: quote\n",
            "",
            "tenacity.yml: entry 'tenacity.jung_quote': a quote needs `attribution`",
        ),
        (
            "entries/drive.yml",
            "- id: drive.definition",
            "- id: [drive",
            "drive.yml: not valid YAML",
        ),
    ],
)
def test_bad_data_is_refused_with_file_entry_and_problem(
    broken: Path, file: str, old: str, new: str, message: str
) -> None:
    _replace(broken / file, old, new)
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)):
        load(broken)


def test_the_project_knowledge_base_loads() -> None:
    """The test to read first when many fail: the message names the file, the entry and the
    problem (a role in terms.yml without a card in roles.yml, an unknown entry id …)."""
    try:
        load()
    except KnowledgeBaseError as error:
        pytest.fail(str(error), pytrace=False)


def test_the_untouched_copy_loads(broken: Path) -> None:
    assert len(load(broken).entries) > 50


@pytest.mark.parametrize("role", ["sales_rep", "account_manager"])
def test_whom_a_rep_or_account_manager_reports_to_is_an_inference_not_a_fact(
    kb: KnowledgeBase, role: str
) -> None:
    assert kb.aspect(role, "reports_to") is None
    silence = kb.silence(role, "reports_to")
    assert silence is not None and silence.kind == "inference"
    assert "role.regional_manager.manages" in silence.entry_ids


def test_what_makes_a_senior_salesperson_is_not_what_the_job_takes(kb: KnowledgeBase) -> None:
    assert kb.aspect("sales_rep", "requirements") is None
    silence = kb.silence("sales_rep", "requirements")
    assert silence is not None and silence.kind == "related"
    assert silence.entry_ids == ("competencies.four",)
    assert "senior salesperson" in silence.note["en"]


def test_promotion_reads_and_also_not_then(kb: KnowledgeBase) -> None:
    assert kb.entries["career.promotion"].en.endswith(
        "and also staff training, management and sales direction."
    )


def test_a_silence_note_needs_a_known_kind(broken: Path) -> None:
    _replace(broken / "roles.yml", "kind: inference", "kind: guess")
    with pytest.raises(
        KnowledgeBaseError, match=r"roles.yml: role 'sales_rep' aspect 'reports_to'"
    ):
        load(broken)


def test_the_nlu_reads_only_the_terms(monkeypatch: pytest.MonkeyPatch, broken: Path) -> None:
    """A typo in checklists.yml must not stop the NLU (and with it the Rasa server)."""
    import bot.knowledge.base as base

    (broken / "checklists.yml").write_text("stalled_deal: [", encoding="utf-8")
    monkeypatch.setattr(base, "KNOWLEDGE_DIR", broken)
    base.user_terms.cache_clear()
    try:
        assert "sales_rep" in base.user_terms()["role"]
        with pytest.raises(KnowledgeBaseError, match="checklists.yml"):
            load(broken)
    finally:
        base.user_terms.cache_clear()


def test_the_paragraph_count_is_the_articles(broken: Path) -> None:
    """Not a constant: a paragraph cited beyond the article's end is refused, within it loads."""
    article = broken / "source" / "article.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\n一段新的文字。\n", encoding="utf-8")
    _replace(broken / "entries/follow_up.yml", "paragraphs: [7]", "paragraphs: [27]")
    assert load(broken).entries["follow_up.quote"].paragraphs == (27,)


def test_a_fifth_role_is_data_only(broken: Path) -> None:
    """terms.yml and roles.yml are all a role needs: no Python lists the roles."""
    terms = broken / "terms.yml"
    _replace(
        terms,
        "competency:\n",
        "  fifth_role:\n    en: [fifth role]\n    zh: [第五職位]\ncompetency:\n",
    )
    silent = "".join(
        f"    {aspect}: not_in_source\n"
        for aspect in ("scope", "duties", "reports_to", "manages", "requirements", "pay")
    )
    _replace(broken / "roles.yml", "# What the article says", f"  fifth_role:\n{silent}#")
    kb = load(broken)
    assert kb.role_ids[-1] == "fifth_role"
    assert kb.aspect("fifth_role", "scope") is None
