import pytest

from bot.nlu.spelling import edit_distance, respelled, term_words

KNOWN = frozenset({"manager", "regional", "account", "tenacity", "communication", "seller"})


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("manger", "manager", 1),  # a dropped letter
        ("regoinal", "regional", 1),  # two letters swapped count once
        ("acount", "account", 1),
        ("tenacty", "tenacity", 1),
        ("kitten", "sitting", 3),
        ("same", "same", 0),
    ],
)
def test_edit_distance_counts_swaps_as_one_edit(a, b, distance) -> None:
    assert edit_distance(a, b, limit=5) == distance


def test_edit_distance_stops_past_its_limit() -> None:
    assert edit_distance("communication", "regional", limit=2) == 3


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("manger", "manager"),
        ("Regoinal", "regional"),
        ("comunicaton", "communication"),  # two edits allowed from eight letters on
        ("manager", None),  # already known
        ("sellr", "seller"),  # five letters: the shortest respelled
        ("selr", None),  # four: too short to guess
        ("mango", None),  # two edits from "manager": too many for a short word
        ("rep", None),  # too short to guess
        ("經理", None),  # only Latin letters are respelled
        ("mgr42", None),
    ],
)
def test_respelled_only_near_misses_of_known_words(word, expected) -> None:
    assert respelled(word, KNOWN) == expected


def test_no_guess_between_two_equally_close_words() -> None:
    assert respelled("mangers", frozenset({"manager", "mangoes"})) is None


def test_term_words_are_the_long_english_words_of_roles_and_skills() -> None:
    terms = {
        "role": {"sales_rep": {"en": ["sales rep", "AE"], "zh": ["業務員"]}},
        "competency": {"drive": {"en": ["drive", "hunger"], "zh": ["衝勁"]}},
        "stage": {"order_closing": {"en": ["closing"], "zh": ["成交"]}},
    }
    assert term_words(terms) == {"sales", "drive", "hunger"}
