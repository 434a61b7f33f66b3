"""Rasa's templated responses, with the `language` their conditions see settled first.

The domain's responses choose a variation by the `language` slot. That slot holds what the
latest message was written in; the answer language also depends on a language the user chose
and on the script used before (`bot/language_choice.py`). Settling it here, in the Rasa server,
replaces the `action_validate_slot_mappings` round trip Rasa would otherwise make on every
message. endpoints.yml selects this class (`nlg: type: bot.nlg.AnswerLanguageNLG`).
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups
from bot.language_choice import answer_language

# Every Rasa server of the project imports this module (endpoints.yml names it): the place to
# install the fixes of Rasa's per-message cost (see bot/rasa_speedups.py).
rasa_speedups.install()


class AnswerLanguageNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None):
        # Rasa builds custom generators with (endpoint_config, domain); the templates are the
        # domain's responses, exactly as Rasa's default generator uses them.
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        slots = tracker.current_slot_values()
        slots["language"] = answer_language(slots)
        return self.generate_from_slots(utter_action, slots, output_channel, **kwargs)
