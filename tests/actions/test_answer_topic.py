import json

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_topic import ActionAnswerTopic

SHORT_FOLLOW_UP_ZH_HANS = (
    "**跟踪力:持续跟进客户**\n\n"
    "> 销售不跟踪,终将一场空\n>\n> — 文章引述这句话出自富士康老板郭台铭。\n\n"
    "有的销售人员,工作表面上很积极主动,但是工作了很长时间仍然没有客户落单,"
    "一个重要的原因就是缺乏持久的跟踪。\n\n"
    "产品送达之后到商务谈判之前这个阶段,却成了大多数销售人员业务搁浅的滑铁卢。"
    "缺乏跟踪是业务徘徊不前的根本原因所在。\n\n"
    "_出处:第7段、第8段_"
)
SHORT_FOLLOW_UP_ENTRIES = ["follow_up.quote", "follow_up.why_it_matters", "follow_up.stall_point"]


def test_short_answer_in_the_users_script_with_citation(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_follow_up", slots={"language": "zh-Hans", "roles": ["sales_rep"]})
    events = ActionAnswerTopic().run(dispatcher, tracker, {})
    assert events == [
        SlotSet("topic", "follow_up"),
        SlotSet("roles", None),
        SlotSet(
            "last_answer",
            {
                "id": "topic.follow_up",
                "kind": "answer",
                "title": "跟踪力:持续跟进客户",
                "entry_ids": SHORT_FOLLOW_UP_ENTRIES,
                "roles": [],
                "aspect": None,
            },
        ),
        SlotSet("has_answer", True),
    ]
    [message] = dispatcher.messages
    assert message["text"] == SHORT_FOLLOW_UP_ZH_HANS
    # 👍/👎 name this answer (its own reference), not whichever answer comes last
    ref = json.dumps({"answer_ref": message["custom"]["sales_coach"]["ref"]}, separators=(",", ":"))
    assert message["buttons"] == [
        {"title": "再详细一点", "payload": "/ask_more"},
        {"title": "卡住的单子", "payload": "/describe_stalled_deal"},
        {"title": "👍", "payload": f"/feedback_positive{ref}"},
        {"title": "👎", "payload": f"/feedback_negative{ref}"},
    ]
    answer = message["custom"]["sales_coach"]
    assert (answer["id"], answer["kind"], answer["language"], answer["topic"]) == (
        "topic.follow_up",
        "answer",
        "zh-Hans",
        "follow_up",
    )
    assert answer["citations"] == [7, 8]
    assert answer["entry_ids"] == SHORT_FOLLOW_UP_ENTRIES
    assert answer["buttons"] == message["buttons"]


def test_english_answer_cites_paragraphs(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_sales_process", slots={"language": "en"})
    ActionAnswerTopic().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "- 1. Collect target customers\n- 2. Phone contact" in text
    # where deals stall comes with the stages: "where do deals get stuck?" asks it
    assert "before business negotiation is where most salespeople's deals run aground" in text
    assert text.endswith("_Source: ¶7, ¶8_")


def test_unanswered_question_is_said_plainly(dispatcher, make_tracker) -> None:
    tracker = make_tracker("ask_management_offer", slots={"language": "zh-Hant"})
    ActionAnswerTopic().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "文章提出的問題:「銷售人員為什麼拒絕出任區域經理」" in text
    assert "文章提出了這個問題,但沒有回答" in text


def test_no_language_slot_answers_in_english(dispatcher, make_tracker) -> None:
    ActionAnswerTopic().run(dispatcher, make_tracker("ask_drive"), {})
    assert dispatcher.messages[0]["text"].startswith("**Drive**")


def test_intent_without_topic_falls_back_to_help(dispatcher, make_tracker) -> None:
    assert ActionAnswerTopic().run(dispatcher, make_tracker("greet"), {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_help"]


def ranked(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_a_close_second_guess_gets_a_did_you_mean_button(dispatcher, make_tracker) -> None:
    ranking = ranked(("ask_drive", 0.45), ("greet", 0.3), ("ask_tenacity", 0.2), ("thanks", 0.05))
    tracker = make_tracker("ask_drive", slots={"language": "en"}, intent_ranking=ranking)
    events = ActionAnswerTopic().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    ref = json.dumps({"answer_ref": message["custom"]["sales_coach"]["ref"]}, separators=(",", ":"))
    assert message["buttons"] == [
        {"title": "Tell me more", "payload": "/ask_more"},
        {"title": "Did you mean Tenacity?", "payload": "/ask_tenacity"},
        {"title": "👍", "payload": f"/feedback_positive{ref}"},
        {"title": "👎", "payload": f"/feedback_negative{ref}"},
    ]
    # it is the answer's own button: the structured answer carries it too, and the topic stays
    assert message["custom"]["sales_coach"]["buttons"] == message["buttons"]
    assert message["custom"]["sales_coach"]["second_guess"] == "ask_tenacity"
    assert events[0] == SlotSet("topic", "drive")


def test_a_distant_second_guess_adds_nothing(dispatcher, make_tracker) -> None:
    ranking = ranked(("ask_drive", 0.75), ("ask_tenacity", 0.45))  # 0.30 apart: not close
    tracker = make_tracker("ask_drive", slots={"language": "en"}, intent_ranking=ranking)
    ActionAnswerTopic().run(dispatcher, tracker, {})
    payloads = [b["payload"].split("{")[0] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/ask_more", "/feedback_positive", "/feedback_negative"]


def test_a_second_guess_already_offered_is_not_repeated(dispatcher, make_tracker) -> None:
    ranking = ranked(("ask_follow_up", 0.4), ("describe_stalled_deal", 0.35))
    tracker = make_tracker("ask_follow_up", slots={"language": "zh-Hant"}, intent_ranking=ranking)
    ActionAnswerTopic().run(dispatcher, tracker, {})
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["再詳細一點", "卡住的單子", "👍", "👎"]


def test_help_is_never_the_second_guess(dispatcher, make_tracker) -> None:
    # "help" has a button label, but it is the way out, not a topic to mean instead
    ranking = ranked(("ask_drive", 0.5), ("help", 0.4), ("ask_tenacity", 0.1))
    tracker = make_tracker("ask_drive", slots={"language": "en"}, intent_ranking=ranking)
    ActionAnswerTopic().run(dispatcher, tracker, {})
    payloads = [b["payload"].split("{")[0] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/ask_more", "/feedback_positive", "/feedback_negative"]


def payloads(dispatcher) -> list[str]:
    return [b["payload"].split("{")[0] for b in dispatcher.messages[0]["buttons"]]


def test_a_side_answer_in_a_flow_does_not_offer_to_start_that_flow_again(
    dispatcher, make_tracker
) -> None:
    # QA: the promotion answer's "Am I ready?" button, clicked mid-check, restarted it at 1 of 6
    tracker = make_tracker("ask_promotion", slots={"language": "en"}, active_loop="readiness_form")
    ActionAnswerTopic().run(dispatcher, tracker, {})
    assert "/ask_promotion_readiness" not in payloads(dispatcher)
    outside = CollectingDispatcher()
    ActionAnswerTopic().run(outside, make_tracker("ask_promotion", slots={"language": "en"}), {})
    assert "/ask_promotion_readiness" in payloads(outside)


def test_what_is_execution_is_answered_with_execution(dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "ask_competencies",
        [{"entity": "competency", "value": "execution"}],
        {"language": "zh-Hant"},
    )
    ActionAnswerTopic().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "執行力可分為狹義與廣義" in text
    assert text.endswith("_出處:第6段、第9段_")
