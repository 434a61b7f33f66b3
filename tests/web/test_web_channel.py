"""The web chat's Rasa channels (bot/channels/web.py), without a browser or a model."""

from pathlib import Path

import pytest
import yaml

from bot.channels.web import (
    WebChatInput,
    WebChatSocketIOInput,
    WebChatSocketIOOutput,
    content_security_policy,
    resolve_static,
)


@pytest.fixture()
def web_dir(tmp_path: Path) -> Path:
    for name in ["index.html", "widget.js", "widget.css", "package.json", "vendor/marked.esm.js"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    (tmp_path / "node_modules/marked").mkdir(parents=True)
    (tmp_path / "node_modules/marked/package.json").write_text("{}")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts/vendor.mjs").write_text("")
    (tmp_path.parent / "secret.js").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    "path, served",
    [
        ("", "index.html"),
        ("index.html", "index.html"),
        ("widget.js", "widget.js"),
        ("widget.css", "widget.css"),
        ("vendor/marked.esm.js", "vendor/marked.esm.js"),
    ],
)
def test_serves_the_page_the_widget_and_vendored_libraries(web_dir, path, served):
    assert resolve_static(web_dir, path) == (web_dir / served).resolve()


@pytest.mark.parametrize(
    "path",
    [
        "package.json",
        "node_modules/marked/package.json",
        "scripts/vendor.mjs",
        "../secret.js",
        "vendor/../../secret.js",
        "vendor/../widget.js",
        ".git/config",
        "missing.js",
        "vendor/missing.js",
    ],
)
def test_serves_nothing_else(web_dir, path):
    assert resolve_static(web_dir, path) is None


def test_the_project_page_and_its_modules_are_served():
    web = Path(__file__).resolve().parents[2] / "web"
    modules = ["widget.js", "labels.js", "render.js", "store.js"]
    for name in ["index.html", *modules, "widget.css", "page.css"]:
        assert resolve_static(web, name) == web / name


def test_content_security_policy_allows_only_this_origin_and_the_inline_config_by_hash():
    policy = content_security_policy("<script>window.SalesCoachConfig = {};</script>")
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "script-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy


def test_webchat_channel_is_mounted_at_webchat():
    channel = WebChatInput.from_credentials({"web_dir": "/srv/web"})
    assert channel.url_prefix() == "/webchat"
    assert channel.web_dir == Path("/srv/web")


class FakeSocketServer:
    def __init__(self):
        self.emitted = []

    async def emit(self, event, data=None, room=None, **kwargs):
        assert not kwargs, f"unexpected emit arguments {kwargs}"
        self.emitted.append((event, data, room))


async def test_a_bot_message_is_one_event_with_its_buttons_and_custom_payload():
    sio = FakeSocketServer()
    output = WebChatSocketIOOutput(sio, "bot_uttered")
    answer = {"kind": "answer", "entry_ids": ["follow_up.why_it_matters"]}
    text = "## Following up\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nSource: ¶13"
    await output.send_response(
        "session-1",
        {
            "text": text,
            "buttons": [{"title": "Compare roles", "payload": "/compare_roles"}],
            "custom": {"sales_coach": answer},
        },
    )
    assert sio.emitted == [
        (
            "bot_uttered",
            {
                "text": text,
                "quick_replies": [
                    {"content_type": "text", "title": "Compare roles", "payload": "/compare_roles"}
                ],
                "custom": {"sales_coach": answer},
            },
            "session-1",
        )
    ]


async def test_custom_json_alone_does_not_break_the_turn():
    sio = FakeSocketServer()
    output = WebChatSocketIOOutput(sio, "bot_uttered")
    await output.send_custom_json("session-1", {"sales_coach": {"entry_ids": []}})
    assert sio.emitted == [
        ("bot_uttered", {"custom": {"sales_coach": {"entry_ids": []}}}, "session-1")
    ]


def test_socketio_channel_keeps_rasas_settings():
    channel = WebChatSocketIOInput.from_credentials(
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
        }
    )
    assert channel.name() == "socketio"
    assert channel.session_persistence is True
    assert channel.metadata_key == "metadata"


def test_credentials_serve_the_widget_over_the_fixed_socketio_channel():
    """`make run` serves /webchat/; Rasa's own `socketio:` would drop answers with `custom`."""
    root = Path(__file__).resolve().parents[2]
    credentials = yaml.safe_load((root / "credentials.yml").read_text()) or {}
    assert "bot.channels.web.WebChatInput" in credentials
    assert "socketio" not in credentials
    socketio = credentials["bot.channels.web.WebChatSocketIOInput"]
    assert socketio["user_message_evt"] == "user_uttered"
    assert socketio["bot_message_evt"] == "bot_uttered"
    assert socketio["session_persistence"] is True
