"""Issue 7, "Load": a burst to one conversation is queued, never dropped (was: 18 of 75 got
`[]` after about 61 s, Rasa's LockError)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.security.conftest import RunSh

QUESTIONS = {
    "how do I follow up with customers": "topic.follow_up",
    "how do I keep my commitments": "topic.commitment",
    "why does communication matter": "topic.communication",
}
BURST = 50


def answer_ids(messages: list[dict]) -> list[str]:
    return [m["custom"]["sales_coach"]["id"] for m in messages if "custom" in m]


def test_fifty_concurrent_messages_to_one_sender_are_all_answered_in_order(
    app_with_token: RunSh,
) -> None:
    asked = [list(QUESTIONS)[i % len(QUESTIONS)] for i in range(BURST)]
    started = time.monotonic()
    with ThreadPoolExecutor(BURST) as pool:
        responses = list(pool.map(lambda q: app_with_token.say("burst", q), asked))
    elapsed = time.monotonic() - started
    assert [r.status for r in responses] == [200] * BURST
    # each reply answers its own question
    assert [answer_ids(r.json()) for r in responses] == [[QUESTIONS[q]] for q in asked]
    print(f"\n{BURST} concurrent messages to one sender answered in {elapsed:.1f} s")
    # Rasa's lock store alone polls once a second per waiting message: 52.5 s here, a few
    # seconds short of its LockError at 60 s; queued in the server it was 11 s
    assert elapsed < 40
    # and in the conversation each question is followed by its answer, one turn at a time
    events = app_with_token.tracker("rest:burst")["events"]
    turns: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif event["event"] == "bot" and turns and (event.get("data") or {}).get("custom"):
            turns[-1][1].append(event["data"]["custom"]["sales_coach"]["id"])
    assert len(turns) == BURST
    assert all(ids == [QUESTIONS[text]] for text, ids in turns), turns


def test_a_thumb_under_an_older_answer_rates_that_answer(app_with_token: RunSh) -> None:
    def ask(question: str) -> dict:
        response = app_with_token.say("thumbs", question)
        assert response.status == 200
        return next(m for m in response.json() if m.get("buttons"))

    older = ask("how do I follow up with customers")
    ask("how do I keep my commitments")  # the latest answer is another one
    thumb_up = next(b for b in older["buttons"] if b["payload"].startswith("/feedback_positive"))
    assert app_with_token.texts("thumbs", thumb_up["payload"])
    feedback = app_with_token.tracker("rest:thumbs")["slots"]["feedback"]
    assert (feedback["rating"], feedback["answer_id"]) == ("up", "topic.follow_up")
