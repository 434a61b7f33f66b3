"""Structured answers as web markdown (GitHub-style tables); the widget renders it safely."""

from __future__ import annotations

from typing import Any

from bot.composer.answer import Answer


def _escape_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _block(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "paragraph":
        return block["text"]
    if kind == "heading":
        return f"**{block['text']}**"
    if kind == "field":
        return f"**{block['label']}:** {block['text']}"
    if kind == "list":
        return "\n".join(f"- {item}" for item in block["items"])
    if kind == "quote":
        return f"> {block['text']}\n>\n> — {block['attribution']}"
    if kind == "table":
        header = "| " + " | ".join(_escape_cell(c) for c in block["columns"]) + " |"
        rule = "|" + "---|" * len(block["columns"])
        rows = ["| " + " | ".join(_escape_cell(c) for c in row) + " |" for row in block["rows"]]
        return "\n".join([header, rule, *rows])
    raise ValueError(f"unknown block type {kind!r}")


def to_markdown(answer: Answer) -> str:
    parts = [f"**{answer['title']}**", *(_block(block) for block in answer["blocks"])]
    if answer["citation_text"]:
        parts.append(f"_{answer['citation_text']}_")
    return "\n\n".join(parts)
