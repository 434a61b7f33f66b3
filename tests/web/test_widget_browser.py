"""The web chat widget in a real browser against the real bot.

Starts the action server and a Rasa server on free ports, with the newest model in models/ and
the channels of credentials.yml (which must include those of bot/channels/web.py), opens
/webchat/ in Debian's headless Chromium through Playwright, and chats: English and Traditional
Chinese questions, a quick reply, a comparison table, a 👍, HTML typed by the user, a reload,
the restart button, the phone width; and the widget's own labels in Traditional and Simplified
Chinese. Saves screenshots to results/ (docs/widget.png is a copy of widget.png, looked at by eye).

Needs: a trained model (skipped otherwise), `apt-get install chromium`, `pip install playwright`
(never `playwright install`: the system Chromium is used), and web/vendor built by
`npm ci && npm run build` in web/.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ROOT, Servers, get_json

REPLY_TIMEOUT_MS = 30_000
USER_ID, USER_NAME = "test.user", "Test User 測試"
CJK = re.compile(r"[\u4e00-\u9fff]")
XSS = "<img src=x onerror=alert(1)>"
MESSAGE_BOX = "Message to Sales Coach"  # the input's label in English
COMPARISON = "What is the difference between a sales manager and an account manager?"


def tracker(base: str, session_id: str) -> dict:
    """The tracker of a widget session; the session id is `<sender id>.<server signature>`."""
    sender_id = session_id.split(".")[0]
    return get_json(f"{base}/conversations/{quote(sender_id)}/tracker?include_events=ALL")


def user_texts(base: str, session_id: str) -> list[str]:
    return [e["text"] for e in tracker(base, session_id)["events"] if e["event"] == "user"]


def open_widget(page: Page, base: str, **query: str) -> None:
    url = f"{base}/webchat/"
    if query:
        url += "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
    page.goto(url)
    expect(page.get_by_role("log")).to_be_visible()
    # connected: session_confirm received, status line empty
    page.wait_for_function("() => window.salesCoachChat && window.salesCoachChat.ready")


def bot_messages(page: Page):
    return page.locator("#sales-coach-chat .msg-bot")


def wait_for_welcome(page: Page) -> None:
    """The bot's welcome, asked for by the widget itself when the history is empty."""
    expect(bot_messages(page)).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    settle(page)


def live_quick_replies(page: Page) -> list[int]:
    """Indexes (among all messages) of the messages whose quick replies can still be clicked."""
    return page.evaluate(
        """() => [...document.querySelector('#sales-coach-chat').shadowRoot
                .querySelectorAll('.msg')].flatMap((msg, index) =>
                msg.querySelector('.quick-replies button:not([disabled])') ? [index] : [])"""
    )


def message_count(page: Page) -> int:
    return page.locator("#sales-coach-chat .msg").count()


def ask(page: Page, text: str, box_name: str = MESSAGE_BOX) -> None:
    """Types `text`, sends it with Enter and waits until the bot's reply has fully arrived."""
    before = bot_messages(page).count()
    box = page.get_by_role("textbox", name=box_name)
    box.fill(text)
    box.press("Enter")
    wait_for_reply(page, before)


def wait_for_reply(page: Page, before: int) -> None:
    expect(bot_messages(page)).not_to_have_count(before, timeout=REPLY_TIMEOUT_MS)
    settle(page)
    expect(page.locator("#sales-coach-chat .typing")).to_be_hidden()


def settle(page: Page) -> None:
    """Rasa may send a turn as several events (and `custom` separately): wait until it settles."""
    count = -1
    while count != (count := bot_messages(page).count()):
        page.wait_for_timeout(800)


def expected_feedback_payload(page: Page) -> str:
    """The bot's own 👍 payload when it offers one, else the widget's /feedback{...}."""
    feedback = page.evaluate(
        "() => window.salesCoachChat.state.messages.find(m => m.feedback?.rating).feedback"
    )
    assert feedback["entryIds"], "the rated answer names no knowledge-base entries"
    payload = json.dumps({"rating": "up", "entry_ids": feedback["entryIds"]}, separators=(",", ":"))
    sent = feedback["payloads"].get("up") or f"/feedback{payload}"
    # the answer's reference travels in the payload and is stored in the metadata (guard.py)
    return re.sub(r'\{"answer_ref":"[0-9a-f]{12}"\}$', "", sent)


def reply_text(page: Page, since: int) -> str:
    return "\n".join(bot_messages(page).nth(i).inner_text() for i in range(since, bot_count(page)))


def bot_count(page: Page) -> int:
    return bot_messages(page).count()


# Notes whether the typing indicator was shown at some point (it may be brief).
TYPING_WATCH = """() => {
  const typing = document.querySelector('#sales-coach-chat').shadowRoot.querySelector('.typing');
  window.typingShown = false;
  new MutationObserver(() => { window.typingShown ||= !typing.hidden; })
    .observe(typing, { attributes: true });
}"""


def test_chat_in_the_browser(server, browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    dialogs, foreign_requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((server, "data:", "blob:"))
            else foreign_requests.append(request.url)
        ),
    )
    open_widget(page, server, user_id=USER_ID, user_name=USER_NAME)
    # First open, empty history: the bot's own welcome with its topic buttons, in English,
    # without the user typing anything (and nothing shown as the user's).
    wait_for_welcome(page)
    welcome = bot_messages(page).first
    assert not CJK.search(welcome.locator(".bubble").inner_text()), welcome.inner_text()
    assert welcome.locator(".quick-replies button").count() >= 5
    expect(page.locator("#sales-coach-chat .msg-user")).to_have_count(0)
    expect(page.get_by_role("button", name="Restart conversation")).to_be_visible()
    expect(page.locator("#sales-coach-chat")).to_have_attribute("lang", "en")
    # English interface, bilingual placeholder: the users write English or Chinese
    expect(page.get_by_role("textbox", name=MESSAGE_BOX)).to_have_attribute(
        "placeholder", "Ask a sales question… 輸入問題…"
    )

    # English coaching question: a markdown answer with quick replies and 👍/👎.
    since = bot_count(page)
    page.evaluate(TYPING_WATCH)
    ask(page, "How do I follow up with customers after a visit?")
    assert page.evaluate("() => window.typingShown"), "no typing indicator while waiting"
    answer = bot_messages(page).nth(since)
    assert answer.inner_text().strip()
    # the welcome's topic buttons are answered: only the latest message's replies are live
    assert welcome.locator(".quick-replies button").count() >= 5
    assert welcome.locator(".quick-replies button:not([disabled])").count() == 0
    assert live_quick_replies(page) == [message_count(page) - 1]
    expect(answer.get_by_role("button", name="Helpful", exact=True)).to_be_visible()
    expect(answer.get_by_role("button", name="Not helpful", exact=True)).to_be_visible()
    quick_replies = answer.locator(".quick-replies button")
    assert quick_replies.count() >= 1, "the coaching answer has no quick replies"
    # the bot's own 👍/👎 buttons are not repeated as quick replies
    assert not {"👍", "👎"} & set(quick_replies.all_inner_texts())

    # A quick reply, used with the keyboard: its title shows as the user's message.
    quick_reply = quick_replies.first
    title = quick_reply.inner_text()
    before = bot_count(page)
    quick_reply.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sales-coach-chat .msg-user .bubble").last).to_have_text(title)
    wait_for_reply(page, before)

    # Traditional Chinese question: the answer is in Chinese.
    since = bot_count(page)
    ask(page, "如何跟進客戶?")
    assert CJK.search(reply_text(page, since)), reply_text(page, since)

    # A comparison comes as a GitHub-style markdown table.
    since = bot_count(page)
    ask(page, COMPARISON)
    table = bot_messages(page).nth(since).locator("table")
    expect(table).to_be_visible()
    expect(bot_messages(page).nth(since).locator(".table-wrap")).to_have_attribute(
        "aria-label", "Table"
    )
    assert table.locator("th").count() >= 2 and table.locator("tr").count() >= 3

    # 👍 under the comparison: sends the feedback payload and stays pressed.
    up = bot_messages(page).nth(since).get_by_role("button", name="Helpful", exact=True)
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_disabled()
    settle(page)  # the bot may answer the feedback
    session_id = page.evaluate("() => window.salesCoachChat.state.sessionId")
    # results/widget.png: the comparison question and the top of its table
    page.locator("#sales-coach-chat .msg").nth(
        page.evaluate(
            "() => window.salesCoachChat.state.messages.findLastIndex(m => m.from === 'user')"
        )
    ).evaluate("element => { element.parentElement.scrollTop = element.offsetTop - 12; }")
    (ROOT / "results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "results/widget.png"))

    # HTML typed by the user is shown as text and never runs.
    ask(page, XSS)
    expect(page.locator("#sales-coach-chat .msg-user .bubble").last).to_have_text(XSS)
    assert page.locator("#sales-coach-chat .log img").count() == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    assert dialogs == []

    # The server saw the metadata, the feedback payload and everything in one session.
    events = tracker(server, session_id)["events"]
    user_events = [event for event in events if event["event"] == "user"]
    assert {e["metadata"].get("user_id") for e in user_events} == {USER_ID}
    assert {e["metadata"].get("user_name") for e in user_events} == {USER_NAME}
    assert user_events[0]["text"] == '/greet{"language":"en"}'  # the welcome, asked once
    assert [e["text"] for e in user_events if e["text"].startswith("/feedback")] == [
        expected_feedback_payload(page)
    ]
    assert XSS in [e["text"] for e in user_events]

    # A reload shows the same history and continues the same session.
    history = page.locator("#sales-coach-chat .msg").all_inner_texts()
    page.reload()
    page.wait_for_function("() => window.salesCoachChat && window.salesCoachChat.ready")
    assert page.locator("#sales-coach-chat .msg").all_inner_texts() == history
    assert page.evaluate("() => window.salesCoachChat.state.sessionId") == session_id
    assert live_quick_replies(page) in ([], [message_count(page) - 1])  # still only the latest
    assert len(live_quick_replies(page)) <= 1
    expect(page.locator('#sales-coach-chat .rate-up[aria-pressed="true"]')).to_have_count(1)
    assert page.locator("#sales-coach-chat .log img").count() == 0
    ask(page, "thanks")
    after_reload = [e for e in tracker(server, session_id)["events"] if e["event"] == "user"]
    assert after_reload[-1]["text"] == "thanks"
    assert len(after_reload) == len(user_events) + 1

    # Restart clears the history on the page and restarts the conversation on the server, which
    # confirms it (action_restart), then the welcome again, for the fresh conversation.
    page.get_by_role("button", name="Restart conversation").click()
    expect(page.locator("#sales-coach-chat .msg-user")).to_have_count(0)
    expect(bot_messages(page)).to_have_count(2, timeout=REPLY_TIMEOUT_MS)
    settle(page)
    assert bot_messages(page).first.locator(".quick-replies button").count() == 0
    assert bot_messages(page).last.locator(".quick-replies button:not([disabled])").count() >= 5
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        events = tracker(server, session_id)["events"]
        if any(e["event"] == "restart" for e in events):
            break
        time.sleep(0.3)
    else:
        pytest.fail("the server never saw /restart")
    page.reload()
    page.wait_for_function("() => window.salesCoachChat && window.salesCoachChat.ready")
    # the confirmation and the welcome, kept
    expect(page.locator("#sales-coach-chat .msg")).to_have_count(2)
    page.wait_for_timeout(1000)
    assert bot_count(page) == 2, "the welcome was asked for again after a reload"
    assert live_quick_replies(page) == [1]

    assert dialogs == []
    assert foreign_requests == [], f"requests left the server: {foreign_requests}"
    context.close()


# How the widget lays out on a phone: input font, panel height, the table's cells.
PHONE_LAYOUT = """() => {
  const root = document.querySelector('#sales-coach-chat').shadowRoot;
  const panel = root.querySelector('.panel').getBoundingClientRect();
  const wrap = [...root.querySelectorAll('.table-wrap')].at(-1);
  const table = wrap.querySelector('table');
  const cells = [...table.querySelectorAll('tbody td')];
  return {
    inputFont: getComputedStyle(root.querySelector('#input')).fontSize,
    panelHeight: panel.height, panelWidth: panel.width, innerHeight: window.innerHeight,
    rowDisplay: getComputedStyle(table.querySelector('tbody tr')).display,
    // a card per row: no sideways scrolling, no cell narrower than half the panel
    overflow: wrap.scrollWidth - wrap.clientWidth,
    narrowest: Math.min(...cells.map((cell) => cell.getBoundingClientRect().width)),
    labels: cells.map((cell) => cell.dataset.label ?? null),
    labelShown: cells.filter((c) => c.dataset.label).map(
        (c) => getComputedStyle(c, '::before').content),
    tableLabel: wrap.getAttribute('aria-label'),
  };
}"""
PHONES = [
    (375, "en", COMPARISON, "Table", "Sales manager"),
    (440, "en", COMPARISON, "Table", "Sales manager"),
    (375, "zh-Hant", "銷售經理和客戶經理有什麼不同?", "表格", "銷售經理"),
    (440, "zh-Hant", "銷售經理和客戶經理有什麼不同?", "表格", "銷售經理"),
]


@pytest.mark.parametrize("width, language, question, table_label, role", PHONES)
def test_phone_width(server, browser, width, language, question, table_label, role):
    """A phone (375 and 440 px): the comparison reads as one card per aspect, each role's text
    labelled; 16 px input (no iOS zoom), the panel is the full dynamic viewport height.
    Saves results/widget-<width>-<language>.png (copied to docs/ after looking at it)."""
    context = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, locale="en-US"
    )
    page = context.new_page()
    open_widget(page, server, language=language)
    wait_for_welcome(page)
    box_name = MESSAGE_BOX if language == "en" else "傳給銷售教練的訊息"
    ask(page, question, box_name=box_name)
    expect(bot_messages(page).locator("table").last).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    layout = page.evaluate(PHONE_LAYOUT)
    assert layout["inputFont"] == "16px"
    assert layout["panelWidth"] == width
    assert layout["panelHeight"] == layout["innerHeight"]
    assert layout["rowDisplay"] == "block"
    assert layout["overflow"] <= 0, layout
    assert layout["narrowest"] >= width / 2, layout
    assert role in layout["labels"], layout["labels"]
    assert f'"{role}"' in layout["labelShown"], layout["labelShown"]
    assert layout["tableLabel"] == table_label
    box = page.get_by_role("textbox", name=box_name).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    # the screenshot: the question and the top of the comparison
    page.locator("#sales-coach-chat .msg-user").last.evaluate(
        "element => { element.parentElement.scrollTop = element.offsetTop - 12; }"
    )
    (ROOT / "results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / f"results/widget-{width}-{language}.png"))
    context.close()


def test_unread_badge(server, browser):
    """A reply that arrives while the panel is closed shows as a count on the launcher."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    open_widget(page, server)
    wait_for_welcome(page)
    badge = page.locator("#sales-coach-chat .launcher .badge")
    page.get_by_role("button", name="Close chat").click()
    # sent as the page itself would while the panel is closed (a fast reply beats a click)
    page.evaluate("() => window.salesCoachChat.send('How do I keep my commitments to customers?')")
    expect(badge).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    settle(page)
    count = int(badge.inner_text())
    assert count >= 1
    launcher = page.locator("#sales-coach-chat .launcher")
    expect(launcher).to_have_attribute("aria-label", f"Sales Coach, {count} unread")
    page.screenshot(path=str(ROOT / "results/widget-badge.png"))
    launcher.click()
    expect(badge).to_be_hidden()
    expect(launcher).to_be_hidden()
    context.close()


def test_pending_failed_retry_and_reconnect_after_a_server_restart(servers: Servers, browser):
    """The Rasa server goes down: a message typed then is shown as pending, one that waited too
    long as failed with Retry. The server restarts; the widget reconnects by itself to the same
    session, sends the pending message, and Retry sends the failed one; both are answered."""
    server = servers.base
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    open_widget(page, server)
    wait_for_welcome(page)
    session_id = page.evaluate("() => window.salesCoachChat.state.sessionId")
    servers.stop_rasa()
    page.wait_for_function("() => !window.salesCoachChat.ready", timeout=20_000)
    status = page.locator("#sales-coach-chat .status")
    expect(status).to_have_text(re.compile("Reconnecting|Cannot reach"))

    box = page.get_by_role("textbox", name=MESSAGE_BOX)
    failed_text, pending_text = (
        "How do I keep my commitments?",
        "How do I follow up with customers?",
    )
    page.evaluate("() => { window.salesCoachChat.sendTimeoutMs = 1500; }")
    box.fill(failed_text)
    box.press("Enter")
    users = page.locator("#sales-coach-chat .msg-user")
    first = users.nth(users.count() - 1)  # a fixed index: `.last` would follow new messages
    expect(first.locator(".delivery")).to_have_text("Sending…")
    expect(first.locator(".delivery span")).to_have_text("Not sent")
    expect(first).to_have_class(re.compile("failed"))
    retry = first.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()

    page.evaluate("() => { window.salesCoachChat.sendTimeoutMs = 600000; }")
    box.fill(pending_text)
    box.press("Enter")
    second = users.nth(users.count() - 1)
    expect(second).to_have_class(re.compile("pending"))
    expect(second.locator(".delivery")).to_have_text("Sending…")
    page.screenshot(path=str(ROOT / "results/widget-offline.png"))

    before = bot_count(page)
    servers.restart_rasa()
    page.wait_for_function("() => window.salesCoachChat.ready", timeout=60_000)
    assert page.evaluate("() => window.salesCoachChat.state.sessionId") == session_id
    expect(second.locator(".delivery")).to_have_count(0)  # sent: no longer pending
    wait_for_reply(page, before)
    expect(first).to_have_class(re.compile("failed"))  # a failed message waits for Retry
    assert pending_text in user_texts(server, session_id)
    assert failed_text not in user_texts(server, session_id)
    # the same conversation as before the restart (the tracker store keeps it)
    assert user_texts(server, session_id)[0] == '/greet{"language":"en"}'

    before = bot_count(page)
    retry.click()
    expect(first.locator(".delivery")).to_have_count(0)
    wait_for_reply(page, before)
    assert user_texts(server, session_id)[-1] == failed_text
    expect(status).to_be_empty()
    context.close()


# The widget's own text that has Latin letters in it: its text nodes and its aria-label, title
# and placeholder attributes, leaving out what the bot wrote (bubbles, quick-reply titles).
LATIN_LABELS = """() => {
  const root = document.querySelector('#sales-coach-chat').shadowRoot;
  const found = [];
  const botText = (element) => element.closest('.bubble, .quick-replies button');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (/[A-Za-z]/.test(node.data) && !botText(node.parentElement)) found.push(node.data);
  }
  for (const element of root.querySelectorAll('[aria-label], [title], [placeholder]')) {
    for (const name of ['aria-label', 'title', 'placeholder']) {
      const value = element.getAttribute(name);
      if (value && /[A-Za-z]/.test(value) && !botText(element)) found.push(`${name}=${value}`);
    }
  }
  return found;
}"""
# navigator.language → the widget's language (when the page does not set `language`)
BROWSER_LANGUAGES = {
    "zh-TW": "zh-Hant",
    "zh-HK": "zh-Hant",
    "zh-MO": "zh-Hant",
    "zh-Hant": "zh-Hant",
    "zh-Hant-CN": "zh-Hant",
    "zh-CN": "zh-Hans",
    "zh-SG": "zh-Hans",
    "zh": "zh-Hans",
    "zh-Hans-HK": "zh-Hans",
    "en-US": "en",
    "en-GB": "en",
    "fr-FR": "en",
    "ja-JP": "en",
}


def test_interface_in_chinese(server, browser):
    """`language: "zh-Hant"` from the page: the widget's buttons and labels, the 👍/👎 row and its
    thanks are Traditional Chinese, even in an English browser; without `language` a Chinese
    browser gets its own script."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    open_widget(page, server, language="zh-Hant")
    # the welcome arrives on its own; count from after it, or it is taken for the answer
    wait_for_welcome(page)
    expect(page.locator("#sales-coach-chat")).to_have_attribute("lang", "zh-Hant")
    restart = page.get_by_role("button", name="重新開始對話", exact=True)
    expect(restart).to_be_visible()
    expect(restart.locator("[data-text]")).to_have_text("重新開始")
    send = page.get_by_role("button", name="送出", exact=True)
    expect(send).to_have_text("送出")
    expect(page.get_by_role("button", name="關閉", exact=True)).to_be_visible()
    expect(page.get_by_role("log", name="與銷售教練的對話")).to_be_visible()
    assert page.evaluate(LATIN_LABELS) == []

    # A question sent with the Send button; the answer's 👍/👎 row and its thanks in Chinese.
    since = bot_count(page)
    page.get_by_role("textbox", name="傳給銷售教練的訊息").fill("如何跟進客戶?")
    send.click()
    wait_for_reply(page, since)
    answer = bot_messages(page).nth(since)
    expect(answer.get_by_role("group", name="這個回答有幫助嗎?")).to_be_visible()
    expect(answer.get_by_role("button", name="沒有幫助", exact=True)).to_be_visible()
    answer.get_by_role("button", name="有幫助", exact=True).click()
    thanks = answer.locator(".thanks")
    expect(thanks).to_have_text("謝謝你的回饋")
    assert CJK.search(thanks.inner_text()) and not re.search("[A-Za-z]", thanks.inner_text())
    settle(page)
    assert page.evaluate(LATIN_LABELS) == []

    # Without `language`, navigator.language decides; `language` wins over it.
    picked = page.evaluate(
        """async (tags) => {
            const { pickLanguage } = await import("./labels.js");
            return {
                browser: Object.fromEntries(tags.map((tag) => [tag, pickLanguage(null, tag)])),
                configured: [pickLanguage("zh-Hant", "en-US"), pickLanguage("en", "zh-TW"),
                             pickLanguage("zh-Hans", "zh-HK"), pickLanguage("de", "zh-TW")],
            };
        }""",
        list(BROWSER_LANGUAGES),
    )
    assert picked["browser"] == BROWSER_LANGUAGES
    # every label exists in all three languages, the Chinese ones without English in them
    labels = page.evaluate("async () => (await import('./labels.js')).LABELS")
    assert set(labels["zh-Hant"]) == set(labels["zh-Hans"]) == set(labels["en"])
    assert {"table", "sending", "notSent", "retry", "unread"} <= set(labels["en"])
    for language in ("zh-Hant", "zh-Hans"):
        for key, value in labels[language].items():
            assert not re.search("[A-Za-z]", re.sub(r"\{\w+\}", "", value)), (language, key)
    assert labels["zh-Hant"]["table"] == "表格" and labels["zh-Hans"]["retry"] == "重试"
    assert picked["configured"] == ["zh-Hant", "en", "zh-Hans", "zh-Hant"]
    context.close()
    for locale, language, restart_text, send_text in [
        ("zh-TW", "zh-Hant", "重新開始", "送出"),
        ("zh-CN", "zh-Hans", "重新开始", "发送"),
    ]:
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(f"{server}/webchat/")
        expect(page.locator("#sales-coach-chat")).to_have_attribute("lang", language)
        expect(page.locator("#sales-coach-chat .restart [data-text]")).to_have_text(restart_text)
        expect(page.locator("#sales-coach-chat .composer button")).to_have_text(send_text)
        assert page.evaluate(LATIN_LABELS) == []
        context.close()


def test_static_files_are_served_with_a_same_origin_policy(server):
    with urllib.request.urlopen(f"{server}/webchat/", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
    for path in ["package.json", "node_modules/marked/package.json", "scripts/vendor.mjs"]:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{server}/webchat/{path}", timeout=10)
        assert error.value.code == 404


HOSTILE_MARKDOWN = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">click</a>',
    "![tracking pixel](http://example.invalid/pixel.png)",
    '<iframe src="http://example.invalid"></iframe>',
    "| a | b |\n| --- | --- |\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
]


def test_bot_markdown_is_rendered_safely(server, browser):
    context = browser.new_context()
    page = context.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_widget(page, server)
    page.on("request", lambda request: requests.append(request.url))
    rendered = page.evaluate(
        """async (texts) => {
            const { renderMarkdown } = await import("./render.js");
            return texts.map((text) => {
                const box = document.createElement("div");
                box.append(renderMarkdown(text));
                document.body.append(box);
                const elements = [...box.querySelectorAll("*")];
                return {
                    html: box.innerHTML,
                    text: box.textContent,
                    tags: elements.map((element) => element.tagName.toLowerCase()),
                    attributes: elements.flatMap((e) => [...e.attributes].map((a) => a.name)),
                    hrefs: [...box.querySelectorAll("a")].map((a) => a.getAttribute("href")),
                };
            });
        }""",
        HOSTILE_MARKDOWN,
    )
    page.wait_for_timeout(500)
    for source, out in zip(HOSTILE_MARKDOWN, rendered, strict=True):
        assert not {"img", "script", "iframe"} & set(out["tags"]), (source, out["html"])
        assert not [name for name in out["attributes"] if name.startswith("on")], out["html"]
        assert not [href for href in out["hrefs"] if href and "javascript" in href.lower()]
    assert "<img src=x onerror=alert(1)>" in rendered[0]["text"]  # shown as text
    assert "tracking pixel" in rendered[4]["text"]  # an image becomes its alt text
    assert "<table>" in rendered[6]["html"]
    assert dialogs == []
    assert not [url for url in requests if "example.invalid" in url]
    context.close()
