"""The trainers' report on a generated set of conversations with known counts, written into a
temporary SQLite SQL tracker store and read back through `python -m bot.report` (what `make
report` runs), then looked at in Chromium (results/report.png; docs/report.png after a look)."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

ROOT = Path(__file__).resolve().parents[2]
WEEK_47 = dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.timezone.utc)  # a Tuesday of 2026-W47
WEEK_48 = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.timezone.utc)  # a Wednesday of 2026-W48
COMMENT = "Missing: what <b>quota</b> means for a new rep"
SCRIPT = "<script>alert(1)</script>"
COMPARISON_ID = "comparison.account_manager+sales_manager"


class Conversation:
    """Events of one conversation, one second apart from `start`."""

    def __init__(self, sender_id: str, start: dt.datetime) -> None:
        self.sender_id, self.clock, self.events = sender_id, start.timestamp(), []

    def add(self, event: Event) -> Conversation:
        self.clock += 1
        event.timestamp = self.clock
        self.events.append(event)
        return self

    def user(self, text: str, intent: str, language: str | None = None) -> Conversation:
        entities = [{"entity": "language", "value": language}] if language else []
        parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities, "text": text}
        self.add(UserUttered(text, parse["intent"], entities, parse_data=parse))
        return self.add(ActionExecuted("action_listen"))

    def answer(self, answer_id: str, title: str, text: str) -> Conversation:
        return self.add(
            BotUttered(text, {"custom": {"sales_coach": {"id": answer_id, "title": title}}})
        )

    def act(self, *names: str) -> Conversation:
        for name in names:
            self.add(ActionExecuted(name))
        return self


def conversations() -> list[Conversation]:
    # A, week 47, English: 3 questions; a 👎 on the comparison with a comment (HTML in it).
    a = Conversation("a", WEEK_47)
    a.user("how do I follow up?", "ask_follow_up", "en").answer(
        "topic.follow_up", "Following up", "…"
    )
    a.user("and after the samples?", "ask_follow_up", "en")
    a.user("sales manager vs account manager?", "compare_roles", "en")
    a.answer(
        COMPARISON_ID, "Sales manager vs account manager", "| | Sales manager |\n| **Scope** | x |"
    )
    a.user("/feedback_negative", "feedback_negative")
    a.add(SlotSet("feedback", {"rating": "down", "answer_id": COMPARISON_ID, "entry_ids": []}))
    a.add(ActiveLoop("feedback_form")).user(COMMENT, "inform", "en")
    a.add(SlotSet("feedback_comment", COMMENT)).add(ActiveLoop(None))

    # B, week 47, Traditional Chinese: 1 question, 1 off-topic, 1 fallback (a script tag),
    # a stalled-deal flow completed.
    b = Conversation("b", WEEK_47 + dt.timedelta(hours=2))
    b.user("如何跟進客戶?", "ask_follow_up", "zh-Hant")
    b.user("今天天氣如何?", "out_of_scope", "zh-Hant")
    b.user(SCRIPT, "nlu_fallback", "en")
    b.user("我的案子卡住了", "describe_stalled_deal", "zh-Hant").act("action_start_checklist")
    b.add(ActiveLoop("stalled_deal_form")).user("第一次拜訪", "inform", "zh-Hant")
    b.user("有", "affirm", "zh-Hant").add(ActiveLoop(None)).act("action_stalled_deal_summary")

    # C, week 48, Simplified Chinese: 3 questions, a 👍, a readiness check stopped, a
    # stalled-deal flow left unfinished, a 👎 whose comment was declined.
    c = Conversation("c", WEEK_48)
    for text in ["怎么升职?", "升职要多久?", "怎样才能当经理?"]:
        c.user(text, "ask_promotion", "zh-Hans")
    c.answer("topic.promotion", "晋升", "……").user("/feedback_positive", "feedback_positive")
    c.add(SlotSet("feedback", {"rating": "up", "answer_id": "topic.promotion", "entry_ids": []}))
    c.user("我准备好当经理了吗?", "ask_promotion_readiness", "zh-Hans")
    c.add(ActiveLoop("readiness_form")).user("停", "stop", "zh-Hans")
    c.act("action_deactivate_loop").add(ActiveLoop(None)).act("utter_flow_stopped")
    c.user("/feedback_negative", "feedback_negative")
    c.add(SlotSet("feedback", {"rating": "down", "answer_id": "topic.promotion", "entry_ids": []}))
    c.user("不用了", "deny", "zh-Hans").add(SlotSet("feedback_comment", ""))
    c.user("订单卡住了", "describe_stalled_deal", "zh-Hans").add(ActiveLoop("stalled_deal_form"))

    # D, week 48: a topic button (no language to detect), a greeting, a fallback answered with
    # "did you mean …?", whose tenacity button is clicked (a misread question).
    d = Conversation("d", WEEK_48 + dt.timedelta(days=1))
    d.user("/ask_drive", "ask_drive").user("hello", "greet", "en").user("asdf qwer", "nlu_fallback")
    d.act("action_clarify").user("/ask_tenacity", "ask_tenacity")
    return [a, b, c, d]


class Tables(HTMLParser):
    """Every table of the page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def rows(self) -> list[list[str]]:
        return [row for table in self.tables for row in table]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("report")
    config = {"type": "sql", "dialect": "sqlite", "db": str(tmp / "trackers.db")}
    (tmp / "endpoints.yml").write_text(yaml.safe_dump({"tracker_store": config}))
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = create_tracker_store(EndpointConfig(**config), domain)

    async def save() -> None:
        for conversation in conversations():
            tracker = DialogueStateTracker.from_events(
                conversation.sender_id, conversation.events, slots=domain.slots
            )
            await store.save(tracker)

    asyncio.run(save())
    out = tmp / "report.html"
    subprocess.run(
        [sys.executable, "-m", "bot.report", "--endpoints", str(tmp / "endpoints.yml"),
         "--out", str(out)],
        cwd=ROOT, check=True, timeout=300,
    )  # fmt: skip
    return out, out.read_text(encoding="utf-8")


def test_summary_counts(report):
    rows = Tables()
    rows.feed(report[1])
    found = rows.rows()
    for row in [
        ["Conversations", "4"],
        ["Messages typed by users", "19"],
        ["Questions on a topic", "12"],
        ["Not understood (fallback)", "2"],
        ["Off-topic", "1"],
        ["Rated helpful (thumbs up)", "1"],
        ["Rated not helpful (thumbs down)", "2"],
        ["Misread, then a topic offered was chosen", "1"],
    ]:
        assert row in found, (row, found[:10])


def test_questions_per_topic_and_per_language_per_week(report):
    rows = Tables()
    rows.feed(report[1])
    found = rows.rows()
    for row in [
        ["Following up", "3"],
        ["Promotion", "3"],
        ["Stalled deal (flow)", "2"],
        ["Comparing roles", "1"],
        ["Promotion readiness (flow)", "1"],
        ["Drive", "1"],
        ["Tenacity", "1"],
    ]:
        assert row in found, row
    header = ["week", "English", "Simplified Chinese", "Traditional Chinese", "not detected"]
    assert header in found
    assert ["2026-W47", "3", "0", "2", "0"] in found
    assert ["2026-W48", "0", "5", "0", "2"] in found
    assert ["2026-W47", "Following up (3), Comparing roles (1), Stalled deal (flow) (1)"] in found
    assert any(row[0] == "2026-W48" and row[1].startswith("Promotion (3), ") for row in found)


def test_unanswered_questions_are_listed_and_rated(report):
    html = report[1]
    assert "id='fallback-rate'>10.5%<" in html  # 2 of 19 typed messages
    assert "id='off-topic-rate'>5.3%<" in html  # 1 of 19
    rows = Tables()
    rows.feed(html)
    unanswered = [
        row for row in rows.rows() if len(row) == 4 and row[1] in ("fallback", "off-topic")
    ]
    assert [(row[1], row[3]) for row in unanswered] == [
        ("off-topic", "今天天氣如何?"),
        ("fallback", SCRIPT),
        ("fallback", "asdf qwer"),
    ]


def test_every_thumbs_down_with_its_comment_and_answer(report):
    html = report[1]
    items = html.split('<li class="thumbs-down">')[1:]
    assert len(items) == 2
    assert "Missing: what &lt;b&gt;quota&lt;/b&gt; means for a new rep" in items[0]
    assert "Sales manager vs account manager" in items[0] and COMPARISON_ID in items[0]
    assert "sales manager vs account manager?" in items[0]  # the question it answered
    assert "declined to comment" in items[1] and "topic.promotion" in items[1]


def test_misread_questions_with_what_the_user_chose(report):
    rows = Tables()
    rows.feed(report[1])
    assert ["2026-11-26 14:00", "not detected", "asdf qwer", "not understood", "Tenacity"] in (
        rows.rows()
    )


def test_coaching_flows(report):
    rows = Tables()
    rows.feed(report[1])
    assert ["flow", "started", "completed", "stopped", "not finished"] in rows.rows()
    assert ["Stalled deal", "2", "1", "0", "1"] in rows.rows()
    assert ["Promotion readiness", "1", "0", "1", "0"] in rows.rows()


def test_self_contained_and_escaped(report):
    html = report[1]
    assert SCRIPT not in html and "<b>quota" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<svg") == 2  # the two charts, inline
    assert "<script" not in html and " src=" not in html
    assert "<link" not in html and "@import" not in html


def test_the_report_in_a_browser(report):
    """Renders in Chromium without a request leaving the page; results/report.png."""
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

    path, _ = report
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        assert page.locator("svg").count() == 2
        assert page.locator("svg").first.bounding_box()["width"] > 300
        (ROOT / "results").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "results/report.png"), full_page=True)
        browser.close()
    assert requests == [path.as_uri()]
