"""Loads and validates the knowledge base: entries from the article, topics, roles and terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.script import in_script, wording_in_script

KNOWLEDGE_DIR = Path(__file__).parent
# Roles, aspects and stages are data: the keys of terms.yml (`role`, `aspect`, `stage`), in
# file order, so that a fifth role is a change to terms.yml and roles.yml only.
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
NOT_IN_SOURCE = "not_in_source"
STYLES = ("paragraph", "item", "quote")
KINDS = ("fact", "gap")
SILENCE_KINDS = ("inference", "related")
# A readiness item is something the article says promotion takes (¶22), or only what the job
# involves (¶19): the second is never reported as a gap to close before a promotion.
READINESS_KINDS = ("requirement", "job")
ENTITY_TYPES = ("role", "competency", "stage", "aspect", "script")


class KnowledgeBaseError(ValueError):
    """Bad knowledge-base data; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Entry:
    """One span of the article: Traditional Chinese source, English translation, paragraphs."""

    id: str
    zh: str
    en: str
    paragraphs: tuple[int, ...]
    style: str = "paragraph"
    kind: str = "fact"
    attribution: dict[str, str] | None = None
    note: dict[str, str] | None = None

    def text(self, language: str) -> str:
        return self.en if language == "en" else in_script(self.zh, language)

    def attribution_text(self, language: str) -> str | None:
        return _localized(self.attribution, language)

    def note_text(self, language: str) -> str | None:
        return _localized(self.note, language)


@dataclass(frozen=True)
class Topic:
    id: str
    intent: str
    title: dict[str, str]
    entry_ids: tuple[str, ...]
    short: int
    why: tuple[str, ...] = ()
    concrete: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()  # intents offered as next steps (buttons)
    # competency entity values this topic answers ("what about drive?")
    competencies: tuple[str, ...] = ()
    # coaching flows (forms) whose "why?" and "tell me more" are about this topic
    flows: tuple[str, ...] = ()
    # how many entries the first "tell me more" replies give, in order; the last gives the rest
    more: tuple[int, ...] = ()
    # a question naming one of `competencies` ("what is execution?"): the entries it gets first
    focus: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def title_text(self, language: str) -> str:
        return _localized(self.title, language) or self.id


@dataclass(frozen=True)
class ChecklistItem:
    """One step of a coaching flow, resting on one entry of the article."""

    entry_id: str
    label: dict[str, str]
    question: dict[str, str] | None = None
    kind: str = "requirement"  # readiness items: requirement | job

    def label_text(self, language: str) -> str:
        return _localized(self.label, language) or self.entry_id

    def question_text(self, language: str) -> str | None:
        return _localized(self.question, language)


@dataclass(frozen=True)
class StageAdvice:
    """The article's advice for a deal stuck at one stage: steps, or what it says nearby."""

    stage: str
    steps: tuple[ChecklistItem, ...]
    related: tuple[str, ...] = ()  # where there are no steps: what the article says nearby
    after: tuple[str, ...] = ()  # where every step is done: what the article says comes next


@dataclass(frozen=True)
class Silence:
    """Where the article is silent on an aspect of a role, what it does say that bears on it:
    an inference we draw (marked as one), or a related statement about something else."""

    kind: str  # inference | related
    note: dict[str, str]
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    roles: frozenset[str]
    entry_ids: tuple[str, ...]


@dataclass
class KnowledgeBase:
    entries: dict[str, Entry]
    topics: dict[str, Topic]
    # role -> aspect -> entry ids, or None where the article is silent
    roles: dict[str, dict[str, tuple[str, ...] | None]]
    comparisons: list[Comparison]
    # (role, aspect) -> what bears on an aspect the article is silent on
    silences: dict[tuple[str, str], Silence]
    # entity type -> canonical value -> language ("en"/"zh") -> terms
    terms: dict[str, dict[str, dict[str, list[str]]]]
    stalled_deal: dict[str, StageAdvice]
    readiness: tuple[ChecklistItem, ...]
    readiness_not_covered: dict[str, str]
    _by_intent: dict[str, Topic] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_intent = {topic.intent: topic for topic in self.topics.values()}

    def topic_for_intent(self, intent: str) -> Topic | None:
        return self._by_intent.get(intent)

    def topic_for_competency(self, competency: str) -> Topic:
        """The topic that answers a competency (the loader gives each exactly one)."""
        return next(t for t in self.topics.values() if competency in t.competencies)

    def topic_of_flow(self, form: str) -> Topic | None:
        """The topic a coaching flow is about ("why?" in the middle of it)."""
        return next((t for t in self.topics.values() if form in t.flows), None)

    @property
    def role_ids(self) -> tuple[str, ...]:
        """Every role, in the order of terms.yml (also the order of columns and buttons)."""
        return tuple(self.terms["role"])

    @property
    def aspects(self) -> tuple[str, ...]:
        return tuple(self.terms["aspect"])

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages of the sales process, in order (the stage buttons are numbered so)."""
        return tuple(self.terms["stage"])

    def entries_of(self, entry_ids: tuple[str, ...]) -> list[Entry]:
        return [self.entries[entry_id] for entry_id in entry_ids]

    def aspect(self, role: str, aspect: str) -> list[Entry] | None:
        """The entries on one aspect of a role, or None where the article says nothing."""
        entry_ids = self.roles[role][aspect]
        return None if entry_ids is None else self.entries_of(entry_ids)

    def silence(self, role: str, aspect: str) -> Silence | None:
        """Where the article is silent on this aspect: the marked inference or related statement."""
        return self.silences.get((role, aspect))

    def pair_entries(self, first: str, second: str) -> list[Entry]:
        """What the article says directly about this pair of roles."""
        pair = frozenset((first, second))
        return [
            entry
            for comparison in self.comparisons
            if comparison.roles == pair
            for entry in self.entries_of(comparison.entry_ids)
        ]

    def text_of(self, texts: dict[str, str], language: str) -> str:
        """Our own bilingual wording (titles, notes) in the user's language."""
        return _localized(texts, language) or ""

    def term_name(self, entity: str, value: str, language: str) -> str:
        """Display name of an entity value: the first term in the user's language."""
        names = self.terms[entity][value]
        if language == "en":
            return names["en"][0][0].upper() + names["en"][0][1:]
        return in_script(names["zh"][0], language)

    def role_name(self, role: str, language: str) -> str:
        return self.term_name("role", role, language)


def _localized(texts: dict[str, str] | None, language: str) -> str | None:
    if texts is None:
        return None
    return texts["en"] if language == "en" else wording_in_script(texts["zh"], language)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path}: not valid YAML: {error}") from error


def _require(condition: bool, path: Path, where: str, problem: str) -> None:
    if not condition:
        raise KnowledgeBaseError(f"{path}: {where}: {problem}")


def _string_list(raw: dict, key: str, path: Path, where: str, what: str) -> list[str]:
    """raw[key] (default empty), which must be a list of strings."""
    value = raw.get(key, [])
    _require(
        isinstance(value, list) and all(isinstance(item, str) for item in value),
        path,
        where,
        f"`{key}` must be a list of {what}",
    )
    return value


def _bilingual(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"en", "zh"}
        and all(isinstance(text, str) and text.strip() for text in value.values())
    )


def _load_entry(raw: Any, path: Path, index: int, last_paragraph: int) -> Entry:
    where = f"entry #{index + 1}"
    _require(isinstance(raw, dict), path, where, "must be a mapping")
    entry_id = raw.get("id")
    _require(isinstance(entry_id, str) and bool(entry_id), path, where, "missing `id`")
    where = f"entry {entry_id!r}"
    allowed = {"id", "zh", "en", "paragraphs", "style", "kind", "attribution", "note"}
    unknown = set(raw) - allowed
    _require(not unknown, path, where, f"unknown field(s) {sorted(unknown)}")
    for text_field in ("zh", "en"):
        value = raw.get(text_field)
        _require(
            isinstance(value, str) and bool(value.strip()),
            path,
            where,
            f"`{text_field}` must be non-empty text",
        )
    paragraphs = raw.get("paragraphs")
    _require(
        isinstance(paragraphs, list)
        and bool(paragraphs)
        and all(isinstance(number, int) and 1 <= number <= last_paragraph for number in paragraphs),
        path,
        where,
        f"`paragraphs` must be a non-empty list of paragraph numbers 1–{last_paragraph}",
    )
    style = raw.get("style", "paragraph")
    _require(style in STYLES, path, where, f"`style` must be one of {STYLES}")
    kind = raw.get("kind", "fact")
    _require(kind in KINDS, path, where, f"`kind` must be one of {KINDS}")
    attribution = raw.get("attribution")
    _require(
        (style == "quote") == (attribution is not None),
        path,
        where,
        "a quote needs `attribution` (en and zh), and only a quote has one",
    )
    _require(
        attribution is None or _bilingual(attribution), path, where, "`attribution` needs en and zh"
    )
    note = raw.get("note")
    _require(
        kind != "gap" or note is not None,
        path,
        where,
        "a gap needs a `note` (en and zh) saying what the article leaves out",
    )
    _require(note is None or _bilingual(note), path, where, "`note` needs en and zh")
    return Entry(
        id=entry_id,
        zh=raw["zh"].strip(),
        en=raw["en"].strip(),
        paragraphs=tuple(paragraphs),
        style=style,
        kind=kind,
        attribution=attribution,
        note=note,
    )


def paragraph_count(directory: Path) -> int:
    """How many paragraphs the article has: each non-empty line is one (as in source.py)."""
    article = directory / "source" / "article.txt"
    return sum(1 for line in article.read_text(encoding="utf-8").splitlines() if line.strip())


def _load_entries(directory: Path) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    last_paragraph = paragraph_count(directory)
    for path in sorted((directory / "entries").glob("*.yml")):
        raw_entries = _read_yaml(path)
        _require(isinstance(raw_entries, list), path, "file", "must be a list of entries")
        for index, raw in enumerate(raw_entries):
            entry = _load_entry(raw, path, index, last_paragraph)
            _require(entry.id not in entries, path, f"entry {entry.id!r}", "duplicate id")
            entries[entry.id] = entry
    return entries


def _check_ids(ids: Any, entries: dict[str, Entry], path: Path, where: str) -> tuple[str, ...]:
    _require(
        isinstance(ids, list) and bool(ids) and all(isinstance(item, str) for item in ids),
        path,
        where,
        "must be a non-empty list of entry ids",
    )
    missing = [entry_id for entry_id in ids if entry_id not in entries]
    _require(not missing, path, where, f"unknown entry id(s) {missing}")
    return tuple(ids)


def _load_topics(
    path: Path, entries: dict[str, Entry], competencies: dict[str, Any]
) -> dict[str, Topic]:
    raw_topics = _read_yaml(path)
    _require(isinstance(raw_topics, dict), path, "file", "must map topic ids to topics")
    topics = {}
    for topic_id, raw in raw_topics.items():
        where = f"topic {topic_id!r}"
        _require(isinstance(raw, dict), path, where, "must be a mapping")
        _require(isinstance(raw.get("intent"), str), path, where, "missing `intent`")
        _require(_bilingual(raw.get("title")), path, where, "`title` needs en and zh")
        entry_ids = _check_ids(raw.get("entries"), entries, path, where)
        short = raw.get("short")
        _require(
            isinstance(short, int) and 1 <= short <= len(entry_ids),
            path,
            where,
            "`short` must count the leading entries of the short answer",
        )
        why, concrete = (
            _check_ids(raw[key], entries, path, f"{where} `{key}`") if key in raw else ()
            for key in ("why", "concrete")
        )
        # How many buttons a channel shows is the channel's business (bot/rendering/slack.py).
        offers = _string_list(raw, "offers", path, where, "intents")
        answers_for = raw.get("competencies", [])
        _require(isinstance(answers_for, list), path, where, "`competencies` must be a list")
        unknown = [c for c in answers_for if c not in competencies]
        _require(
            not unknown,
            path,
            where,
            f"`competencies` names value(s) {unknown} that terms.yml `competency` does not list",
        )
        flows = _string_list(raw, "flows", path, where, "form names")
        more = raw.get("more", [])
        _require(
            isinstance(more, list)
            and all(isinstance(n, int) and n >= 1 for n in more)
            # a short answer may say everything (`short` = all entries); then there is no `more`
            and (not more or short + sum(more) < len(entry_ids)),
            path,
            where,
            '`more` must list the entries each "tell me more" gives, leaving some for the last',
        )
        focus = raw.get("focus", {})
        _require(
            isinstance(focus, dict)
            and set(focus) <= set(answers_for)
            and all(isinstance(ids, list) and set(ids) <= set(entry_ids) for ids in focus.values()),
            path,
            where,
            "`focus` must map competencies of the topic to lists of its own entries",
        )
        topics[topic_id] = Topic(
            topic_id,
            raw["intent"],
            raw["title"],
            entry_ids,
            short,
            why,
            concrete,
            tuple(offers),
            tuple(answers_for),
            tuple(flows),
            tuple(more),
            {competency: tuple(ids) for competency, ids in focus.items()},
        )
    flows = [flow for topic in topics.values() for flow in topic.flows]
    twice = sorted({flow for flow in flows if flows.count(flow) > 1})
    _require(not twice, path, "file", f"flow(s) {twice} belong to more than one topic")
    intents = [topic.intent for topic in topics.values()]
    twice = sorted({intent for intent in intents if intents.count(intent) > 1})
    _require(not twice, path, "file", f"intent(s) {twice} name more than one topic")
    for competency in competencies:
        owners = [t.id for t in topics.values() if competency in t.competencies]
        _require(
            len(owners) == 1,
            path,
            "file",
            f"competency {competency!r} (terms.yml) must be answered by exactly one topic's"
            f" `competencies`, not {owners}",
        )
    return topics


def _load_item(raw: Any, entries: dict[str, Entry], path: Path, where: str) -> ChecklistItem:
    _require(isinstance(raw, dict), path, where, "must be a mapping")
    _check_ids([raw.get("entry")], entries, path, where)
    _require(_bilingual(raw.get("label")), path, where, "`label` needs en and zh")
    question = raw.get("question")
    _require(question is None or _bilingual(question), path, where, "`question` needs en and zh")
    kind = raw.get("kind", "requirement")
    _require(kind in READINESS_KINDS, path, where, f"`kind` must be one of {READINESS_KINDS}")
    return ChecklistItem(raw["entry"], raw["label"], question, kind)


def _load_checklists(
    path: Path, entries: dict[str, Entry], stages_in_order: tuple[str, ...]
) -> tuple[dict[str, StageAdvice], tuple[ChecklistItem, ...], dict[str, str]]:
    raw = _read_yaml(path)
    _require(isinstance(raw, dict), path, "file", "must have `stalled_deal` and `readiness`")
    stages = raw.get("stalled_deal")
    _require(
        isinstance(stages, dict) and set(stages) == set(stages_in_order),
        path,
        "stalled_deal",
        f"must give every stage of terms.yml {stages_in_order}",
    )
    advice = {}
    for stage, value in stages.items():
        where = f"stalled_deal stage {stage!r}"
        _require(
            isinstance(value, dict)
            and ("steps" in value) != (NOT_IN_SOURCE in value)
            and set(value) <= {"steps", "after", NOT_IN_SOURCE},
            path,
            where,
            f"needs either `steps` (and optionally `after`) or `{NOT_IN_SOURCE}`"
            " (what the article says nearby)",
        )
        if "steps" in value:
            steps = tuple(
                _load_item(item, entries, path, f"{where} step #{index + 1}")
                for index, item in enumerate(value["steps"] or [])
            )
            _require(bool(steps), path, where, "`steps` must not be empty")
            after = _check_ids(value["after"], entries, path, where) if "after" in value else ()
            advice[stage] = StageAdvice(stage, steps, after=after)
        else:
            related = _check_ids(value[NOT_IN_SOURCE], entries, path, where)
            advice[stage] = StageAdvice(stage, (), related)
    readiness = raw.get("readiness")
    _require(isinstance(readiness, dict), path, "readiness", "must have `items`, `not_covered`")
    items = tuple(
        _load_item(item, entries, path, f"readiness item #{index + 1}")
        for index, item in enumerate(readiness.get("items") or [])
    )
    _require(
        bool(items) and all(item.question for item in items),
        path,
        "readiness",
        "needs items, each with a `question`",
    )
    not_covered = readiness.get("not_covered")
    _require(_bilingual(not_covered), path, "readiness", "`not_covered` needs en and zh")
    return advice, items, not_covered


def _load_silence(value: Any, entries: dict[str, Entry], path: Path, where: str) -> Silence:
    _require(
        isinstance(value, dict) and set(value) == {"kind", "note", "entries"},
        path,
        where,
        f"`{NOT_IN_SOURCE}` with a note needs `kind` ({SILENCE_KINDS}), `note` and `entries`",
    )
    _require(value["kind"] in SILENCE_KINDS, path, where, f"`kind` must be one of {SILENCE_KINDS}")
    _require(_bilingual(value["note"]), path, where, "`note` needs en and zh")
    entry_ids = _check_ids(value["entries"], entries, path, where)
    return Silence(value["kind"], value["note"], entry_ids)


def _load_roles(
    path: Path, entries: dict[str, Entry], role_terms: dict[str, Any], aspect_ids: tuple[str, ...]
) -> tuple[
    dict[str, dict[str, tuple[str, ...] | None]],
    list[Comparison],
    dict[tuple[str, str], Silence],
]:
    raw = _read_yaml(path)
    _require(isinstance(raw, dict), path, "file", "must have `roles` and `comparisons`")
    raw_roles = raw.get("roles")
    _require(isinstance(raw_roles, dict), path, "roles", "must map role ids to aspects")
    no_terms = [role for role in raw_roles if role not in role_terms]
    _require(
        not no_terms,
        path,
        "roles",
        f"role(s) {no_terms} have no words under `role` in terms.yml (add en and zh terms there)",
    )
    not_described = [role for role in role_terms if role not in raw_roles]
    _require(
        not not_described,
        path,
        "roles",
        f"role(s) {not_described} of terms.yml are not described here (give every aspect)",
    )
    roles: dict[str, dict[str, tuple[str, ...] | None]] = {}
    silences: dict[tuple[str, str], Silence] = {}
    for role, aspects in raw_roles.items():
        _require(
            isinstance(aspects, dict) and set(aspects) == set(aspect_ids),
            path,
            f"role {role!r}",
            f"must give every aspect {aspect_ids} (use {NOT_IN_SOURCE} where the article is"
            " silent)",
        )
        roles[role] = {}
        for aspect, value in aspects.items():
            where = f"role {role!r} aspect {aspect!r}"
            if isinstance(value, dict) and set(value) == {NOT_IN_SOURCE}:
                silences[(role, aspect)] = _load_silence(value[NOT_IN_SOURCE], entries, path, where)
                value = NOT_IN_SOURCE
            roles[role][aspect] = (
                None if value == NOT_IN_SOURCE else _check_ids(value, entries, path, where)
            )
    comparisons = []
    for index, item in enumerate(raw.get("comparisons") or []):
        where = f"comparison #{index + 1}"
        pair = item.get("roles") if isinstance(item, dict) else None
        _require(
            isinstance(pair, list) and len(set(pair)) == 2 and set(pair) <= set(raw_roles),
            path,
            where,
            "`roles` must name two different roles",
        )
        comparisons.append(
            Comparison(frozenset(pair), _check_ids(item.get("entries"), entries, path, where))
        )
    return roles, comparisons, silences


def _load_terms(path: Path) -> dict[str, dict[str, dict[str, list[str]]]]:
    raw = _read_yaml(path)
    _require(
        isinstance(raw, dict) and set(raw) == set(ENTITY_TYPES),
        path,
        "file",
        f"must list terms for {ENTITY_TYPES}",
    )
    for entity, values in raw.items():
        for value, by_language in values.items():
            _require(
                isinstance(by_language, dict)
                and set(by_language) == {"en", "zh"}
                and all(
                    isinstance(terms, list) and terms and all(isinstance(t, str) for t in terms)
                    for terms in by_language.values()
                ),
                path,
                f"{entity} {value!r}",
                "needs non-empty `en` and `zh` term lists",
            )
    return raw


def load(directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    """Load and validate the knowledge base in `directory`; raises KnowledgeBaseError."""
    entries = _load_entries(directory)
    terms = _load_terms(directory / "terms.yml")
    topics = _load_topics(directory / "topics.yml", entries, terms["competency"])
    roles, comparisons, silences = _load_roles(
        directory / "roles.yml", entries, terms["role"], tuple(terms["aspect"])
    )
    stalled_deal, readiness, not_covered = _load_checklists(
        directory / "checklists.yml", entries, tuple(terms["stage"])
    )
    return KnowledgeBase(
        entries, topics, roles, comparisons, silences, terms, stalled_deal, readiness, not_covered
    )


@lru_cache(maxsize=1)
def knowledge_base() -> KnowledgeBase:
    """The project's knowledge base, loaded once per process."""
    return load()


@dataclass(frozen=True)
class Term:
    entity: str
    value: str
    text: str


@lru_cache(maxsize=1)
def user_terms() -> dict[str, dict[str, dict[str, list[str]]]]:
    """Only `terms.yml`: what the NLU needs, so that an error elsewhere in the knowledge base
    cannot stop the Rasa server."""
    return _load_terms(KNOWLEDGE_DIR / "terms.yml")


@lru_cache(maxsize=1)
def topic_intents() -> tuple[str, ...]:
    """Only the intents of the topic registry (topics.yml), in its order: what the Slack channel
    lists on the App Home without loading (and validating) the whole knowledge base."""
    raw = _read_yaml(KNOWLEDGE_DIR / "topics.yml")
    return tuple(topic["intent"] for topic in raw.values())


def term_list(by_entity: dict[str, dict[str, dict[str, list[str]]]]) -> list[Term]:
    """Every term in all three scripts: Simplified forms are derived from Traditional ones."""
    terms = []
    for entity, values in by_entity.items():
        for value, by_language in values.items():
            written = by_language["en"] + by_language["zh"]
            derived = [in_script(text, "zh-Hans") for text in by_language["zh"]]
            for text in dict.fromkeys(written + derived):
                terms.append(Term(entity, value, text))
    return terms
