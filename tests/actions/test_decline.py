import pytest

from actions.decline import ActionDecline

RANKING = [
    {"name": "out_of_scope", "confidence": 0.5},
    {"name": "greet", "confidence": 0.2},
    {"name": "ask_tenacity", "confidence": 0.1},
    {"name": "affirm", "confidence": 0.08},
    {"name": "ask_drive", "confidence": 0.05},
    {"name": "nlu_fallback", "confidence": 0.04},
    {"name": "ask_commitment", "confidence": 0.03},
    {"name": "ask_communication", "confidence": 0.02},
]


@pytest.mark.parametrize(
    ("language", "expected_text", "titles"),
    [
        (
            "en",
            "I coach from one article on salespeople and sales managers, so I can't help with "
            "that. I can help with following up, commitments, communication, tenacity, drive, "
            "the sales process, the roles and career moves. Closest to your question:",
            ["Tenacity", "Drive", "Keeping commitments", "Something else"],
        ),
        (
            "zh-Hant",
            "我只根據一篇談銷售員與銷售經理的文章做教練,這個問題我幫不上忙。我可以談跟進客戶、"
            "兌現承諾、溝通、韌性、衝勁、業務過程、各職位和職涯發展。跟你的問題最接近的是:",
            ["韌性", "衝勁", "兌現承諾", "其他問題"],
        ),
        (
            "zh-Hans",
            "我只根据一篇谈销售员与销售经理的文章做教练,这个问题我帮不上忙。我可以谈跟进客户、"
            "兑现承诺、沟通、韧性、冲劲、业务过程、各职位和职业发展。跟你的问题最接近的是:",
            ["韧性", "冲劲", "兑现承诺", "其他问题"],
        ),
    ],
)
def test_says_what_it_coaches_on_and_offers_the_closest_topics(
    dispatcher, make_tracker, language: str, expected_text: str, titles: list[str]
) -> None:
    tracker = make_tracker("out_of_scope", slots={"language": language}, intent_ranking=RANKING)
    assert ActionDecline().run(dispatcher, tracker, {}) == []
    assert len(dispatcher.messages) == 1
    message = dispatcher.messages[0]
    assert message["text"] == expected_text
    assert [b["title"] for b in message["buttons"]] == titles
    assert [b["payload"] for b in message["buttons"]] == [
        "/ask_tenacity",
        "/ask_drive",
        "/ask_commitment",
        "/help",
    ]


def test_without_a_ranking_it_still_offers_the_way_out(dispatcher, make_tracker) -> None:
    tracker = make_tracker("out_of_scope", slots={"language": "en"})
    ActionDecline().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["buttons"] == [{"title": "Something else", "payload": "/help"}]
