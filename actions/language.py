"""Settles the `language` slot after each message (Rasa calls this after slot extraction)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.language import CHINESE_UNDECIDED


class ValidateSlotMappings(ValidationAction):
    def validate_language(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Chinese with no script-specific character ("好的") keeps the script used so far."""
        if slot_value != CHINESE_UNDECIDED:
            return {"language": slot_value}
        for event in reversed(tracker.events):
            if event.get("event") == "slot" and event.get("name") == "language":
                if event.get("value") in ("zh-Hans", "zh-Hant"):
                    return {"language": event["value"]}
        return {"language": "zh-Hans"}
