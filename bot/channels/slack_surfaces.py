"""The Slack surfaces around a conversation: the `/coach` command, the App Home tab, the 👀
reaction while an answer is prepared, and finishing a message once one of its buttons was
clicked. Web API calls here never raise: a failed reaction or update must not lose the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.language import detect_language
from bot.rendering.slack import escape_mrkdwn

logger = logging.getLogger(__name__)

COMMAND = "/coach"
BUTTONS_BLOCK_ID = "sales_coach_buttons"
HOME_BUTTONS_BLOCK_ID = "sales_coach_home"
WORKING_REACTION = "eyes"  # 👀
# `/coach help` and `/coach restart` in the three languages; anything else is a question.
HELP_WORDS = frozenset({"", "help", "?", "？", "幫助", "帮助", "說明", "说明"})
RESTART_WORDS = frozenset({"restart", "reset", "重新開始", "重新开始", "重來", "重来"})
FEEDBACK_PAYLOAD_PREFIX = "/feedback_"
RESTART_MESSAGE = "/restart"


def command_message(text: str) -> str:
    """What `/coach <text>` sends to the bot: Rasa's `/help` or `/restart`, or the question."""
    words = " ".join(text.split())
    if words.lower() in HELP_WORDS:
        return "/help"
    if words.lower() in RESTART_WORDS:
        # Slack keeps `/restart` for itself (RasaHQ/rasa#7256): Rasa's restart intent.
        return RESTART_MESSAGE
    return words


def language_of_text(text: str) -> str:
    """`en`, `zh-Hans` or `zh-Hant` for the bot's own notes (English when nothing tells)."""
    language = detect_language(text) or "en"
    return "zh-Hant" if language == "zh" else language


def buttons_block_id(asker: str | None) -> str:
    """The block id of an answer's buttons: it carries who may click them in a channel thread."""
    return f"{BUTTONS_BLOCK_ID}.{asker}" if asker else BUTTONS_BLOCK_ID


def asker_of(block_id: str | None) -> str | None:
    prefix = f"{BUTTONS_BLOCK_ID}."
    if block_id and block_id.startswith(prefix):
        return block_id[len(prefix) :] or None
    return None


def is_feedback(payload: str) -> bool:
    return payload.startswith(FEEDBACK_PAYLOAD_PREFIX)


def finished_blocks(
    blocks: Sequence[Mapping[str, Any]], user: str, choice: str
) -> list[dict[str, Any]]:
    """A message's blocks once a button was clicked: its buttons gone, the choice and who made
    it in a last line (`✅ @rep: Compare roles`)."""
    kept = [
        dict(block)
        for block in blocks
        if not (
            block.get("type") == "actions"
            and str(block.get("block_id") or "").startswith(BUTTONS_BLOCK_ID)
        )
    ]
    choice_text = f"✅ <@{user}>: *{escape_mrkdwn(choice)}*"
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": choice_text}]})
    return kept


class SlackSurfaces:
    """Web API calls for reactions, message updates, ephemeral notes and the App Home."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def _call(self, method: str, **arguments: Any) -> bool:
        try:
            await self.client.api_call(method, json=arguments)
            return True
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            logger.warning("Slack %s failed: %s", method, code)
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.warning("Could not reach Slack for %s: %r", method, error)
        return False

    async def add_working(self, channel: str, ts: str) -> bool:
        return await self._call(
            "reactions.add", channel=channel, timestamp=ts, name=WORKING_REACTION
        )

    async def remove_working(self, channel: str, ts: str) -> bool:
        return await self._call(
            "reactions.remove", channel=channel, timestamp=ts, name=WORKING_REACTION
        )

    async def finish(
        self,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]],
        user: str,
        choice: str,
    ) -> bool:
        """chat.update: the clicked message without its buttons, showing the choice."""
        return await self._call(
            "chat.update",
            channel=channel,
            ts=ts,
            text=text or choice,
            blocks=finished_blocks(blocks, user, choice),
        )

    async def ephemeral(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> bool:
        arguments: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        return await self._call("chat.postEphemeral", **arguments)

    async def publish_home(self, user: str, view: Mapping[str, Any]) -> bool:
        return await self._call("views.publish", user_id=user, view=dict(view))
