"""Rasa tokenizer for mixed English and Chinese text, using the shared jieba-based pipeline."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.code_version import CodeVersioned
from bot.nlu.emoji import emoji_word, folded, is_emoji
from bot.nlu.spacy_pipeline import build_pipeline


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedChineseTokenizer(CodeVersioned, Tokenizer):
    """Splits Chinese into words with jieba and keeps English words whole."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MixedChineseTokenizer:
        # The term pipeline and jieba's dictionary are built with the model, not for the first
        # message after a start: they cost that user 0.9 s (py-spy), while the health check
        # already said ready.
        build_pipeline().make_doc("热身 warm-up")
        return super().create(config, model_storage, resource, execution_context)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        doc = build_pipeline().make_doc(text)
        tokens = [Token(word, t.idx) for t in doc if (word := _word(t.text))]
        return self._apply_token_pattern(tokens)


def _word(token: str) -> str:
    """The token as the featurizers should see it: lower case; an emoji as a word they keep;
    "" for what carries nothing (spaces, control characters such as NUL, 👍🏻's skin tone)."""
    kept = "".join(c for c in token if not folded(c) and (c.isprintable() or c.isspace()))
    if len(kept) == 1 and is_emoji(kept):
        return emoji_word(kept)
    return kept.strip().lower()
