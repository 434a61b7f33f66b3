"""The web chat's Rasa channels (bot/channels/web.py), without a browser or a model."""

import time
from pathlib import Path

import jwt
import pytest
import yaml

from bot.channels.web import (
    SessionSigner,
    WebChatInput,
    WebChatSocketIOInput,
    WebChatSocketIOOutput,
    allowed_origins,
    content_security_policy,
    message_metadata,
    origin_checker,
    resolve_static,
    user_from_token,
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


def test_socketio_channel_keeps_rasas_settings(monkeypatch):
    monkeypatch.setenv("SALES_COACH_SESSION_SECRET", "s")
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


# --- socket.io safety: origins, signed sessions, signed identity ---------------------------


def test_cors_origins_are_a_list_and_never_a_wildcard():
    assert allowed_origins("https://intranet.example http://portal.example/") == [
        "https://intranet.example",
        "http://portal.example",
    ]
    assert allowed_origins("https://a.example,https://b.example") == [
        "https://a.example",
        "https://b.example",
    ]
    assert allowed_origins("*") == []
    assert allowed_origins(None) == []


def test_origin_check_allows_the_servers_own_origin_and_the_listed_ones():
    allowed = origin_checker(["https://intranet.example"])
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5005"}
    assert allowed("http://127.0.0.1:5005", environ)
    assert allowed("https://intranet.example", environ)
    assert allowed(None, environ)  # no browser, no Origin: the session binding still holds
    assert not allowed("http://evil.example", environ)
    assert not allowed("https://127.0.0.1:5005", environ)
    assert not allowed("null", environ)


def test_session_tokens_are_issued_and_checked_by_the_server():
    signer = SessionSigner(b"secret one")
    token = signer.issue()
    sender_id, signature = token.split(".")
    assert signer.verify(token) == sender_id
    assert SessionSigner(b"secret two").verify(token) is None
    for forged in [
        sender_id,
        f"{sender_id}.",
        f"{sender_id}.{'0' * 32}",
        f"{sender_id}.{signature}.x",
        f"{'f' * 32}.{signature}",
        None,
        42,
        "x" * 1000,
    ]:
        assert signer.verify(forged) is None, forged
    assert signer.issue() != token


def test_the_session_key_comes_from_the_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv("SALES_COACH_SESSION_SECRET", raising=False)
    key_file = tmp_path / "state/webchat-session.key"
    first = SessionSigner.from_environment(key_file)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    token = first.issue()
    assert SessionSigner.from_environment(key_file).verify(token)  # survives a restart
    monkeypatch.setenv("SALES_COACH_SESSION_SECRET", "from the environment")
    assert SessionSigner.from_environment(key_file).verify(token) is None
    assert SessionSigner.from_environment(key_file).secret == b"from the environment"


def test_a_user_token_names_the_conversation_after_its_subject():
    key = "a test key that is long enough for HS256"
    good = jwt.encode({"sub": "jdoe", "name": "Jane Doe", "exp": time.time() + 60}, key)
    assert user_from_token(good, key, "HS256") == {
        "sender_id": "sso:jdoe",
        "user_id": "jdoe",
        "user_name": "Jane Doe",
    }
    assert user_from_token(f"Bearer {good}", key, "HS256")["sender_id"] == "sso:jdoe"
    assert user_from_token(good, "another key, also long enough for HS256", "HS256") is None
    expired = jwt.encode({"sub": "jdoe", "exp": time.time() - 5}, key)
    assert user_from_token(expired, key, "HS256") is None
    assert user_from_token(jwt.encode({"name": "no subject"}, key), key, "HS256") is None
    assert (
        user_from_token(jwt.encode({"sub": "jdoe"}, None, algorithm="none"), key, "HS256") is None
    )
    assert user_from_token(None, key, "HS256") is None


def test_the_jwt_key_is_read_from_the_environment_only(monkeypatch):
    with pytest.raises(ValueError, match="SALES_COACH_JWT_KEY"):
        WebChatSocketIOInput.from_credentials({"jwt_key": "in a file"})
    monkeypatch.setenv("SALES_COACH_JWT_KEY", "from the environment")
    monkeypatch.setenv("SALES_COACH_SESSION_SECRET", "s")
    monkeypatch.setenv("CORS_ORIGINS", "https://intranet.example *")
    channel = WebChatSocketIOInput.from_credentials({"session_persistence": True})
    assert channel.jwt_key == "from the environment"
    assert channel.jwt_algorithm == "HS256"
    assert channel.origins == ["https://intranet.example"]


def test_without_a_key_the_anonymous_mode_says_so(monkeypatch, caplog):
    monkeypatch.delenv("SALES_COACH_JWT_KEY", raising=False)
    monkeypatch.setenv("SALES_COACH_SESSION_SECRET", "s")
    channel = WebChatSocketIOInput.from_credentials({"session_persistence": True})
    with caplog.at_level("WARNING"):
        channel.blueprint(lambda message: None)
    assert "anonymous mode (SALES_COACH_JWT_KEY is not set)" in caplog.text


def test_metadata_from_the_client_is_a_dict():
    assert message_metadata({"user_id": "x"}) == {"user_id": "x"}
    assert message_metadata('{"user_id": "x"}') == {"user_id": "x"}
    assert message_metadata("not json") == {}
    assert message_metadata(["a"]) == {}
    assert message_metadata(None) == {}
