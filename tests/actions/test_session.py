from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from actions.session import ActionSessionStart


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
