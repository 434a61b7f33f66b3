"""Slack channel for Sales Coach, built on Rasa's `SlackInput`.

What it changes compared with Rasa 3.6's Slack connector (see docs/slack.md):
- answers direct messages and @mentions; in channels it replies in the thread of the mention and
  keeps one conversation per thread (`<channel>_<thread_ts>`), in DMs one per user (`<user>`);
- answers each message once: a message delivered both as `message` and `app_mention`, and Slack
  retries for any reason, are recognised by event_id / client_msg_id / channel+ts;
- button clicks (`block_actions`) reach the bot as the button's payload in the button's thread;
  the clicked message is then updated to show the choice, without its buttons; in a channel
  thread only the person who asked may click;
- `/coach <question>`, `/coach help`, `/coach restart`, answered in the person's DM with the app;
- the App Home tab (`app_home_opened` → `views.publish`), and 👀 on a message while it is answered;
- Socket Mode (bot/channels/slack_socket_mode.py) when an app-level token is set, the Events API
  webhook when a signing secret is set: both go through `accept`;
- every webhook request is signature-checked before anything in it is read, and its body size
  is bounded; failures are logged;
- one Slack message per bot message, rendered by `bot.rendering.slack` (Block Kit for structured
  answers), no `as_user`, and a configurable Web API base URL.

Credentials (credentials.yml, values from the environment):
    bot.channels.slack.SalesCoachSlackInput:
      slack_token: ${SLACK_BOT_TOKEN}
      slack_app_token: ${SLACK_APP_TOKEN}            # Socket Mode
      slack_signing_secret: ${SLACK_SIGNING_SECRET}  # Events API webhook
      slack_api_base_url: https://slack.com/api/   # optional
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import unescape
from http import HTTPStatus
from typing import Any
from urllib.parse import urlparse

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.guard import handle_guarded
from bot.channels.slack_dedup import DEFAULT_DEDUP_CAPACITY, RecentKeys, SeenKeys, open_seen_keys
from bot.channels.slack_socket_mode import SocketModeConnection
from bot.channels.slack_surfaces import (
    COMMAND,
    SlackSurfaces,
    asker_of,
    buttons_block_id,
    command_message,
    is_feedback,
    language_of_text,
)
from bot.language_choice import answer_language
from bot.rendering.slack import home_view, render_message, sales_coach_answer, text_only
from bot.rendering.strings import text as ui_text

__all__ = ["RecentKeys", "SalesCoachSlackBot", "SalesCoachSlackInput", "SlackTurn"]

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://slack.com/api/"
TOKEN_ENV = "SLACK_BOT_TOKEN"
APP_TOKEN_ENV = "SLACK_APP_TOKEN"
SIGNING_SECRET_ENV = "SLACK_SIGNING_SECRET"
DEDUP_DB_ENV = "SLACK_DEDUP_DB_URL"
# Slack's replay window for signed requests.
MAX_REQUEST_AGE_SECONDS = 5 * 60
# Slack messages hold at most 40,000 characters; an event carries them twice (text and
# blocks), at up to 4 bytes each in JSON. Anything bigger is not from Slack.
MAX_BODY_BYTES = 1024 * 1024
# What of a message is handed to Rasa: well above the NLU's own length guard (which answers
# longer messages with a note), well below what would cost memory to copy and store.
MAX_TURN_TEXT = 8000
# Slack sends these with every retry; any retry of something already accepted is dropped.
RETRY_NUM_HEADER = "x-slack-retry-num"
RETRY_REASON_HEADER = "x-slack-retry-reason"
# Message subtypes that are still a person writing to the bot; all others (edits, deletions,
# joins, bot posts) are not questions.
USER_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------
# Pure helpers: de-duplication, text clean-up, turning Slack payloads into conversation turns
# ---------------------------------------------------------------------------------------------


_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_REF = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")


def clean_user_text(text: str, bot_user_ids: Iterable[str] = ()) -> str:
    """Slack's message markup back to what the person typed, without the bot's own mention."""
    bot_ids = set(bot_user_ids)

    def mention(match: re.Match[str]) -> str:
        user_id = match.group(1)
        return " " if user_id in bot_ids else f"@{user_id}"

    text = _MENTION.sub(mention, text)
    text = _CHANNEL_REF.sub(lambda m: f"#{m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    # Slack escapes &, < and > in message text.
    return re.sub(r"[ \t]+", " ", unescape(text)).strip()


def is_direct_message_channel(channel_id: str | None, channel_type: str | None = None) -> bool:
    # app_mention events carry no channel_type; DM channel ids start with "D".
    return channel_type == "im" or bool(channel_id and channel_id.startswith("D"))


def thread_conversation_id(channel_id: str, thread_ts: str) -> str:
    """The sender_id of the conversation held in one channel thread."""
    return f"{channel_id}_{thread_ts}"


_THREAD_CONVERSATION = re.compile(r"^([CGD][A-Z0-9]+)_(\d+\.\d+)$")


def parse_conversation_id(conversation_id: str) -> tuple[str, str | None]:
    """Where to post for a conversation id: (channel, thread_ts) or (user id, None) for DMs.

    Used when Rasa sends a message without an incoming Slack event (e.g. a reminder or an
    intent triggered through the HTTP API); posting to a user id opens the app's DM with them.
    """
    match = _THREAD_CONVERSATION.match(conversation_id)
    if match:
        return match.group(1), match.group(2)
    return conversation_id, None


@dataclass(frozen=True)
class ButtonClick:
    """The message a clicked button sits on, to finish it (chat.update) once clicked."""

    message_ts: str
    text: str
    blocks: tuple[Mapping[str, Any], ...]
    choice: str
    asker: str | None  # who may click (channel threads), from the buttons' block id
    ephemeral: bool


@dataclass(frozen=True)
class SlackTurn:
    """One user turn to hand to Rasa, and where its replies go."""

    text: str
    sender_id: str
    channel: str
    thread_ts: str | None
    dedup_keys: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    # The user's message, marked 👀 while the answer is prepared.
    react_ts: str | None = None
    # Who may click the answer's buttons (in channel threads; None: anyone in the DM).
    asker: str | None = None
    # Replies shown only to this user (the acknowledgement of 👍/👎).
    ephemeral_user: str | None = None
    click: ButtonClick | None = None


def bounded_text(text: str) -> str:
    """The message as handed to Rasa: cut to MAX_TURN_TEXT characters (logged by length only)."""
    if len(text) <= MAX_TURN_TEXT:
        return text
    logger.warning("A Slack message of %d characters was cut to %d", len(text), MAX_TURN_TEXT)
    return text[:MAX_TURN_TEXT]


def bot_user_ids(envelope: Mapping[str, Any]) -> list[str]:
    """Our bot's user id(s), as the Events API envelope reports them."""
    ids = [
        str(authorization.get("user_id"))
        for authorization in envelope.get("authorizations") or []
        if isinstance(authorization, Mapping) and authorization.get("user_id")
    ]
    # `authed_users` is deprecated but still sent to older apps.
    ids.extend(str(user) for user in envelope.get("authed_users") or [])
    return ids


def turn_from_event(envelope: Mapping[str, Any]) -> SlackTurn | None:
    """The turn for an Events API `event_callback`, or None when the bot should stay silent."""
    event = envelope.get("event")
    if not isinstance(event, Mapping):
        return None
    kind = event.get("type")
    user = event.get("user")
    channel = event.get("channel")
    ts = event.get("ts")
    bots = bot_user_ids(envelope)
    if kind not in ("message", "app_mention") or not user or not channel or not ts:
        return None
    # Our own replies come back as message events in DMs; ignore every bot and our own user.
    if event.get("bot_id") or event.get("subtype") not in USER_SUBTYPES or user in bots:
        return None

    raw_text = bounded_text(str(event.get("text") or ""))
    direct = is_direct_message_channel(channel, event.get("channel_type"))
    mentioned = kind == "app_mention" or any(f"<@{bot}" in raw_text for bot in bots)
    if not direct and not mentioned:
        # Channel chatter: only @mentions are for the bot.
        return None

    if kind == "app_mention" and not bots:
        # Without the envelope's authorizations we still know the first mention is us.
        match = _MENTION.search(raw_text)
        bots = [match.group(1)] if match else []
    text = clean_user_text(raw_text, bots)
    if not text:
        return None

    thread_ts = event.get("thread_ts")
    if direct:
        sender_id = str(user)
        reply_thread = thread_ts  # a DM reply stays where the person wrote
    else:
        reply_thread = thread_ts or ts
        sender_id = thread_conversation_id(channel, reply_thread)

    keys = [f"message:{channel}:{ts}"]
    if envelope.get("event_id"):
        keys.append(f"event:{envelope['event_id']}")
    if event.get("client_msg_id"):
        keys.append(f"client_msg:{event['client_msg_id']}")
    metadata = {
        # The keys Rasa's own Slack connector puts in metadata, for actions that read them.
        "out_channel": channel,
        "thread_id": reply_thread,
        "users": bots,
        "slack": {
            "kind": "direct_message" if direct else "mention",
            "team_id": envelope.get("team_id"),
            "user": user,
            "channel": channel,
            "ts": ts,
            "thread_ts": thread_ts,
            "event_id": envelope.get("event_id"),
        },
    }
    return SlackTurn(
        text,
        sender_id,
        str(channel),
        reply_thread,
        tuple(keys),
        metadata,
        user=str(user),
        react_ts=str(ts),
        asker=None if direct else str(user),
    )


def turn_from_interaction(payload: Mapping[str, Any]) -> SlackTurn | None:
    """The turn for a `block_actions` button click (the button's value is a Rasa payload)."""
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions") or []
    action = actions[0] if actions and isinstance(actions[0], Mapping) else {}
    user = (payload.get("user") or {}).get("id")
    container = payload.get("container") or {}
    message = payload.get("message") or {}
    channel = (payload.get("channel") or {}).get("id") or container.get("channel_id")
    value = action.get("value")
    if container.get("type") == "view" and user:
        # A button in the App Home tab: answered in the person's DM with the app.
        channel = user
    # Link buttons have no value; other element types are not used by this bot.
    if action.get("type") != "button" or not value or not user or not channel:
        return None

    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    message_ts = message.get("ts") or container.get("message_ts")
    if container.get("type") == "view" or is_direct_message_channel(channel):
        sender_id = str(user)
        reply_thread = thread_ts
    else:
        # Our channel replies always sit in a thread; fall back to the message itself.
        reply_thread = thread_ts or message_ts
        if not reply_thread:
            return None
        sender_id = thread_conversation_id(channel, reply_thread)

    action_ts = action.get("action_ts") or payload.get("trigger_id")
    keys = (f"action:{user}:{action_ts}",) if action_ts else ()
    metadata = {
        "out_channel": channel,
        "thread_id": reply_thread,
        "users": [user],
        "slack": {
            "kind": "button",
            "team_id": (payload.get("team") or {}).get("id"),
            "user": user,
            "channel": channel,
            "ts": message_ts,
            "thread_ts": thread_ts,
            "action_id": action.get("action_id"),
        },
    }
    click = None
    if message_ts and container.get("type") != "view":
        title = (action.get("text") or {}).get("text") or str(value)
        blocks = tuple(block for block in message.get("blocks") or [] if isinstance(block, Mapping))
        click = ButtonClick(
            str(message_ts),
            str(message.get("text") or ""),
            blocks,
            str(title),
            asker_of(action.get("block_id")),
            bool(container.get("is_ephemeral")),
        )
    direct = sender_id == str(user)
    return SlackTurn(
        bounded_text(str(value)),
        sender_id,
        str(channel),
        reply_thread,
        keys,
        metadata,
        user=str(user),
        asker=None if direct else str(user),
        ephemeral_user=str(user) if is_feedback(str(value)) else None,
        click=click,
    )


def turn_from_command(payload: Mapping[str, Any]) -> SlackTurn | None:
    """The turn for a `/coach …` slash command: the person's own conversation (their DM with
    the app), wherever they typed it."""
    user = payload.get("user_id")
    if payload.get("command") != COMMAND or not user:
        return None
    text = command_message(bounded_text(str(payload.get("text") or "")))
    trigger = payload.get("trigger_id")
    keys = (f"command:{trigger}",) if trigger else ()
    metadata = {
        "out_channel": user,
        "thread_id": None,
        "users": [user],
        "slack": {
            "kind": "command",
            "team_id": payload.get("team_id"),
            "user": user,
            "channel": payload.get("channel_id"),
        },
    }
    return SlackTurn(
        text,
        str(user),
        str(user),
        None,
        keys,
        metadata,
        user=str(user),
    )


def signature_failure(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> str | None:
    """Why a request fails Slack's signature check, or None when it passes.

    https://api.slack.com/authentication/verifying-requests-from-slack
    """
    if not signature or not timestamp:
        return "missing X-Slack-Signature or X-Slack-Request-Timestamp header"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "malformed X-Slack-Request-Timestamp header"
    now = time.time() if now is None else now
    if abs(now - sent_at) > MAX_REQUEST_AGE_SECONDS:
        # Outside Slack's replay window: possibly a replayed request.
        return "stale X-Slack-Request-Timestamp (more than 5 minutes off)"
    base = f"v0:{timestamp}:".encode() + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature does not match"
    return None


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# ---------------------------------------------------------------------------------------------
# Output channel
# ---------------------------------------------------------------------------------------------


class SalesCoachSlackBot(SlackBot):
    """Posts each bot message as one Slack message, in the right thread.

    `asker`: who may click the message's buttons (written into the buttons' block id);
    `ephemeral_user`: post only for this person (chat.postEphemeral).
    """

    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
        api_base_url: str = DEFAULT_API_BASE_URL,
        asker: str | None = None,
        ephemeral_user: str | None = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.asker = asker
        self.ephemeral_user = ephemeral_user
        # SlackBot builds its client without a base URL; ours may point at a proxy or a fake.
        # A rate-limited (HTTP 429) post was not made, so retrying it cannot post twice.
        self.client = AsyncWebClient(
            token,
            base_url=api_base_url,
            proxy=proxy,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )

    def _target(self, recipient_id: str) -> tuple[str, str | None]:
        if self.slack_channel:
            return self.slack_channel, self.thread_id
        return parse_conversation_id(recipient_id)

    async def _post(
        self,
        channel: str,
        thread_ts: str | None,
        fallback: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """chat.postMessage (or chat.postEphemeral); failures are logged, not raised.

        Rasa sends bot messages outside its own error handling: an exception here would lose
        the whole turn from the tracker, not just this message. When Slack refuses a message
        with blocks, for whatever reason, `fallback` (text only) is posted instead.
        """
        # `as_user` is a legacy argument for classic Slack apps; `type` is no argument of
        # chat.postMessage. Rasa's SlackBot sends both.
        kwargs.pop("as_user", None)
        kwargs.pop("type", None)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        method = "chat.postMessage"
        try:
            if self.ephemeral_user:
                method = "chat.postEphemeral"
                for option in ("unfurl_links", "unfurl_media"):
                    kwargs.pop(option, None)
                await self.client.chat_postEphemeral(
                    channel=channel, user=self.ephemeral_user, **kwargs
                )
            else:
                await self.client.chat_postMessage(channel=channel, **kwargs)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            logger.error("Slack %s to %s failed: %s", method, channel, code)
            if kwargs.get("blocks"):
                # Better the plain text than nothing at all.
                plain = dict(fallback or {"text": kwargs.get("text") or ""})
                if plain.get("text"):
                    rest = {k: v for k, v in kwargs.items() if k not in ("blocks", "text")}
                    await self._post(channel, rest.pop("thread_ts", None), **rest, **plain)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("Could not reach Slack to post to %s: %r", channel, error)

    def _mark_buttons(self, rendered: dict[str, Any]) -> dict[str, Any]:
        """Write who may click into the buttons' block id (checked when one is clicked)."""
        if self.asker and rendered.get("blocks"):
            for block in rendered["blocks"]:
                if block.get("type") == "actions" and block.get("block_id") == buttons_block_id(
                    None
                ):
                    block["block_id"] = buttons_block_id(self.asker)
        return rendered

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send one Rasa bot message as a single Slack message (plus any image/attachment)."""
        channel, thread_ts = self._target(recipient_id)
        rendered = render_message(message)
        if rendered:
            await self._post(
                channel,
                thread_ts,
                fallback=text_only(message) if rendered.get("blocks") else None,
                unfurl_links=False,
                unfurl_media=False,
                **self._mark_buttons(rendered),
            )
        custom = message.get("custom")
        if custom and sales_coach_answer(message) is None:
            # A custom payload of another kind is raw chat.postMessage arguments, as in Rasa.
            await self.send_custom_json(recipient_id, dict(custom))
        if message.get("image"):
            await self.send_image_url(recipient_id, message["image"])
        if message.get("attachment"):
            await self.send_attachment(recipient_id, message["attachment"])

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        channel, thread_ts = self._target(recipient_id)
        block = {"type": "image", "image_url": image, "alt_text": image}
        await self._post(channel, thread_ts, text=image, blocks=[block])

    async def send_attachment(  # type: ignore[override]
        self, recipient_id: str, attachment: dict[str, Any], **kwargs: Any
    ) -> None:
        channel, thread_ts = self._target(recipient_id)
        await self._post(channel, thread_ts, attachments=[attachment])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        default_channel, thread_ts = self._target(recipient_id)
        channel = json_message.pop("channel", None) or default_channel
        thread_ts = json_message.pop("thread_ts", None) or thread_ts
        await self._post(channel, thread_ts, **json_message)


# ---------------------------------------------------------------------------------------------
# Input channel
# ---------------------------------------------------------------------------------------------


def _setting(credentials: Mapping[str, Any], key: str, env_var: str) -> str:
    value = credentials.get(key)
    if value is None or value == "":
        value = os.environ.get(env_var, "")
    value = str(value).strip()
    if value.startswith("${"):
        raise InvalidConfigException(f"`{key}` is an unexpanded variable: set {env_var}.")
    return value


def normalize_api_base_url(url: str | None) -> str:
    """The Web API base URL with the trailing slash AsyncWebClient needs."""
    url = (url or DEFAULT_API_BASE_URL).strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidConfigException(f"`slack_api_base_url` must be an http(s) URL, got {url!r}.")
    return url if url.endswith("/") else url + "/"


class SalesCoachSlackInput(SlackInput):
    """Rasa's SlackInput with threads, de-duplication, button payloads, Block Kit replies, Slack's
    surfaces (App Home, `/coach`, 👀, finished buttons) and Socket Mode."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SalesCoachSlackInput:
        credentials = credentials or {}
        ignored = {"slack_channel", "use_threads", "conversation_granularity"} & set(credentials)
        if ignored:
            logger.warning("Slack credentials %s are ignored by this channel.", sorted(ignored))
        return cls(
            slack_token=_setting(credentials, "slack_token", TOKEN_ENV),
            slack_signing_secret=_setting(credentials, "slack_signing_secret", SIGNING_SECRET_ENV),
            slack_app_token=_setting(credentials, "slack_app_token", APP_TOKEN_ENV),
            proxy=credentials.get("proxy"),
            api_base_url=normalize_api_base_url(credentials.get("slack_api_base_url")),
            dedup_capacity=int(credentials.get("dedup_capacity", DEFAULT_DEDUP_CAPACITY)),
            dedup_db_url=_setting(credentials, "dedup_db_url", DEDUP_DB_ENV) or None,
            socket_mode_ping_interval=float(credentials.get("socket_mode_ping_interval", 5.0)),
        )

    def __init__(
        self,
        slack_token: str,
        slack_signing_secret: str = "",
        proxy: str | None = None,
        api_base_url: str = DEFAULT_API_BASE_URL,
        dedup_capacity: int = DEFAULT_DEDUP_CAPACITY,
        slack_app_token: str = "",
        dedup_db_url: str | None = None,
        socket_mode_ping_interval: float = 5.0,
    ) -> None:
        if not slack_signing_secret and not slack_app_token:
            raise InvalidConfigException(
                f"The Slack channel needs an app-level token ({APP_TOKEN_ENV}, Socket Mode) or "
                f"a signing secret ({SIGNING_SECRET_ENV}, Events API webhook)."
            )
        if slack_app_token and not slack_app_token.startswith("xapp-"):
            raise InvalidConfigException(
                f"{APP_TOKEN_ENV} must be an app-level token (xapp-…, scope connections:write)."
            )
        # The base class refuses an empty signing secret; without one the webhook route is not
        # served at all (Socket Mode only), so this random one never verifies anything.
        super().__init__(
            slack_token,
            slack_channel=None,
            proxy=proxy,
            slack_retry_reason_header=RETRY_REASON_HEADER,
            slack_retry_number_header=RETRY_NUM_HEADER,
            use_threads=True,
            slack_signing_secret=slack_signing_secret or secrets.token_hex(32),
            conversation_granularity="thread",
        )
        if not slack_token:
            raise InvalidConfigException(
                f"The Slack channel needs a bot token: set {TOKEN_ENV} "
                "(credentials.yml: `slack_token: ${SLACK_BOT_TOKEN}`)."
            )
        self.webhook_enabled = bool(slack_signing_secret)
        self.app_token = slack_app_token
        self.api_base_url = normalize_api_base_url(api_base_url)
        self.dedup_capacity = dedup_capacity
        self.dedup_db_url = dedup_db_url
        # In memory until the server starts and the database is known (`_on_server_start`).
        self.recent: SeenKeys = RecentKeys(dedup_capacity)
        self.socket_mode_ping_interval = socket_mode_ping_interval
        self.socket_mode: SocketModeConnection | None = None
        self.surfaces = SlackSurfaces(self.get_output_channel().client)
        self.agent: Any = None
        self._on_new_message: OnNewMessage | None = None

    # -- authentication ---------------------------------------------------------------------

    def signature_failure(self, request: Request) -> str | None:
        return signature_failure(
            self.slack_signing_secret,
            request.body or b"",
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
        )

    def is_request_from_slack_authentic(self, request: Request) -> bool:
        return self.signature_failure(request) is None

    # -- output -----------------------------------------------------------------------------

    def get_output_channel(
        self,
        channel: str | None = None,
        thread_id: str | None = None,
        asker: str | None = None,
        ephemeral_user: str | None = None,
    ) -> OutputChannel:
        return SalesCoachSlackBot(
            self.slack_token,
            channel,
            thread_id,
            self.proxy,
            api_base_url=self.api_base_url,
            asker=asker,
            ephemeral_user=ephemeral_user,
        )

    # -- server lifecycle -------------------------------------------------------------------

    async def _on_server_start(self, app: Any) -> None:
        # The agent (and so the tracker store) is loaded before the server starts.
        self.agent = getattr(app.ctx, "agent", None)
        self.recent = open_seen_keys(self.dedup_db_url, self.agent, self.dedup_capacity)
        if self.app_token:
            self.socket_mode = SocketModeConnection(
                self.app_token,
                self.accept,
                self.api_base_url,
                proxy=self.proxy,
                ping_interval=self.socket_mode_ping_interval,
            )
            await self.socket_mode.start()

    async def _on_server_stop(self) -> None:
        if self.socket_mode is not None:
            await self.socket_mode.stop()
            self.socket_mode = None

    # -- webhook ----------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)
        self._on_new_message = on_new_message

        @slack_webhook.listener("after_server_start")
        async def start(app: Any, _: Any) -> None:
            await self._on_server_start(app)

        @slack_webhook.listener("before_server_stop")
        async def stop(_: Any, __: Any) -> None:
            await self._on_server_stop()

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            connected = self.socket_mode is not None
            return response.json({"status": "ok", "socket_mode": connected})

        if self.webhook_enabled:

            @slack_webhook.route("/webhook", methods=["POST"], stream=True)
            async def webhook(request: Request) -> HTTPResponse:
                too_big = await _read_bounded_body(request)
                if too_big:
                    return too_big
                return await self.handle_request(request, on_new_message)

        return slack_webhook

    async def handle_request(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        # Nothing in the request is looked at before its signature is checked.
        failure = self.signature_failure(request)
        if failure:
            logger.warning("Refused Slack webhook request from %s: %s", request.ip, failure)
            return response.text("Invalid Slack signature.", status=HTTPStatus.UNAUTHORIZED)

        content_type = _content_type(request)
        try:
            if content_type == "application/json":
                body = json.loads(request.body)
                if not isinstance(body, dict):
                    raise ValueError("not a JSON object")
                if body.get("type") == "url_verification":
                    return response.json({"challenge": body.get("challenge", "")})
                kind, payload = "events_api", body
            elif content_type == "application/x-www-form-urlencoded":
                if request.form.get("ssl_check"):
                    # Slack checks a slash command URL's certificate with such a request.
                    return response.text("")
                if request.form.get("command"):
                    # Slash commands come as plain form fields.
                    kind = "slash_commands"
                    payload = {key: request.form.get(key) for key in request.form}
                else:
                    kind = "interactive"
                    payload = json.loads(request.form.get("payload") or "")
                    if not isinstance(payload, dict):
                        raise ValueError("not a JSON object")
            else:
                return response.text("Unsupported content type.", status=HTTPStatus.BAD_REQUEST)
        except (ValueError, AttributeError, TypeError) as error:
            logger.warning("Malformed Slack webhook request: %s", error)
            return response.text("Malformed request.", status=HTTPStatus.BAD_REQUEST)

        retry = request.headers.get(RETRY_NUM_HEADER)
        if retry:
            logger.info(
                "Slack retry #%s (%s)", retry, request.headers.get(RETRY_REASON_HEADER, "unknown")
            )
        self._on_new_message = on_new_message
        outcome = self.accept(kind, payload)
        if outcome is DUPLICATE:
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        if outcome:
            return response.json(outcome)
        # Acknowledge at once: Slack retries anything not answered within 3 seconds.
        return response.text("")

    # -- shared by the webhook and Socket Mode ----------------------------------------------

    def accept(self, kind: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        """Handle one Slack delivery (`events_api`, `interactive` or `slash_commands` payload):
        de-duplicate it and start its work in the background.

        Returns the acknowledgement's body (a slash command's ephemeral note), None, or
        DUPLICATE. Synchronous, so that the caller acknowledges right after.
        """
        if kind == "events_api":
            if payload.get("type") != "event_callback":
                return None
            event = payload.get("event")
            if isinstance(event, Mapping) and event.get("type") == "app_home_opened":
                return self._accept_home_opened(payload, event)
            turn = turn_from_event(payload)
        elif kind == "interactive":
            turn = (
                turn_from_interaction(payload) if payload.get("type") == "block_actions" else None
            )
        elif kind == "slash_commands":
            turn = turn_from_command(payload)
        else:
            turn = None
        if turn is None:
            return None
        if self.recent.seen_before(turn.dedup_keys):
            logger.info("Ignoring a repeated Slack delivery %s", turn.dedup_keys[0])
            return DUPLICATE
        if turn.click is not None and turn.click.asker and turn.click.asker != turn.user:
            # In a channel thread only the person who asked answers the bot's buttons.
            self._background(self._refuse_click(turn))
            return None
        self._background(self._run_turn(turn))
        if kind == "slash_commands":
            language = language_of_text(str(payload.get("text") or ""))
            return {"response_type": "ephemeral", "text": ui_text("slack_answer_in_dm", language)}
        return None

    def dispatch(self, turn: SlackTurn, on_new_message: OnNewMessage) -> None:
        """Hand the turn to Rasa in the background (replies are posted by the output channel)."""
        self._on_new_message = on_new_message
        self._background(self._run_turn(turn))

    def _background(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        # Keep a reference so the task is not garbage-collected, and surface its failures.
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
        task.add_done_callback(_log_failure)

    async def _run_turn(self, turn: SlackTurn) -> None:
        if self._on_new_message is None:
            raise RuntimeError("the Slack channel's blueprint was never registered")
        user_message = UserMessage(
            turn.text,
            self.get_output_channel(turn.channel, turn.thread_ts, turn.asker, turn.ephemeral_user),
            turn.sender_id,
            input_channel=self.name(),
            metadata=turn.metadata,
        )
        click = turn.click
        if click is not None and not click.ephemeral and turn.user:
            # The click is taken: show it, and take the buttons away.
            await self.surfaces.finish(
                turn.channel, click.message_ts, click.text, click.blocks, turn.user, click.choice
            )
        reacted = bool(turn.react_ts) and await self.surfaces.add_working(
            turn.channel, str(turn.react_ts)
        )
        try:
            await handle_guarded(self._on_new_message, user_message)
        finally:
            if reacted:
                await self.surfaces.remove_working(turn.channel, str(turn.react_ts))

    async def _refuse_click(self, turn: SlackTurn) -> None:
        assert turn.click is not None and turn.user
        language = language_of_text(turn.click.text)
        note = ui_text("slack_only_asker", language, user=turn.click.asker)
        await self.surfaces.ephemeral(turn.channel, turn.user, note, turn.thread_ts)

    def _accept_home_opened(
        self, payload: Mapping[str, Any], event: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        user = event.get("user")
        if event.get("tab") != "home" or not user:
            return None
        keys = [f"event:{payload['event_id']}"] if payload.get("event_id") else []
        if keys and self.recent.seen_before(keys):
            return DUPLICATE
        self._background(self._publish_home(str(user)))
        return None

    async def _publish_home(self, user: str) -> None:
        language = await self._conversation_language(user)
        await self.surfaces.publish_home(user, home_view(language or "en", language))

    async def _conversation_language(self, sender_id: str) -> str | None:
        """The language of the person's DM conversation so far, from the tracker store."""
        store = getattr(self.agent, "tracker_store", None)
        if store is None:
            return None
        try:
            tracker = await store.retrieve(sender_id)
        except Exception as error:  # the Home tab still opens, in English
            logger.warning("Could not read %s's conversation: %r", sender_id, error)
            return None
        if tracker is None:
            return None
        slots = tracker.current_slot_values()
        if not (slots.get("language") or slots.get("language_preference")):
            return None
        # the language it answers in, settled as the bot settles it (a chosen one wins)
        return answer_language(slots)


# A repeated delivery: acknowledged with X-Slack-No-Retry (webhook) and not handled again.
DUPLICATE: dict[str, Any] = {}


async def _read_bounded_body(request: Request) -> HTTPResponse | None:
    """Read a streamed request body, refusing it past MAX_BODY_BYTES (HTTP 413)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        logger.warning("Refused a Slack request of %s bytes", declared)
        return response.text("Request too large.", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            logger.warning("Refused a Slack request of more than %d bytes", MAX_BODY_BYTES)
            return response.text("Request too large.", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        chunks.append(chunk)
    request.body = b"".join(chunks)
    return None


def _log_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("Handling a Slack message failed", exc_info=task.exception())
