"""Structured answers built from knowledge-base entries, in the user's language.

A structured answer is what every channel renders: `bot/rendering/markdown.py` for the web,
`bot/rendering/slack.py` for Block Kit. It is a plain dict so that it travels as JSON inside a
bot message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.knowledge.base import Entry, KnowledgeBase, Topic
from bot.rendering.strings import text

Answer = dict[str, Any]


def citation_text(paragraphs: Iterable[int], language: str) -> str:
    refs = [text("paragraph_ref", language, number=number) for number in sorted(set(paragraphs))]
    return text("source", language, paragraphs=text("paragraph_separator", language).join(refs))


def make_answer(
    kind: str,
    language: str,
    title: str,
    blocks: list[dict[str, Any]],
    entries: Sequence[Entry],
    answer_id: str,
) -> Answer:
    citations = sorted({number for entry in entries for number in entry.paragraphs})
    return {
        "id": answer_id,
        "kind": kind,
        "language": language,
        "title": title,
        "blocks": blocks,
        "citations": citations,
        "citation_text": citation_text(citations, language) if citations else "",
        "entry_ids": list(dict.fromkeys(entry.id for entry in entries)),
        "buttons": feedback_buttons(language),
    }


RATING_PAYLOADS = ("/feedback_positive", "/feedback_negative")


def feedback_buttons(
    language: str, more: bool = False, offers: Sequence[str] = ()
) -> list[dict[str, str]]:
    """👍/👎 under every coaching answer, after "tell me more" and next steps when offered."""
    buttons = [{"title": text("button.more", language), "payload": "/ask_more"}] if more else []
    buttons += [
        {"title": text(f"intent.{intent}", language), "payload": f"/{intent}"} for intent in offers
    ]
    return buttons + [
        {"title": text("button.up", language), "payload": "/feedback_positive"},
        {"title": text("button.down", language), "payload": "/feedback_negative"},
    ]


def with_alternative(answer: Answer, intent: str | None, language: str) -> Answer:
    """The answer with a "did you mean …?" button for another topic the question was close to,
    before 👍/👎; unchanged when there is none or the answer already offers it."""
    payload = f"/{intent}"
    if intent is None or any(b.get("payload") == payload for b in answer["buttons"]):
        return answer
    title = text("button.instead", language, topic=text(f"intent.{intent}", language))
    rating = [b for b in answer["buttons"] if b["payload"] in RATING_PAYLOADS]
    others = [b for b in answer["buttons"] if b["payload"] not in RATING_PAYLOADS]
    buttons = [*others, {"title": title, "payload": payload}, *rating]
    # the trainers' report counts a click on it as a misread question (bot/report/stats.py)
    return {**answer, "buttons": buttons, "second_guess": intent}


def entry_blocks(entries: Sequence[Entry], language: str) -> list[dict[str, Any]]:
    """Paragraphs, quotes and lists (consecutive `item` entries) in reading order."""
    blocks: list[dict[str, Any]] = []
    for entry in entries:
        if entry.kind == "gap":
            question = text("article_asks", language, question=entry.text(language))
            blocks.append({"type": "paragraph", "text": question})
            blocks.append({"type": "paragraph", "text": entry.note_text(language)})
        elif entry.style == "quote":
            who = text("attributed_to", language, who=entry.attribution_text(language))
            blocks.append({"type": "quote", "text": entry.text(language), "attribution": who})
        elif entry.style == "item":
            if blocks and blocks[-1]["type"] == "list":
                blocks[-1]["items"].append(entry.text(language))
            else:
                blocks.append({"type": "list", "items": [entry.text(language)]})
        else:
            blocks.append({"type": "paragraph", "text": entry.text(language)})
        if entry.kind != "gap" and entry.note:  # our remark on what the span leaves out
            note = text("our_note", language, note=entry.note_text(language))
            blocks.append({"type": "paragraph", "text": note})
    return blocks


def more_start(topic: Topic, given: Sequence[str] = ()) -> int:
    """Where "tell me more" goes on: after the last of the topic's entries `given` by the answer
    before (the short answer, or an earlier "more"), never before the short answer's end."""
    shown = [topic.entry_ids.index(entry_id) for entry_id in given if entry_id in topic.entry_ids]
    return max([topic.short, *(index + 1 for index in shown)])


def topic_answer(
    kb: KnowledgeBase,
    topic: Topic,
    language: str,
    part: str = "short",
    given: Sequence[str] = (),
    focus: str | None = None,
) -> Answer:
    """The short answer first (`short`; for a question naming a competency of `topic.focus`,
    that competency's entries), the rest on request (`more`: the part after the entries `given`
    last, as `topic.more` cuts it, then that there is no more), or all of it (`full`)."""
    start = more_start(topic, given)
    ends = [topic.short + sum(topic.more[: n + 1]) for n in range(len(topic.more))]
    end = next((end for end in ends if end > start), len(topic.entry_ids))
    entry_ids = {
        "short": topic.focus.get(focus or "", topic.entry_ids[: topic.short]),
        "more": topic.entry_ids[start:end],
        "full": topic.entry_ids,
    }[part]
    title = topic.title_text(language)
    if part == "more":
        title = text("more_title", language, title=title)
    if not entry_ids:
        return _notice(
            "answer", language, title, text("nothing_more", language), f"topic.{topic.id}"
        )
    entries = kb.entries_of(entry_ids)
    answer = make_answer(
        "answer", language, title, entry_blocks(entries, language), entries, f"topic.{topic.id}"
    )
    next_start = topic.short if part == "short" else end
    has_more = part != "full" and next_start < len(topic.entry_ids)
    answer["buttons"] = feedback_buttons(language, more=has_more, offers=topic.offers)
    answer["topic"] = topic.id
    return answer


def _notice(kind: str, language: str, title: str, notice: str, answer_id: str) -> Answer:
    """An answer that is only the bot saying what the article does not give."""
    return make_answer(
        kind, language, title, [{"type": "paragraph", "text": notice}], [], answer_id
    )


def _topic_entries_answer(
    kind: str,
    kb: KnowledgeBase,
    topic: Topic | None,
    language: str,
    entry_ids: tuple[str, ...],
    missing: str,
    lead: list[dict] | None = None,
) -> Answer:
    """The topic's entries of one kind (`why`, `concrete`), or the notice that it has none."""
    title = text(f"{kind}_title", language)
    answer_id = f"{kind}.{topic.id}" if topic else kind
    if topic is None or not entry_ids:
        return _notice(kind, language, title, text(missing, language), answer_id)
    entries = kb.entries_of(entry_ids)
    blocks = (lead or []) + entry_blocks(entries, language)
    return make_answer(kind, language, title, blocks, entries, answer_id)


def why_answer(
    kb: KnowledgeBase, topic: Topic | None, language: str, given: Sequence[str] = ()
) -> Answer:
    """The reasons the article gives for the current topic, or plainly that it gives none; when
    the answer just `given` already held all of them, that they are those, not them again."""
    reasons = topic.why if topic else ()
    if topic is not None and reasons and set(reasons) <= set(given):
        where = citation_text([n for e in kb.entries_of(reasons) for n in e.paragraphs], language)
        notice = text("why_given_above", language, source=where)
        return _notice("why", language, text("why_title", language), notice, f"why.{topic.id}")
    return _topic_entries_answer("why", kb, topic, language, reasons, "no_why")


def example_answer(kb: KnowledgeBase, topic: Topic | None, language: str) -> Answer:
    """The article has no worked examples: say so, then give its most concrete points."""
    concrete = topic.concrete if topic else ()
    lead = [{"type": "paragraph", "text": text("no_worked_example", language)}]
    return _topic_entries_answer("example", kb, topic, language, concrete, "no_example", lead)


def _cell(kb: KnowledgeBase, role: str, aspect: str, language: str) -> tuple[str, list[Entry]]:
    """What the article says on one aspect of a role; where it is silent, that it is, and any
    marked inference or related statement with the entries it rests on."""
    entries = kb.aspect(role, aspect)
    if entries is not None:
        return " ".join(entry.text(language) for entry in entries), entries
    silence = kb.silence(role, aspect)
    if silence is None:
        return text("not_in_source", language), []
    note = kb.text_of(silence.note, language)
    return text(f"silence.{silence.kind}", language, note=note), kb.entries_of(silence.entry_ids)


def duties_answer(kb: KnowledgeBase, role: str, language: str, aspect: str | None = None) -> Answer:
    """Everything the article says about one role, aspect by aspect, and what it leaves out;
    with `aspect` ("who does a rep report to?") only that aspect, and "tell me more" for all."""
    blocks: list[dict[str, Any]] = []
    cited: list[Entry] = []
    silent = []
    for row_aspect in [aspect] if aspect else kb.aspects:
        cell, entries = _cell(kb, role, row_aspect, language)
        label = text(f"aspect.{row_aspect}", language)
        if entries:
            blocks.append({"type": "field", "label": label, "text": cell})
            cited += entries
        else:
            silent.append(label)
    if silent:
        aspects = text("aspect_joiner", language).join(silent)
        blocks.append(
            {"type": "paragraph", "text": text("silent_aspects", language, aspects=aspects)}
        )
    title = text("duties_title", language, role=kb.role_name(role, language))
    answer_id = f"duties.{role}" + (f".{aspect}" if aspect else "")
    answer = make_answer("duties", language, title, blocks, cited, answer_id)
    answer["roles"] = [role]
    answer["aspect"] = aspect
    if aspect:
        answer["buttons"] = feedback_buttons(language, more=True)
    return answer


def comparison_answer(
    kb: KnowledgeBase, roles: Sequence[str], language: str, aspect: str | None = None
) -> Answer:
    """A table of roles (columns) by aspects (rows); empty cells say the article is silent."""
    names = [kb.role_name(role, language) for role in roles]
    aspects = [aspect] if aspect else list(kb.aspects)
    rows, cited, silent = [], [], []
    for row_aspect in aspects:
        label = text(f"aspect.{row_aspect}", language)
        cells = [_cell(kb, role, row_aspect, language) for role in roles]
        if not aspect and not any(entries for _, entries in cells):
            # a row saying "does not say" in every column: one line under the table instead
            silent.append(label)
            continue
        rows.append([label, *(cell for cell, _ in cells)])
        cited += [entry for _, entries in cells for entry in entries]
    blocks: list[dict[str, Any]] = [{"type": "table", "columns": ["", *names], "rows": rows}]
    if silent:
        aspects_said = text("aspect_joiner", language).join(silent)
        blocks.append(
            {"type": "paragraph", "text": text("silent_aspects", language, aspects=aspects_said)}
        )
    if len(roles) == 2:
        pair = kb.pair_entries(*roles)
        if pair:
            heading = text("what_the_article_says_on_pair", language)
            blocks.append({"type": "heading", "text": heading})
            blocks += entry_blocks(pair, language)
            cited += pair
    title = text("compare_title", language, roles=text("role_joiner", language).join(names))
    answer_id = "comparison." + "+".join(roles) + (f".{aspect}" if aspect else "")
    answer = make_answer("comparison", language, title, blocks, cited, answer_id)
    answer["roles"] = list(roles)
    answer["aspect"] = aspect
    return answer


def role_buttons(kb: KnowledgeBase, intent: str, language: str) -> list[dict[str, str]]:
    """One quick reply per role; the payload names the role so no NLU guess is needed."""
    return [
        {"title": kb.role_name(role, language), "payload": f'/{intent}{{"role":"{role}"}}'}
        for role in kb.role_ids
    ]
