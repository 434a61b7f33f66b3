import pytest

from bot.rendering.markdown import to_markdown


def answer(*blocks: dict) -> dict:
    return {"title": "T", "blocks": list(blocks), "citation_text": "Source: ¶1"}


def test_blocks_render_as_markdown() -> None:
    text = to_markdown(
        answer(
            {"type": "paragraph", "text": "p"},
            {"type": "list", "items": ["a", "b"]},
            {"type": "quote", "text": "q", "attribution": "who"},
            {"type": "field", "label": "Scope", "text": "s"},
        )
    )
    assert text == "**T**\n\np\n\n- a\n- b\n\n> q\n>\n> — who\n\n**Scope:** s\n\n_Source: ¶1_"


def test_table_cells_escape_pipes() -> None:
    text = to_markdown(answer({"type": "table", "columns": ["", "A"], "rows": [["x", "a|b"]]}))
    assert "|  | A |\n|---|---|\n| x | a\\|b |" in text


def test_unknown_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown block type 'video'"):
        to_markdown(answer({"type": "video"}))
