"""Responses answer in every language; Simplified variations are derived from Traditional (our
wording: characters, then the reviewed mainland words)."""

from bot.knowledge.script import to_simplified_wording
from bot.rendering.strings import text


def variations_by_language(variations: list[dict]) -> dict[str, dict]:
    found = {}
    for variation in variations:
        conditions = variation.get("condition") or []
        language = next((c["value"] for c in conditions if c["name"] == "language"), "en")
        found[language] = variation
    return found


def test_every_response_has_all_three_languages(domain) -> None:
    for name, variations in domain["responses"].items():
        assert set(variations_by_language(variations)) == {"en", "zh-Hans", "zh-Hant"}, name


def test_simplified_is_the_opencc_conversion_of_traditional(domain) -> None:
    for name, variations in domain["responses"].items():
        by_language = variations_by_language(variations)
        traditional, simplified = by_language["zh-Hant"], by_language["zh-Hans"]
        assert simplified["text"] == to_simplified_wording(traditional["text"]), name
        assert [b["title"] for b in simplified.get("buttons", [])] == [
            to_simplified_wording(b["title"]) for b in traditional.get("buttons", [])
        ], name


def test_no_message_has_more_than_five_buttons(domain) -> None:
    for name, variations in domain["responses"].items():
        for variation in variations:
            assert len(variation.get("buttons", [])) <= 5, name


def test_buttons_use_the_one_label_of_their_intent(domain) -> None:
    """A topic button reads the same in a response as in the welcome and in Slack: its label lives
    once, in bot/rendering/strings.yml (`intent.<name>`)."""
    for name, variations in domain["responses"].items():
        for language, variation in variations_by_language(variations).items():
            for button in variation.get("buttons", []):
                intent = button["payload"].removeprefix("/")
                assert button["title"] == text(f"intent.{intent}", language), (name, language)
