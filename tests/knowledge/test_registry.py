"""The topic registry (bot/knowledge/topics.yml) against every place a topic must also be.

Adding a topic is the registry entry, its NLU data, its knowledge entries and the places below;
each test names the file and the piece that is missing (README.md, "Add a topic"). The checks
read the YAML files as written, not what the code makes of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
REGISTRY = PROJECT_DIR / "bot" / "knowledge" / "topics.yml"
STORIES_DIR = PROJECT_DIR / "data" / "stories"
ANSWER_ACTION = "action_answer_topic"
# The coaching flows answer a side question and resume (data/stories/interruptions.yml). The
# feedback form is not one: a question there ends it and is answered (data/stories/feedback.yml).
INTERRUPTIBLE_FORMS = ("stalled_deal_form", "readiness_form")
# Slots that take free text during a form: a topic question must not be taken as the answer.
FREE_TEXT_SLOTS = ("deal_stage", "checklist_answer", "feedback_comment")
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
MIN_TRAINING_EXAMPLES = 10  # per language group (English, Chinese) in data/nlu


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


TOPICS: dict[str, dict[str, Any]] = _yaml(REGISTRY)


def _intent(topic: str) -> str:
    return TOPICS[topic]["intent"]


def _rules() -> list[tuple[str, str, dict]]:
    """(file, rule name, rule) for every rule of data/stories."""
    return [
        (path.name, rule["rule"], rule)
        for path in sorted(STORIES_DIR.glob("*.yml"))
        for rule in _yaml(path).get("rules") or []
    ]


def _step_intents(step: dict) -> list[str]:
    """The intents of a user step: one, or the alternatives of an `or:`."""
    if "intent" in step:
        return [step["intent"]]
    return [item["intent"] for item in step.get("or", []) if "intent" in item]


def _answering_rules(intent: str, action: str) -> list[tuple[str, str, dict]]:
    """Rules whose first step takes `intent` and whose next step runs `action`."""
    return [
        (file, name, rule)
        for file, name, rule in _rules()
        if len(rule["steps"]) >= 2
        and intent in _step_intents(rule["steps"][0])
        and rule["steps"][1].get("action") == action
    ]


def _form_of(rule: dict) -> str | None:
    return next((c["active_loop"] for c in rule.get("condition") or [] if "active_loop" in c), None)


@pytest.fixture(scope="module")
def strings() -> dict[str, Any]:
    return _yaml(PROJECT_DIR / "bot" / "rendering" / "strings.yml")


@pytest.mark.parametrize("topic", TOPICS)
def test_the_intent_is_declared_in_the_domain(topic: str, domain: dict) -> None:
    assert _intent(topic) in domain["intents"], (
        f"domain.yml: `intents` lacks {_intent(topic)!r} (topic {topic!r} of topics.yml)"
    )


@pytest.mark.parametrize("slot", FREE_TEXT_SLOTS)
@pytest.mark.parametrize("topic", TOPICS)
def test_a_topic_question_in_a_form_is_not_taken_as_its_answer(
    topic: str, slot: str, domain: dict
) -> None:
    excluded = [
        mapping.get("not_intent", [])
        for mapping in domain["slots"][slot]["mappings"]
        if mapping["type"] == "from_text"
    ]
    assert excluded and all(_intent(topic) in intents for intents in excluded), (
        f"domain.yml: slot {slot!r}, the `from_text` mapping's `not_intent` lacks"
        f" {_intent(topic)!r} (topic {topic!r})"
    )


@pytest.mark.parametrize("topic", TOPICS)
def test_a_rule_answers_the_topic(topic: str) -> None:
    outside_forms = [
        r for r in _answering_rules(_intent(topic), ANSWER_ACTION) if not _form_of(r[2])
    ]
    assert outside_forms, (
        f"data/stories/coaching.yml: the rule 'a topic question is answered from the knowledge"
        f" base' lacks `- intent: {_intent(topic)}` under `or:` (topic {topic!r})"
    )


@pytest.mark.parametrize("form", INTERRUPTIBLE_FORMS)
@pytest.mark.parametrize("topic", TOPICS)
def test_the_topic_is_answered_during_a_flow_which_then_resumes(topic: str, form: str) -> None:
    resuming = [
        rule
        for _, _, rule in _answering_rules(_intent(topic), ANSWER_ACTION)
        if _form_of(rule) == form
        and rule["steps"][2:4] == [{"action": form}, {"active_loop": form}]
    ]
    assert resuming, (
        f"data/stories/interruptions.yml: the rule 'a topic question during {form}' lacks"
        f" `- intent: {_intent(topic)}` under `or:` (topic {topic!r})"
    )


def test_the_flows_named_here_are_the_domains(domain: dict) -> None:
    assert set(INTERRUPTIBLE_FORMS) <= set(domain["forms"])


def test_only_registry_topics_go_to_the_topic_action() -> None:
    """An intent routed to action_answer_topic without a registry entry gets only the help."""
    registered = {_intent(topic) for topic in TOPICS}
    routed = {
        (file, name, intent)
        for file, name, rule in _rules()
        for index, step in enumerate(rule["steps"][:-1])
        if rule["steps"][index + 1].get("action") == ANSWER_ACTION
        for intent in _step_intents(step)
    }
    assert {item for item in routed if item[2] not in registered} == set(), (
        "intents sent to action_answer_topic with no topic in bot/knowledge/topics.yml"
    )


@pytest.mark.parametrize("topic", TOPICS)
def test_the_topic_has_a_button_label(topic: str, strings: dict) -> None:
    """Buttons (clarification guesses, offers, Slack's App Home) are titled `intent.<name>`."""
    label = strings.get(f"intent.{_intent(topic)}") or {}
    assert set(label) == {"en", "zh"} and all(label.values()), (
        f"bot/rendering/strings.yml: `intent.{_intent(topic)}` needs `en` and `zh`"
        f" (topic {topic!r})"
    )


@pytest.mark.parametrize("topic", TOPICS)
def test_offers_are_intents_with_a_label(topic: str, domain: dict, strings: dict) -> None:
    for intent in TOPICS[topic].get("offers", []):
        assert intent in domain["intents"], f"topics.yml: {topic!r} offers unknown {intent!r}"
        assert f"intent.{intent}" in strings, f"strings.yml: no label `intent.{intent}`"


def _training_examples(intent: str) -> dict[str, int]:
    counts = {"en": 0, "zh": 0}
    for path in sorted((PROJECT_DIR / "data" / "nlu").glob("*.yml")):
        for item in _yaml(path).get("nlu") or []:
            if item.get("intent") != intent:
                continue
            for line in item["examples"].splitlines():
                example = line.strip().removeprefix("- ").strip()
                if example:
                    counts["zh" if re.search(r"[\u4e00-\u9fff]", example) else "en"] += 1
    return counts


@pytest.mark.parametrize("topic", TOPICS)
def test_the_nlu_is_trained_on_the_topic(topic: str) -> None:
    counts = _training_examples(_intent(topic))
    assert min(counts.values()) >= MIN_TRAINING_EXAMPLES, (
        f"data/nlu: intent {_intent(topic)!r} (topic {topic!r}) has {counts} examples; it needs"
        f" at least {MIN_TRAINING_EXAMPLES} English and {MIN_TRAINING_EXAMPLES} Chinese"
    )


def _test_story_languages(intent: str) -> set[str]:
    """Languages in which a test story sends `intent` and expects action_answer_topic."""
    from bot.language import CJK, script_of

    found = set()
    for path in sorted((PROJECT_DIR / "tests" / "stories").glob("*.yml")):
        for story in _yaml(path).get("stories") or []:
            steps = story["steps"]
            for step, after in zip(steps[:-1], steps[1:], strict=True):
                if step.get("intent") == intent and after.get("action") == ANSWER_ACTION:
                    message = str(step.get("user", ""))
                    found.add(script_of(message) if CJK.search(message) else "en")
    return found


@pytest.mark.parametrize("topic", TOPICS)
def test_test_stories_ask_the_topic_in_every_language(topic: str) -> None:
    missing = sorted(set(LANGUAGES) - _test_story_languages(_intent(topic)))
    assert not missing, (
        f"tests/stories: no story asks {_intent(topic)!r} (topic {topic!r}) and expects"
        f" {ANSWER_ACTION} in {missing}"
    )


@pytest.mark.parametrize("form", INTERRUPTIBLE_FORMS)
def test_each_coaching_flow_is_about_one_topic(form: str) -> None:
    """ "why?" in the middle of a flow answers for the flow's topic."""
    owners = [topic for topic, raw in TOPICS.items() if form in raw.get("flows", [])]
    assert len(owners) == 1, f"topics.yml: exactly one topic needs `flows: [{form}]`, not {owners}"


@pytest.mark.parametrize("topic", TOPICS)
def test_a_topic_question_ends_the_feedback_form_and_is_answered(topic: str) -> None:
    answering = [
        name
        for _, name, rule in _rules()
        if _form_of(rule) == "feedback_form"
        and _intent(topic) in _step_intents(rule["steps"][0])
        and rule["steps"][1] == {"action": "action_deactivate_loop"}
        and rule["steps"][-1] == {"action": ANSWER_ACTION}
    ]
    assert answering, (
        f"data/stories/feedback.yml: the rule 'a topic question instead of the comment' lacks"
        f" `- intent: {_intent(topic)}` under `or:` (topic {topic!r})"
    )
