import pytest

from actions.clarify import ActionClarify

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "greet", "confidence": 0.35},
    {"name": "ask_tenacity", "confidence": 0.3},
    {"name": "affirm", "confidence": 0.2},
    {"name": "ask_drive", "confidence": 0.1},
    {"name": "out_of_scope", "confidence": 0.05},
    {"name": "ask_commitment", "confidence": 0.04},
    {"name": "ask_communication", "confidence": 0.03},
]


def test_offers_up_to_three_guesses_and_a_way_out(dispatcher, make_tracker) -> None:
    tracker = make_tracker("nlu_fallback", slots={"language": "zh-Hant"}, intent_ranking=RANKING)
    assert ActionClarify().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["text"] == "抱歉,我不太確定你的意思。你是想問:"
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "韌性", "payload": "/ask_tenacity"},
        {"title": "衝勁", "payload": "/ask_drive"},
        {"title": "兌現承諾", "payload": "/ask_commitment"},
        {"title": "其他問題", "payload": "/help"},
    ]


def test_a_second_miss_lists_the_topics(dispatcher, make_tracker) -> None:
    events = [
        {"event": "user", "text": "blah"},
        {"event": "action", "name": "action_clarify"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "blah blah"},
    ]
    tracker = make_tracker("nlu_fallback", events=events, intent_ranking=RANKING)
    ActionClarify().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_help"]


@pytest.mark.parametrize(
    "ranking",
    [
        [],
        [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "help", "confidence": 0.2}],
        [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "greet", "confidence": 0.3}],
    ],
)
def test_with_nothing_to_guess_it_says_so_and_offers_the_topics(
    dispatcher, make_tracker, ranking
) -> None:
    """QA defect 5: "???" got "Did you mean:" with only a "Something else" button."""
    tracker = make_tracker("nlu_fallback", slots={"language": "en"}, intent_ranking=ranking)
    assert ActionClarify().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["text"] == (
        "Sorry, I didn't understand that. I coach from one article on salespeople and sales "
        "managers; you can ask about these, for example:"
    )
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Following up with customers", "payload": "/ask_follow_up"},
        {"title": "The sales process", "payload": "/ask_sales_process"},
        {"title": "How roles differ", "payload": "/compare_roles"},
        {"title": "Getting promoted", "payload": "/ask_promotion"},
        {"title": "What can I ask?", "payload": "/help"},
    ]
