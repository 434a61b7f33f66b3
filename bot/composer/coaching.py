"""What the coaching flows say: questions with buttons, and the summaries that end them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.composer.answer import Answer, citation_text, entry_blocks, make_answer
from bot.knowledge.base import ChecklistItem, KnowledgeBase, topic_intents
from bot.rendering.strings import text

Buttons = list[dict[str, str]]
WELCOME_TOPICS = ("ask_follow_up", "ask_sales_process", "compare_roles", "ask_promotion", "help")


def welcome(language: str) -> tuple[str, Buttons]:
    """The first greeting: what the bot does, and five topics to start from."""
    return text("welcome", language), topic_buttons(language, WELCOME_TOPICS)


# Questions answered by their own actions, offered beside the registry's topics.
OTHER_QUESTIONS = (
    "ask_role_duties",
    "compare_roles",
    "describe_stalled_deal",
    "ask_promotion_readiness",
)


def all_topics() -> tuple[str, ...]:
    """Every question the bot covers (Slack's App Home shows them all): the topics of the
    registry, bot/knowledge/topics.yml, then the roles and the coaching flows."""
    return (*topic_intents(), *OTHER_QUESTIONS)


def topic_buttons(language: str, intents: Sequence[str] | None = None) -> Buttons:
    """One button per topic, titled in `language`, sending the topic's intent."""
    if intents is None:
        intents = all_topics()
    return [
        {"title": text(f"intent.{intent}", language), "payload": f"/{intent}"} for intent in intents
    ]


def _yes_no_buttons(language: str) -> Buttons:
    return [
        {"title": text("button.yes", language), "payload": "/affirm"},
        {"title": text("button.no", language), "payload": "/deny"},
        {"title": text("button.stop", language), "payload": "/stop"},
    ]


def deal_stage_question(kb: KnowledgeBase, language: str) -> tuple[str, Buttons]:
    buttons = [
        {
            "title": f"{number}. {kb.term_name('stage', stage, language)}",
            "payload": f'/inform{{"stage":"{stage}"}}',
        }
        # every stage is offered: a deal can stall at any of them
        for number, stage in enumerate(kb.stages, start=1)
    ]
    return text("ask_deal_stage", language), buttons


def _item_line(kb: KnowledgeBase, item: ChecklistItem, language: str) -> str:
    entry = kb.entries[item.entry_id]
    return f"{item.label_text(language)} ({citation_text(entry.paragraphs, language)})"


def step_question(
    kb: KnowledgeBase, steps: Sequence[ChecklistItem], index: int, language: str
) -> tuple[str, Buttons]:
    """One step of the stalled-deal coach: the article's advice, then "have you done this?"."""
    entry = kb.entries[steps[index].entry_id]
    prompt = text(
        "step_prompt", language, number=index + 1, total=len(steps), text=entry.text(language)
    )
    question = f"{prompt}\n_{citation_text(entry.paragraphs, language)}_\n\n"
    return question + text("step_question", language), _yes_no_buttons(language)


def readiness_question(kb: KnowledgeBase, index: int, language: str) -> tuple[str, Buttons]:
    item = kb.readiness[index]
    prompt = text(
        "readiness_prompt",
        language,
        number=index + 1,
        total=len(kb.readiness),
        text=item.question_text(language),
    )
    if index == 0:
        prompt = f"{text('readiness_intro', language)}\n\n{prompt}"
    return prompt, _yes_no_buttons(language)


def _checklist_blocks(
    kb: KnowledgeBase, heading: str, items: Sequence[ChecklistItem], language: str
) -> list[dict[str, Any]]:
    lines = [_item_line(kb, item, language) for item in items]
    return [{"type": "heading", "text": heading}, {"type": "list", "items": lines}] if lines else []


def deal_summary(kb: KnowledgeBase, stage: str, done: Sequence[int], language: str) -> Answer:
    """Next actions for a stalled deal: the steps not done yet, each cited; or what is missing."""
    advice = kb.stalled_deal[stage]
    title = text("deal_title", language)
    if not advice.steps:
        entries = kb.entries_of(advice.related)
        stage_name = kb.term_name("stage", stage, language)
        blocks = [
            {"type": "paragraph", "text": text("stage_not_covered", language, stage=stage_name)}
        ]
        return make_answer(
            "deal_summary",
            language,
            title,
            blocks + entry_blocks(entries, language),
            entries,
            f"deal.{stage}",
        )
    todo = [item for index, item in enumerate(advice.steps) if index not in done]
    finished = [item for index, item in enumerate(advice.steps) if index in done]
    entries = kb.entries_of(tuple(item.entry_id for item in advice.steps))
    if todo:
        blocks = _checklist_blocks(kb, text("next_actions", language), todo, language)
    else:  # every step done: what the article says comes next
        closing = kb.entries_of(advice.after)
        blocks = [{"type": "paragraph", "text": text("all_done", language)}]
        blocks += entry_blocks(closing, language)
        entries += closing
    blocks += _checklist_blocks(kb, text("already_done", language), finished, language)
    return make_answer("deal_summary", language, title, blocks, entries, f"deal.{stage}")


def readiness_summary(kb: KnowledgeBase, yes: Sequence[int], language: str) -> Answer:
    """Strengths and gaps against what the article says promotion takes (¶22), then what the job
    involves (¶19) as done / not yet, each cited, and what the article does not cover."""
    answered = [(item, index in yes) for index, item in enumerate(kb.readiness)]
    required = [(item, done) for item, done in answered if item.kind == "requirement"]
    strengths = [item for item, done in required if done]
    gaps = [item for item, done in required if not done]
    none_yet = [{"type": "paragraph", "text": text("none_yet", language)}]
    blocks = _checklist_blocks(kb, text("strengths", language), strengths, language) or [
        {"type": "heading", "text": text("strengths", language)},
        *none_yet,
    ]
    blocks += _checklist_blocks(kb, text("gaps", language), gaps, language)
    job = [
        text(
            "job_item",
            language,
            item=_item_line(kb, item, language),
            done=text("job_done" if done else "job_not_yet", language),
        )
        for item, done in answered
        if item.kind == "job"
    ]
    if job:
        blocks += [
            {"type": "heading", "text": text("job_involves", language)},
            {"type": "list", "items": job},
        ]
    blocks.append({"type": "paragraph", "text": kb.text_of(kb.readiness_not_covered, language)})
    entries = kb.entries_of(tuple(dict.fromkeys(item.entry_id for item in kb.readiness)))
    return make_answer(
        "readiness", language, text("readiness_title", language), blocks, entries, "readiness"
    )


def clarification_guesses(intents: Sequence[str]) -> list[str]:
    """The intents "did you mean …?" offers: the first three, help aside (it is the way out)."""
    return [intent for intent in intents if intent != "help"][:3]


def guess_buttons(intents: Sequence[str], language: str) -> Buttons:
    """Up to three guessed topics as buttons, then the way out (help)."""
    way_out = {"title": text("button.something_else", language), "payload": "/help"}
    return [*topic_buttons(language, clarification_guesses(intents)), way_out]


def clarification(intents: Sequence[str], language: str) -> tuple[str, Buttons]:
    """ "Did you mean …?" with up to three guesses and a way out; with nothing to guess ("???",
    emoji alone), that it was not understood and the welcome's topics."""
    if not clarification_guesses(intents):
        return text("not_understood", language), topic_buttons(language, WELCOME_TOPICS)
    return text("clarify", language), guess_buttons(intents, language)


def decline(intents: Sequence[str], language: str) -> tuple[str, Buttons]:
    """Off-topic: what the bot coaches on, and the topics the question came closest to (a
    coaching question taken for off-topic is then one tap away)."""
    return text("decline", language), guess_buttons(intents, language)
