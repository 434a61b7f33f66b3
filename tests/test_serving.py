"""Serving end to end, with the real servers (tests/web/conftest.py's `Servers`): an ordinary
question costs one action-server call, and a restart of the Rasa server keeps the conversation,
its slots and its context in the SQL tracker store."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.channels.rest import SENDER_PREFIX
from tests.web.conftest import DEFAULT_ENV, ROOT, Servers


class CountingProxy:
    """Sits between the Rasa server and the action server and records each action it is
    asked to run (the `next_action` of every request)."""

    def __init__(self, target_port: int) -> None:
        self.calls: list[str] = []
        self.sizes: list[int] = []  # of each request, in bytes
        calls, sizes = self.calls, self.sizes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                calls.append(json.loads(body).get("next_action"))
                sizes.append(len(body))
                request = urllib.request.Request(
                    f"http://127.0.0.1:{target_port}{self.path}",
                    body,
                    {"Content-Type": "application/json"},
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, data = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, data = error.code, error.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Servers, CountingProxy]]:
    servers = Servers(tmp_path_factory.mktemp("serving"), DEFAULT_ENV)
    proxy = CountingProxy(servers.actions_port)
    endpoints_file = servers.tmp / "endpoints.yml"
    endpoints = yaml.safe_load(endpoints_file.read_text())
    endpoints["action_endpoint"]["url"] = proxy.url
    # the project's own store settings (endpoints.yml), in a database of this test's own
    project = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["tracker_store"] = {
        **project["tracker_store"],
        "db": str(servers.tmp / "trackers.db"),
    }
    endpoints_file.write_text(yaml.safe_dump(endpoints))
    try:
        servers.start()
        yield servers, proxy
    finally:
        servers.stop()
        proxy.close()


def say(servers: Servers, sender: str, text: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{servers.base}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The structured answer (actions/common.py's send_answer) among a turn's messages."""
    found = [m["custom"]["sales_coach"] for m in messages if "sales_coach" in m.get("custom", {})]
    assert len(found) == 1, messages
    return found[0]


def tracker(servers: Servers, sender: str) -> dict[str, Any]:
    conversation = SENDER_PREFIX + sender  # REST conversations live in their own namespace
    with urllib.request.urlopen(f"{servers.base}/conversations/{conversation}/tracker") as response:
        return json.loads(response.read())


def test_an_ordinary_question_makes_one_action_call(served) -> None:
    servers, proxy = served
    sender = f"calls-{uuid.uuid4().hex[:8]}"
    counts = {}
    replies = {}
    texts = ["hi", "區域經理要做什麼", "how do i follow up after sending samples", "好的"]
    for text in texts:
        before = len(proxy.calls)
        replies[text] = say(servers, sender, text)
        counts[text] = proxy.calls[before:]
    # a new conversation starts its session (actions/session.py), once
    assert counts["hi"] == ["action_session_start", "action_greet"]
    assert counts["區域經理要做什麼"] == ["action_role_duties"]
    assert counts["how do i follow up after sending samples"] == ["action_answer_topic"]
    # a response, no action; undecided Chinese answered in the script the user wrote before
    assert counts["好的"] == []
    assert [m["text"] for m in replies["好的"]] == ["好的。還想了解什麼?"]
    assert "action_validate_slot_mappings" not in proxy.calls


@pytest.mark.parametrize(
    ("text", "opening"),
    [
        ("what is basketball", "I coach from one article on salespeople and sales managers"),
        ("明天北京会下雨吗", "我只根据一篇谈销售员与销售经理的文章做教练"),
    ],
)
def test_an_off_topic_question_is_declined_with_topics_to_tap(served, text, opening) -> None:
    servers, proxy = served
    sender = f"off-{uuid.uuid4().hex[:8]}"
    say(servers, sender, "hi")
    before = len(proxy.calls)
    replies = say(servers, sender, text)
    assert proxy.calls[before:] == ["action_decline"]
    assert len(replies) == 1 and replies[0]["text"].startswith(opening), replies
    payloads = [button["payload"] for button in replies[0]["buttons"]]
    # up to three topics the model ranked closest, then the way out
    assert 2 <= len(payloads) <= 4 and payloads[-1] == "/help", payloads
    assert all(
        p.startswith("/ask_") or p in ("/compare_roles", "/describe_stalled_deal")
        for p in payloads[:-1]
    )


def test_a_restart_keeps_the_conversation_its_slots_and_context(served) -> None:
    servers, _ = served
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    say(servers, sender, "用繁體字回答")
    first = answer(say(servers, sender, "how do i follow up after sending samples"))
    assert (first["topic"], first["language"]) == ("follow_up", "zh-Hant")
    say(servers, sender, "/feedback_positive")
    before = tracker(servers, sender)["slots"]
    assert before["feedback"] and before["language_preference"] == "zh-Hant"

    servers.restart_rasa()

    more = answer(say(servers, sender, "tell me more"))
    # the same topic goes on, in the language chosen before the restart, with what was not said
    assert (more["topic"], more["language"]) == ("follow_up", "zh-Hant")
    assert more["entry_ids"] and not set(more["entry_ids"]) & set(first["entry_ids"])
    after = tracker(servers, sender)["slots"]
    assert after["feedback"] == before["feedback"]
    assert after["language_preference"] == "zh-Hant"
    assert Path(servers.tmp / "trackers.db").stat().st_size > 0


def test_a_new_session_loads_alone_and_carries_each_slot_once(served) -> None:
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

    servers, _ = served
    sender = f"sessions-{uuid.uuid4().hex[:8]}"
    say(servers, sender, "answer in english")
    for _ in range(3):
        for text in ["區域經理要做什麼", "how do i follow up after sending samples", "好的"]:
            say(servers, sender, text)
        say(servers, sender, "/session_start")
    reply = say(servers, sender, "好的")
    assert [m["text"] for m in reply] == ["OK. What else would you like to know?"]

    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(servers.tmp / "trackers.db"))
    current = asyncio.run(store.retrieve(SENDER_PREFIX + sender))
    full = asyncio.run(store.retrieve_full_tracker(SENDER_PREFIX + sender))
    assert sum(isinstance(e, SessionStarted) for e in full.events) == 4  # the history is kept
    assert sum(isinstance(e, SessionStarted) for e in current.events) == 1  # one is loaded
    events = list(current.events)
    start = next(i for i, e in enumerate(events) if isinstance(e, SessionStarted))
    listen = next(i for i, e in enumerate(events) if isinstance(e, ActionExecuted) and i > start)
    # the chosen language and the context came along, each slot once
    names = [e.key for e in events[start:listen] if isinstance(e, SlotSet)]
    assert len(names) == len(set(names)) and "language_preference" in names and "topic" in names
    assert len(current.events) < 30


def test_the_health_route_probes_the_projects_conversation_store(served) -> None:
    servers, _ = served
    with urllib.request.urlopen(f"{servers.base}/webhooks/rest/", timeout=30) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {
            "status": "ok",
            "tracker_store": "CachedSQLTrackerStore",
        }


def test_a_long_session_sends_a_bounded_request_and_rates_an_old_answer(served) -> None:
    """bot/action_request.py: late in a session the action server gets no more than early on,
    and a 👍 under the session's first answer still rates that answer."""
    servers, proxy = served
    sender = f"long-{uuid.uuid4().hex[:8]}"
    say(servers, sender, "hi")
    first = answer(say(servers, sender, "how do i follow up after sending samples"))
    for turn in range(15):  # 30 more answers
        answer(say(servers, sender, "tell me more"))
        answer(say(servers, sender, "what is drive"))
        if turn == 0:  # from here on, two answered user turns in the window
            early = proxy.sizes[-1]
    late = proxy.sizes[-1]
    assert late < 1.2 * early, (early, late)
    thumbs_up = next(b["payload"] for b in first["buttons"] if "feedback_positive" in b["payload"])
    before = len(proxy.calls)
    say(servers, sender, thumbs_up)
    assert proxy.calls[before:] == ["action_record_feedback"]
    assert proxy.sizes[-1] < early + 10_000  # the first answer, in front of the last turns
    assert tracker(servers, sender)["slots"]["feedback"] == {
        "rating": "up",
        "answer_id": first["id"],
        "entry_ids": first["entry_ids"],
    }


def texts_of(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text", "") for m in messages]


def test_a_question_after_a_thumbs_down_is_answered(served) -> None:
    """QA defect 2: the question typed after a 👎 was stored as its comment and not answered."""
    servers, _ = served
    sender = f"thumbs-{uuid.uuid4().hex[:8]}"
    drive = answer(say(servers, sender, "what is drive"))
    thumbs_down = next(
        b["payload"] for b in drive["buttons"] if "feedback_negative" in b["payload"]
    )
    asked = texts_of(say(servers, sender, thumbs_down))
    assert asked == ["Sorry it didn't help. What was missing? (optional: type it, or say skip)"]
    duties = answer(say(servers, sender, "what does a regional manager do?"))
    assert duties["id"] == "duties.regional_manager"
    slots = tracker(servers, sender)["slots"]
    assert slots["feedback"]["answer_id"] == drive["id"] and slots["feedback_comment"] is None
    assert tracker(servers, sender)["active_loop"] in ({}, None, {"name": None})


@pytest.mark.parametrize(
    ("flow", "stage_named", "expected"),
    [
        (
            "報價送出去一直沒下文",
            "我們在商務談判卡住了",
            "文章沒有針對卡在「商務談判」階段的具體建議",
        ),
        (
            "client went silent after I sent samples",
            "my deal is stuck at the closing stage",
            "The article gives no specific advice for a deal stuck at the",
        ),
    ],
)
def test_naming_another_stage_mid_flow_switches_to_it(served, flow, stage_named, expected) -> None:
    """QA defect 1: it crashed the turn (IndexError in action_ask_checklist_answer)."""
    servers, _ = served
    sender = f"stage-{uuid.uuid4().hex[:8]}"
    say(servers, sender, flow)
    say(servers, sender, '/inform{"stage":"product_delivery"}')
    replies = say(servers, sender, stage_named)
    assert any(expected in text for text in texts_of(replies)), replies
    assert not any("knowledge base" in t or "知識庫" in t for t in texts_of(replies))


def test_a_stage_button_with_no_flow_running_starts_the_coach(served) -> None:
    """QA defect 4: a stage button clicked after its flow ended got no reply."""
    servers, _ = served
    sender = f"stale-{uuid.uuid4().hex[:8]}"
    replies = say(servers, sender, '/inform{"stage":"product_delivery"}')
    assert texts_of(replies)[0].startswith("Step 1 of 4: "), replies


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/restart", "OK, starting over; I've forgotten our conversation so far."),
        ("/session_start", "We carry on where we left off; nothing was lost."),
    ],
)
def test_a_typed_restart_or_session_start_is_answered(served, typed, expected) -> None:
    """QA defect 4: both got [] (and /restart silently forgot the conversation)."""
    servers, _ = served
    sender = f"typed-{uuid.uuid4().hex[:8]}"
    answer(say(servers, sender, "what is drive"))
    replies = texts_of(say(servers, sender, typed))
    assert len(replies) == 1 and replies[0].startswith(expected), replies


@pytest.mark.parametrize("text", ["🤔🤔🔥", "???", "a\x00b"])
def test_nothing_to_guess_is_not_a_did_you_mean(served, text) -> None:
    """QA defect 5: "Did you mean:" with only a "Something else" button."""
    servers, _ = served
    replies = say(servers, f"guess-{uuid.uuid4().hex[:8]}", text)
    assert len(replies) == 1, replies
    if replies[0]["text"].startswith("Sorry, I'm not sure what you mean. Did you mean:"):
        assert len(replies[0]["buttons"]) > 1, replies  # a guess, not only the way out
    else:
        assert replies[0]["text"].startswith("Sorry, I didn't understand that."), replies
        assert len(replies[0]["buttons"]) == 5


def test_a_rating_typed_in_a_flow_rates_nothing(served) -> None:
    """QA defect 3: "idk" in the readiness check was stored as a 👎 of no answer; whatever NLU
    makes of it now, no rating is stored without the button under an answer."""
    servers, _ = served
    sender = f"idk-{uuid.uuid4().hex[:8]}"
    answer(say(servers, sender, "what is drive"))
    say(servers, sender, "am I ready to be a sales manager?")
    for typed in ["idk", "🙂", "👎"]:
        assert say(servers, sender, typed), typed  # never a silent []
    assert tracker(servers, sender)["slots"]["feedback"] is None


def test_more_twice_on_the_regional_manager_offer_says_that_is_all(served) -> None:
    """QA defect 6: the second "tell me more" repeated the first word for word."""
    servers, _ = served
    sender = f"more-{uuid.uuid4().hex[:8]}"
    offered = answer(say(servers, sender, "should I accept the regional manager offer?"))
    assert offered["id"] == "topic.management_offer", offered["id"]
    first = answer(say(servers, sender, "tell me more"))
    second = answer(say(servers, sender, "tell me more"))
    assert first["entry_ids"] and not second["entry_ids"]
    assert second["title"] == "Being offered a management post: more"
    assert "That is everything the article says on this." in str(second["blocks"])
