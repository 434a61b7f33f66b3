from actions.language import ValidateSlotMappings


def slot_event(value: str) -> dict:
    return {"event": "slot", "name": "language", "value": value}


def test_decided_language_is_kept(dispatcher, make_tracker) -> None:
    result = ValidateSlotMappings().validate_language("zh-Hant", dispatcher, make_tracker(), {})
    assert result == {"language": "zh-Hant"}


def test_undecided_chinese_keeps_the_script_used_before(dispatcher, make_tracker) -> None:
    tracker = make_tracker(events=[slot_event("zh-Hant"), slot_event("en")])
    result = ValidateSlotMappings().validate_language("zh", dispatcher, tracker, {})
    assert result == {"language": "zh-Hant"}


def test_undecided_chinese_without_history_is_simplified(dispatcher, make_tracker) -> None:
    tracker = make_tracker(events=[slot_event("en")])
    assert ValidateSlotMappings().validate_language("zh", dispatcher, tracker, {}) == {
        "language": "zh-Hans"
    }
