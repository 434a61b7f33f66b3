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
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The channels the widget needs, as credentials.yml must configure them for `make run`.
WEB_CHANNELS = {
    "bot.channels.web.WebChatSocketIOInput": {
        "user_message_evt": "user_uttered",
        "bot_message_evt": "bot_uttered",
        "session_persistence": True,
    },
    "bot.channels.web.WebChatInput": None,
}
STARTUP_TIMEOUT_S = 300
REPLY_TIMEOUT_MS = 30_000
USER_ID, USER_NAME = "test.user", "Test User 測試"
CJK = re.compile(r"[\u4e00-\u9fff]")
XSS = "<img src=x onerror=alert(1)>"
MESSAGE_BOX = "Message to Sales Coach"  # the input's label in English


def newest_model() -> Path | None:
    if os.environ.get("SALES_COACH_MODEL"):  # a model file to test instead of the newest
        return Path(os.environ["SALES_COACH_MODEL"])
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_until_up(url: str, process: subprocess.Popen, log: Path, ready) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if ready(get_json(url)):
                return
        except (OSError, ValueError):
            pass
        time.sleep(1)
    pytest.fail(f"{url} not ready after {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")


def start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rasa", *args],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """Base URL of a Rasa server (plus action server) running the project's newest model."""
    model = newest_model()
    if model is None:
        pytest.skip("no trained model in models/ (run `make train`): the widget needs the bot")
    assert (ROOT / "web/vendor/socket.io.esm.min.js").is_file(), (
        "web/vendor is not built: run `npm ci && npm run build` in web/"
    )
    tmp = tmp_path_factory.mktemp("webchat")
    rasa_port, actions_port = free_port(), free_port()

    endpoints_file = ROOT / "endpoints.yml"
    endpoints = yaml.safe_load(endpoints_file.read_text()) if endpoints_file.exists() else {}
    endpoints = endpoints or {}
    endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{actions_port}/webhook"}
    (tmp / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
    missing = {name: block for name, block in WEB_CHANNELS.items() if name not in credentials}
    assert not missing, f"add to credentials.yml:\n{yaml.safe_dump(missing)}"
    assert "socketio" not in credentials, "socketio: and WebChatSocketIOInput share /socket.io/"
    (tmp / "credentials.yml").write_text(yaml.safe_dump(credentials))

    processes = []
    try:
        actions = start(
            ["run", "actions", "--port", str(actions_port), "--actions", "actions"],
            tmp / "actions.log",
        )
        processes.append(actions)
        rasa = start(
            # fmt: off
            [
                "run",
                "--enable-api",
                "--cors",
                "*",
                "--port",
                str(rasa_port),
                "--interface",
                "127.0.0.1",
                "--model",
                str(model),
                "--credentials",
                str(tmp / "credentials.yml"),
                "--endpoints",
                str(tmp / "endpoints.yml"),
            ],
            # fmt: on
            tmp / "rasa.log",
        )
        processes.append(rasa)
        base = f"http://127.0.0.1:{rasa_port}"
        wait_until_up(
            f"http://127.0.0.1:{actions_port}/health",
            actions,
            tmp / "actions.log",
            lambda body: body.get("status") == "ok",
        )
        wait_until_up(
            f"{base}/status", rasa, tmp / "rasa.log", lambda body: bool(body.get("model_file"))
        )
        yield base
    finally:
        for process in reversed(processes):
            stop(process)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "Chromium is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def tracker(base: str, session_id: str) -> dict:
    return get_json(f"{base}/conversations/{quote(session_id)}/tracker?include_events=ALL")


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
    return feedback["payloads"].get("up") or f"/feedback{payload}"


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
    ask(page, "What is the difference between a sales manager and an account manager?")
    table = bot_messages(page).nth(since).locator("table")
    expect(table).to_be_visible()
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
    expect(page.locator('#sales-coach-chat .rate-up[aria-pressed="true"]')).to_have_count(1)
    assert page.locator("#sales-coach-chat .log img").count() == 0
    ask(page, "thanks")
    after_reload = [e for e in tracker(server, session_id)["events"] if e["event"] == "user"]
    assert after_reload[-1]["text"] == "thanks"
    assert len(after_reload) == len(user_events) + 1

    # Restart clears the history on the page and restarts the conversation on the server.
    page.get_by_role("button", name="Restart conversation").click()
    expect(page.locator("#sales-coach-chat .msg-user")).to_have_count(0)
    expect(page.locator("#sales-coach-chat .welcome")).to_be_visible()
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
    expect(page.locator("#sales-coach-chat .msg")).to_have_count(0)

    assert dialogs == []
    assert foreign_requests == [], f"requests left the server: {foreign_requests}"
    context.close()


def test_phone_width(server, browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, locale="en-US"
    )
    page = context.new_page()
    open_widget(page, server)
    ask(page, "What is the difference between a sales manager and an account manager?")
    expect(bot_messages(page).locator("table").last).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    panel = page.locator("#sales-coach-chat .panel").bounding_box()
    assert panel and panel["width"] <= 375
    box = page.get_by_role("textbox", name=MESSAGE_BOX).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
    (ROOT / "results").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "results/widget-375.png"))
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
