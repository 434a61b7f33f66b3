"""Issue 7, "Access": the servers as `make run` starts them are locked by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.conftest import TOKEN, RunSh, request

ANSWERED = "how do I follow up with customers"


def answered(app: RunSh, sender: str = "after-the-attack") -> None:
    """The server still answers the next normal message."""
    texts = app.texts(sender, ANSWERED)
    assert any("Following up" in text for text in texts), texts


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 (as /proc shows)


def test_both_servers_listen_on_loopback_only(app: RunSh) -> None:
    for port in (app.rasa_port, app.actions_port):
        addresses = listening_addresses(port)
        assert addresses and addresses <= LOOPBACK, (port, addresses)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/conversations/U0VICTIM/tracker", None),
        ("POST", "/conversations/U0VICTIM/tracker/events", {"event": "slot", "name": "x"}),
        ("PUT", "/conversations/U0VICTIM/tracker/events", [{"event": "restart"}]),
        ("POST", "/conversations/D0VICTIM/trigger_intent?output_channel=slack", {"name": "greet"}),
        ("GET", "/status", None),
    ],
)
def test_the_http_api_is_off_without_a_token(app: RunSh, method, path, body) -> None:
    # 404: the API is not there; 403: the guard refuses ?output_channel= before routing
    assert request(f"{app.base}{path}", body, method=method).status in (403, 404)
    answered(app)


def test_the_http_api_needs_the_token(app_with_token: RunSh) -> None:
    base = app_with_token.base
    assert request(f"{base}/conversations/U0VICTIM/tracker").status == 401
    restart = [{"event": "restart"}]
    assert request(f"{base}/conversations/U0VICTIM/tracker/events", restart, "PUT").status == 401
    assert request(f"{base}/status?token=wrong").status == 401
    status = request(f"{base}/status?token={TOKEN}")
    assert status.status == 200 and status.json()["model_file"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/model", {"model_server": {"url": "http://127.0.0.1:9/model.tar.gz"}}),
        ("PUT", "/model", {"model_file": "models/other.tar.gz"}),
        ("DELETE", "/model", None),
        ("POST", "/model/train", {}),
    ],
)
def test_no_route_loads_or_unloads_a_model_even_with_the_token(
    app_with_token: RunSh, method, path, body
) -> None:
    response = request(f"{app_with_token.base}{path}?token={TOKEN}", body, method=method)
    assert response.status == 403
    status = request(f"{app_with_token.base}/status?token={TOKEN}").json()
    assert status["model_file"]
    answered(app_with_token)


@pytest.mark.parametrize(
    "path",
    [
        "/conversations/C0CHAN_1700000000.000100/tracker/events"
        "?output_channel=slack&execute_side_effects=true",
        "/conversations/D0VICTIM/trigger_intent?output_channel=slack",
    ],
)
def test_the_api_cannot_post_into_a_channel_even_with_the_token(app_with_token, path) -> None:
    forged = {"event": "bot", "text": "IT notice: re-enter your SSO password at http://x"}
    body = {"name": "greet"} if "trigger_intent" in path else forged
    response = request(f"{app_with_token.base}{path}&token={TOKEN}", body, method="POST")
    assert response.status == 403


def test_the_token_never_shows_on_a_command_line(app_with_token: RunSh) -> None:
    for pid in (app_with_token.child("bot.tools.rasa_server"), app_with_token.child("actions")):
        assert TOKEN.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()


def cors_origin(app: RunSh, origin: str) -> str | None:
    response = request(f"{app.base}/webhooks/rest/", headers={"Origin": origin})
    assert response.status == 200
    return {k.lower(): v for k, v in response.headers.items()}.get("access-control-allow-origin")


def test_cors_allows_listed_origins_by_name_and_never_a_wildcard(
    app: RunSh, app_with_token: RunSh
) -> None:
    # CORS_ORIGINS="* https://intranet.example": the listed origin (the glob used to swallow it)
    assert cors_origin(app_with_token, "https://intranet.example") == "https://intranet.example"
    assert cors_origin(app_with_token, "https://evil.example") is None
    assert "CORS_ORIGINS: '*' ignored" in app_with_token.log()
    # the default: no cross-origin access at all
    assert cors_origin(app, "https://intranet.example") is None


def test_rest_senders_live_in_their_own_namespace(app_with_token: RunSh) -> None:
    victim = "U0SLACKUSER"  # a Slack user id: REST must not write into that conversation
    response = request(
        app_with_token.rest, {"sender": victim, "message": ANSWERED, "input_channel": "slack"}
    )
    assert response.status == 200 and response.json()[0]["recipient_id"] == f"rest:{victim}"
    own = app_with_token.tracker(f"rest:{victim}")
    assert [e["text"] for e in own["events"] if e["event"] == "user"] == [ANSWERED]
    assert own["latest_input_channel"] == "rest"
    theirs = app_with_token.tracker(victim)
    assert not [e for e in theirs["events"] if e["event"] == "user"]


def test_rest_without_a_sender_is_refused(app: RunSh) -> None:
    # Rasa's channel put every such client into one shared conversation, "default"
    assert request(app.rest, {"message": ANSWERED}).status == 400


def test_rest_beyond_loopback_needs_the_token(app: RunSh, app_with_token: RunSh) -> None:
    # what a reverse proxy on this machine adds for a remote client (a forged entry before it)
    relayed = {"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}
    assert app.say("far", ANSWERED, **relayed).status == 403  # no token configured: refused
    assert app_with_token.say("far", ANSWERED, **relayed).status == 401
    wrong = {**relayed, "Authorization": "Bearer wrong"}
    assert app_with_token.say("far", ANSWERED, **wrong).status == 401
    good = {**relayed, "Authorization": f"Bearer {TOKEN}"}
    response = app_with_token.say("far", ANSWERED, **good)
    assert response.status == 200 and "Following up" in response.json()[0]["text"]
    # a client of this machine through that proxy (make cluster's nginx) is local
    assert app.say("near", ANSWERED, **{"X-Forwarded-For": "203.0.113.7, 127.0.0.1"}).status == 200
