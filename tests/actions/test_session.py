import pytest
from rasa_sdk.events import ActionExecuted, Restarted, SessionStarted, SlotSet

from actions.session import ActionRestart, ActionSessionStart


def test_each_slot_is_carried_over_once_with_its_last_value(dispatcher, make_tracker, domain):
    # a session where the language was set on every message: the events say so many times
    events = [
        {"event": "slot", "name": "language", "value": v} for v in ["en", "zh", "zh-Hant"] * 20
    ]
    tracker = make_tracker(
        slots={"language": "zh-Hant", "language_preference": "en", "topic": "follow_up"},
        events=events,
    )
    result = ActionSessionStart().run(dispatcher, tracker, domain)
    assert result[0] == SessionStarted() and result[-1] == ActionExecuted("action_listen")
    assert sorted(result[1:-1], key=lambda e: e["name"]) == [
        SlotSet("language", "zh-Hant"),
        SlotSet("language_preference", "en"),
        SlotSet("topic", "follow_up"),
    ]


def test_nothing_is_carried_over_when_the_domain_says_so(dispatcher, make_tracker, domain):
    domain = {**domain, "session_config": {"carry_over_slots_to_new_session": False}}
    tracker = make_tracker(slots={"language": "en"})
    assert ActionSessionStart().run(dispatcher, tracker, domain) == [
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]


def test_a_typed_session_start_says_nothing_was_lost(dispatcher, make_tracker, domain):
    """QA defect 4: "/session_start" typed got no reply at all."""
    tracker = make_tracker("session_start", slots={"language": "zh-Hant", "topic": "drive"})
    result = ActionSessionStart().run(dispatcher, tracker, domain)
    assert [m["text"] for m in dispatcher.messages] == [
        "我們接著剛才的對話繼續,什麼都沒有遺失。想了解什麼?"
    ]
    assert SlotSet("topic", "drive") in result


def test_a_session_that_expired_starts_silently(dispatcher, make_tracker, domain):
    # Rasa starts it before the new message: the latest message is the last session's
    ActionSessionStart().run(
        dispatcher, make_tracker("ask_drive", slots={"language": "en"}), domain
    )
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "OK, starting over; I've forgotten our conversation so far."),
        ("zh-Hant", "好的,我們重新開始,之前的對話我已經忘了。"),
        ("zh-Hans", "好的,我们重新开始,之前的对话我已经忘了。"),
    ],
)
def test_a_restart_says_so_in_the_conversations_language(
    dispatcher, make_tracker, domain, language, said
):
    tracker = make_tracker("restart", slots={"language": language, "topic": "drive"})
    assert ActionRestart().run(dispatcher, tracker, domain) == [Restarted()]
    assert [m["text"] for m in dispatcher.messages] == [said]
