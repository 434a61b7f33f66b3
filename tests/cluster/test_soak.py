"""How `make soak` judges a stored conversation against what its sender sent."""

from __future__ import annotations

from bot.tools.soak import Check, compare


def test_every_message_once_in_order_with_an_answer_passes() -> None:
    assert compare(["hi", "tell me more"], [("hi", 1), ("tell me more", 2)]) == Check(
        0, 0, 0, False
    )


def test_a_message_stored_twice_is_a_duplicate() -> None:
    stored = [("hi", 1), ("tell me more", 1), ("tell me more", 1), ("thanks", 1)]
    assert compare(["hi", "tell me more", "thanks"], stored) == Check(0, 1, 0, False)


def test_a_message_never_stored_is_lost() -> None:
    assert compare(["hi", "tell me more", "thanks"], [("hi", 1), ("thanks", 1)]) == Check(
        1, 0, 0, False
    )


def test_a_stored_message_without_a_bot_answer_is_unanswered() -> None:
    assert compare(["hi", "thanks"], [("hi", 0), ("thanks", 1)]) == Check(0, 0, 1, False)


def test_the_same_messages_in_another_order_are_out_of_order() -> None:
    check = compare(["hi", "thanks"], [("thanks", 1), ("hi", 1)])
    assert check.out_of_order
    assert check.lost == 1 and check.duplicated == 1


def test_a_repeated_question_sent_twice_is_not_a_duplicate() -> None:
    assert compare(["hi", "hi"], [("hi", 1), ("hi", 1)]) == Check(0, 0, 0, False)
