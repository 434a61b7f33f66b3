"""Slack rendering: our web markdown to Slack mrkdwn, structured answers to Block Kit.

Pure functions, no I/O. `render_message` turns one Rasa bot message into the keyword arguments
of one `chat.postMessage` call (`text`, optionally `blocks`): every answer is one Slack message.

Slack limits honoured here (https://api.slack.com/reference/block-kit):
- 50 blocks per message, 3000 characters per section text, 10 fields per section and 2000
  characters per field, 25 buttons per actions block, 75 characters per button label, 2000
  characters per button value, 40,000 characters of message `text`, and about 12,000
  characters of text in all blocks together (undocumented: `msg_blocks_too_long`);
- a message that would break any of them anyway is sent as text alone (`fits_slack`);
- `&`, `<` and `>` must be escaped in mrkdwn, because `<...>` is Slack's link/mention syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.composer.coaching import topic_buttons
from bot.rendering.strings import text as ui_text

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
# chat.postMessage truncates `text` beyond this.
MAX_MESSAGE_TEXT = 40_000
# Not in Slack's reference, but chat.postMessage refuses blocks whose texts add up to about
# 12,000-13,000 characters (`msg_blocks_too_long`; slackapi/bolt-js#2509, #2867).
MAX_BLOCKS_TEXT = 12_000
# Slack shows `text` in notifications and to screen readers when `blocks` are present; messages
# over 4000 characters get truncated there anyway.
MAX_FALLBACK_TEXT = 3000

BULLET = "•"
SUB_BULLET = "◦"
ZWSP = "\u200b"
ELLIPSIS = "…"

# Private-use characters: never in our content, so placeholders and emphasis markers survive
# escaping and the emphasis regexes untouched.
_HOLD_OPEN, _HOLD_CLOSE = "\ue000", "\ue001"
_BOLD, _ITALIC, _STRIKE = "\ue002", "\ue003", "\ue004"
_MARKERS = {_BOLD: "*", _ITALIC: "_", _STRIKE: "~"}

_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_BOLD_STARS = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BOLD_UNDERSCORES = re.compile(r"(?<![A-Za-z0-9_])__(?=\S)(.+?)(?<=\S)__(?![A-Za-z0-9_])")
_ITALIC_STAR = re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)")
_ITALIC_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![A-Za-z0-9_])")
_STRIKETHROUGH = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_PLACEHOLDER = re.compile(f"{_HOLD_OPEN}(\\d+){_HOLD_CLOSE}")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_BULLET_ITEM = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_ORDERED_ITEM = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


# ---------------------------------------------------------------------------------------------
# Markdown → mrkdwn
# ---------------------------------------------------------------------------------------------


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack reserves for its own markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_url(url: str) -> str:
    # `|` and `>` would end Slack's <url|label> early; `&` must be an entity like elsewhere.
    return escape_mrkdwn(url.replace("|", "%7C")).replace("&gt;", "%3E").replace("&lt;", "%3C")


def _is_tight(char: str) -> bool:
    """Whether an emphasis marker next to `char` needs a zero-width space to be recognised.

    Slack only treats `*` / `_` / `~` as formatting when they touch whitespace or ASCII
    punctuation; in Chinese text (`這是*重點*內容`) they would show as literal asterisks.
    """
    if not char or char.isspace() or char == ZWSP:
        return False
    return char.isalnum() or ord(char) > 0x7F


def _place_markers(text: str) -> str:
    """Replace the private emphasis markers with Slack's, padding them with ZWSP when needed."""
    out: list[str] = []
    open_markers: list[str] = []
    for index, char in enumerate(text):
        if char not in _MARKERS:
            out.append(char)
            continue
        marker = _MARKERS[char]
        if open_markers and open_markers[-1] == char:
            open_markers.pop()
            following = text[index + 1] if index + 1 < len(text) else ""
            out.append(marker + (ZWSP if _is_tight(following) else ""))
        else:
            open_markers.append(char)
            preceding = out[-1][-1] if out and out[-1] else ""
            out.append((ZWSP if _is_tight(preceding) else "") + marker)
    return "".join(out)


def _emphasis(text: str, *, bold: bool = True) -> str:
    """Markdown emphasis to private markers (or nothing, for text that is already bold)."""
    bold_marker = _BOLD if bold else ""
    text = _BOLD_STARS.sub(lambda m: f"{bold_marker}{m.group(1)}{bold_marker}", text)
    text = _BOLD_UNDERSCORES.sub(lambda m: f"{bold_marker}{m.group(1)}{bold_marker}", text)
    text = _ITALIC_STAR.sub(lambda m: f"{_ITALIC}{m.group(1)}{_ITALIC}", text)
    text = _ITALIC_UNDERSCORE.sub(lambda m: f"{_ITALIC}{m.group(1)}{_ITALIC}", text)
    text = _STRIKETHROUGH.sub(lambda m: f"{_STRIKE}{m.group(1)}{_STRIKE}", text)
    # Unpaired `**` would show literally (or bold the wrong span): drop them.
    return text.replace("**", "")


def inline_to_mrkdwn(text: str, *, bold: bool = True) -> str:
    """Convert one line of inline markdown (emphasis, links, code) to Slack mrkdwn.

    With `bold=False` bold markup is removed instead of converted, for text that will be wrapped
    in bold as a whole (Slack does not nest `*` inside `*`).
    """
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"{_HOLD_OPEN}{len(held) - 1}{_HOLD_CLOSE}"

    def link(label: str, url: str) -> str:
        label_mrkdwn = _place_markers(_emphasis(escape_mrkdwn(label), bold=bold)).strip()
        if not label_mrkdwn or label_mrkdwn == url:
            return hold(f"<{_escape_url(url)}>")
        return hold(f"<{_escape_url(url)}|{label_mrkdwn}>")

    text = _CODE_SPAN.sub(lambda m: hold(f"`{escape_mrkdwn(m.group(2).strip())}`"), text)
    text = _IMAGE.sub(lambda m: link(m.group(1) or m.group(2), m.group(2)), text)
    text = _LINK.sub(lambda m: link(m.group(1), m.group(2)), text)
    text = _AUTOLINK.sub(lambda m: hold(f"<{_escape_url(m.group(1))}>"), text)
    text = _place_markers(_emphasis(escape_mrkdwn(text), bold=bold))
    # Placeholders may nest (a code span inside a link label), so restore until stable.
    while _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(lambda m: held[int(m.group(1))], text)
    return text


def bold_line(text: str) -> str:
    """A whole line in bold (used for titles and headings)."""
    inner = inline_to_mrkdwn(text, bold=False).strip()
    if not inner:
        return ""
    return f"*{inner}*"


def _split_cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(row)]


def table_to_mrkdwn(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A table as mrkdwn lines: the row label in bold, then one bullet per column.

    mrkdwn has no tables, and a pipe grid does not line up in a proportional font (nor with
    Chinese text in a monospace one), so each row becomes a small labelled list.
    """
    headers = [str(column) for column in columns]
    lines: list[str] = []
    for row in rows:
        cells = [str(cell) for cell in row]
        if not cells:
            continue
        label = bold_line(cells[0])
        if label:
            lines.append(label)
        for index, cell in enumerate(cells[1:], start=1):
            header = headers[index] if index < len(headers) else ""
            value = inline_to_mrkdwn(cell) if cell.strip() else "—"
            prefix = f"{inline_to_mrkdwn(header, bold=False)}: " if header.strip() else ""
            lines.append(f"{BULLET} {prefix}{value}")
    return lines


def _markdown_table(lines: list[str]) -> list[str]:
    header, *body = lines
    rows = [_split_cells(line) for line in body if not _TABLE_SEPARATOR.match(line)]
    return table_to_mrkdwn(_split_cells(header), rows)


def markdown_to_mrkdwn(markdown: str) -> str:
    """Convert our web markdown to Slack mrkdwn.

    Headings become bold lines, `**bold**` → `*bold*`, `*italic*` → `_italic_`, `- item` →
    `• item`, `[text](url)` → `<url|text>`, GitHub tables → labelled lists, `> quote` stays.
    """
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    index = 0
    fence: str | None = None
    while index < len(lines):
        line = lines[index]
        fence_match = _FENCE.match(line)
        if fence is not None:
            # Inside a code block only the reserved characters need escaping.
            if fence_match and fence_match.group(1)[0] == fence:
                out.append("```")
                fence = None
            else:
                out.append(escape_mrkdwn(line))
            index += 1
            continue
        if fence_match:
            fence = fence_match.group(1)[0]
            out.append("```")
            index += 1
            continue
        if (
            _TABLE_ROW.match(line)
            and index + 1 < len(lines)
            and _TABLE_SEPARATOR.match(lines[index + 1])
        ):
            end = index + 2
            while end < len(lines) and _TABLE_ROW.match(lines[end]):
                end += 1
            out.extend(_markdown_table(lines[index:end]))
            index = end
            continue
        out.append(_convert_line(line))
        index += 1
    if fence is not None:
        out.append("```")
    text = "\n".join(out)
    # Rules and headings can leave runs of blank lines behind.
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _convert_line(line: str) -> str:
    if _RULE.match(line):
        return ""
    heading = _HEADING.match(line)
    if heading:
        return bold_line(heading.group(1))
    quote = _QUOTE.match(line)
    if quote:
        # Slack renders a line starting with a raw "> " as a quote.
        return f"> {_convert_line(quote.group(1))}".rstrip()
    bullet = _BULLET_ITEM.match(line)
    if bullet:
        indent, item = bullet.groups()
        level = len(indent.expandtabs(4)) // 2
        marker = BULLET if level == 0 else SUB_BULLET
        return f"{'    ' * level}{marker} {inline_to_mrkdwn(item)}"
    ordered = _ORDERED_ITEM.match(line)
    if ordered:
        indent, number, item = ordered.groups()
        level = len(indent.expandtabs(4)) // 2
        return f"{'    ' * level}{number}. {inline_to_mrkdwn(item)}"
    return inline_to_mrkdwn(line.strip())


# ---------------------------------------------------------------------------------------------
# Block Kit
# ---------------------------------------------------------------------------------------------


def open_bold(text: str) -> int:
    """Where the `*bold*` span still open at the end of `text` starts, or -1 when none is open.

    Our mrkdwn has `*` only as bold markers (a span never crosses a line), so markers pair up
    in order.
    """
    start = -1
    for index, char in enumerate(text):
        if char == "*":
            start = index if start < 0 else -1
        elif char == "\n":
            start = -1
    return start


def _cut_point(text: str, limit: int) -> int:
    """Where to cut `text` to keep at most `limit` characters: at a line or word break when one
    is near, and before a `*bold*` span rather than inside it."""
    cut = limit
    for separator in ("\n", " "):
        position = text.rfind(separator, 0, limit)
        if position >= limit // 2:
            cut = position
            break
    span = open_bold(text[:cut])
    if span > limit // 4:  # else the span is long: it is closed and reopened around the cut
        cut = span
    return cut


def _close_bold(head: str) -> str:
    # A span too long for one chunk (it starts the chunk): close it here, reopen it after.
    return head + "*" if open_bold(head) >= 0 else head


def truncate(text: str, limit: int) -> str:
    """Cut mrkdwn to at most `limit` characters, at a line or word break when one is near, never
    leaving a `*bold*` span open."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS) - 1  # one for a closing `*`
    return _close_bold(text[: _cut_point(text, room)].rstrip()) + ELLIPSIS


def clip(text: str, limit: int) -> str:
    """Plain text (a button label) cut to at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split mrkdwn into chunks of at most `limit` characters, on line breaks when possible and
    never inside a `*bold*` span."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = _cut_point(line, limit - 1)  # one for a closing `*`
            head, line = line[:cut].rstrip(), line[cut:].lstrip()
            if open_bold(head) >= 0:
                head, line = head + "*", "*" + line
            if current:
                chunks.append(current)
                current = ""
            chunks.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def mrkdwn_text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn_text(text)}


def sections(text: str) -> list[dict[str, Any]]:
    """One or more sections holding `text` (a section takes at most 3000 characters)."""
    return [section(chunk) for chunk in split_text(text)]


def _paragraph_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    return sections(markdown_to_mrkdwn(str(block.get("text", ""))))


def _list_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = [str(item) for item in block.get("items") or [] if str(item).strip()]
    lines = [f"{BULLET} {inline_to_mrkdwn(item)}" for item in items]
    return sections("\n".join(lines))


def _quote_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    lines = [inline_to_mrkdwn(line) for line in str(block.get("text", "")).split("\n")]
    attribution = str(block.get("attribution") or "").strip()
    if attribution:
        lines.append(f"— {inline_to_mrkdwn(attribution)}")
    quoted = "\n".join(f"> {line}".rstrip() for line in lines if line.strip())
    return sections(quoted)


def _heading_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    heading = bold_line(str(block.get("text", "")))
    return [section(truncate(heading, MAX_SECTION_TEXT))] if heading else []


def _field_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A labelled paragraph (one aspect of a role): the label in bold above the text.

    Not a section `fields` entry: field values are article paragraphs, too long for the
    narrow two-column layout.
    """
    label = bold_line(str(block.get("label", "")))
    body = markdown_to_mrkdwn(str(block.get("text", "")))
    return sections("\n".join(part for part in (label, body) if part))


def _table_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A comparison table: one section per row, the row label as text, one field per column.

    Each field repeats its column header because Slack lays fields out two per line on desktop
    but stacks them on mobile, where a header row would be far away.
    """
    columns = [str(column) for column in block.get("columns") or []]
    blocks: list[dict[str, Any]] = []
    for row in block.get("rows") or []:
        cells = [str(cell) for cell in row]
        if not cells:
            continue
        fields = []
        for index, cell in enumerate(cells[1:], start=1):
            header = columns[index] if index < len(columns) else ""
            value = inline_to_mrkdwn(cell) if cell.strip() else "—"
            label = bold_line(header)
            text = f"{label}\n{value}" if label else value
            fields.append(mrkdwn_text(truncate(text, MAX_FIELD_TEXT)))
        label = bold_line(cells[0])
        for start in range(0, max(len(fields), 1), MAX_FIELDS):
            chunk = fields[start : start + MAX_FIELDS]
            entry: dict[str, Any] = {"type": "section"}
            if start == 0 and label:
                entry["text"] = mrkdwn_text(truncate(label, MAX_SECTION_TEXT))
            if chunk:
                entry["fields"] = chunk
            if len(entry) > 1:
                blocks.append(entry)
    return blocks


_BLOCK_RENDERERS = {
    "paragraph": _paragraph_blocks,
    "heading": _heading_blocks,
    "field": _field_blocks,
    "list": _list_blocks,
    "quote": _quote_blocks,
    "table": _table_blocks,
}


def content_blocks(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Block Kit blocks for one block of a structured answer."""
    renderer = _BLOCK_RENDERERS.get(str(block.get("type")))
    if renderer is None:
        # A block type added later still shows its text rather than vanishing.
        return _paragraph_blocks(block) if block.get("text") else []
    return renderer(block)


def buttons_block(buttons: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """An `actions` block with at most 25 buttons whose value is the Rasa payload."""
    elements = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or "").strip()
        if not title or not payload:
            continue
        elements.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": clip(title, MAX_BUTTON_TEXT)},
                "value": payload[:MAX_BUTTON_VALUE],
                # action_id must be unique within the message.
                "action_id": f"sales_coach_button_{len(elements)}",
            }
        )
        if len(elements) == MAX_BUTTONS:
            break
    if not elements:
        return None
    return {"type": "actions", "block_id": "sales_coach_buttons", "elements": elements}


def citation_text(answer: Mapping[str, Any]) -> str:
    text = str(answer.get("citation_text") or "").strip()
    if text:
        return text
    citations = answer.get("citations") or []
    return ", ".join(f"¶{number}" for number in citations)


def answer_blocks(
    answer: Mapping[str, Any], buttons: Sequence[Mapping[str, Any]] = (), *, cap: bool = True
) -> list[dict[str, Any]]:
    """Block Kit for a structured answer (`custom.sales_coach`, see docs/architecture.md).

    With `cap`, an answer over 50 blocks is cut (`…`); without, it is left whole for the size
    guard to send as text."""
    body: list[dict[str, Any]] = []
    title = bold_line(str(answer.get("title") or ""))
    if title:
        body.append(section(truncate(title, MAX_SECTION_TEXT)))
    for block in answer.get("blocks") or []:
        if isinstance(block, Mapping):
            body.extend(content_blocks(block))

    tail: list[dict[str, Any]] = []
    citation = citation_text(answer)
    if citation:
        element = mrkdwn_text(truncate(inline_to_mrkdwn(citation), MAX_CONTEXT_TEXT))
        tail.append({"type": "context", "elements": [element]})
    actions = buttons_block(buttons)
    if actions:
        tail.append(actions)

    room = MAX_BLOCKS - len(tail)
    if cap and len(body) > room:
        # Keep the message valid; the web widget still has the whole answer.
        body = body[: room - 1] + [section(ELLIPSIS)]
    return body + tail


def sales_coach_answer(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The structured answer carried by a bot message, if any."""
    custom = message.get("custom")
    if isinstance(custom, Mapping) and isinstance(custom.get("sales_coach"), Mapping):
        return custom["sales_coach"]
    return None


def _answer_fallback(answer: Mapping[str, Any]) -> str:
    parts = [bold_line(str(answer.get("title") or ""))]
    for block in answer.get("blocks") or []:
        if isinstance(block, Mapping) and block.get("text"):
            parts.append(markdown_to_mrkdwn(str(block["text"])))
            break
    parts.append(inline_to_mrkdwn(citation_text(answer)))
    return "\n".join(part for part in parts if part)


def _buttons_fallback(buttons: Sequence[Mapping[str, Any]]) -> str:
    return " · ".join(str(button.get("title")) for button in buttons if button.get("title"))


def answer_text(answer: Mapping[str, Any]) -> str:
    """The whole structured answer as mrkdwn text (for a message that cannot have blocks)."""
    parts = [bold_line(str(answer.get("title") or ""))]
    for block in answer.get("blocks") or []:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "list":
            items = [str(item) for item in block.get("items") or [] if str(item).strip()]
            parts.append("\n".join(f"{BULLET} {inline_to_mrkdwn(item)}" for item in items))
        elif kind == "table":
            rows = [[str(cell) for cell in row] for row in block.get("rows") or []]
            parts.append("\n".join(table_to_mrkdwn(block.get("columns") or [], rows)))
        elif kind == "quote":
            parts.extend(section["text"]["text"] for section in _quote_blocks(block))
        elif kind == "field":
            parts.extend(section["text"]["text"] for section in _field_blocks(block))
        elif block.get("text"):
            parts.append(markdown_to_mrkdwn(str(block["text"])))
    parts.append(inline_to_mrkdwn(citation_text(answer)))
    return "\n\n".join(part for part in parts if part.strip())


def text_only(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """`chat.postMessage` arguments with no blocks: the whole message as mrkdwn text, and the
    buttons' titles on a last line (they cannot be clicked, but say what could be asked)."""
    text = str(message.get("text") or "")
    answer = sales_coach_answer(message)
    mrkdwn = markdown_to_mrkdwn(text) if text.strip() else ""
    if not mrkdwn and answer is not None:
        mrkdwn = answer_text(answer)
    buttons = list(message.get("buttons") or message.get("quick_replies") or [])
    if not buttons and answer is not None:
        buttons = list(answer.get("buttons") or [])
    titles = _buttons_fallback(buttons)
    if titles:
        room = MAX_MESSAGE_TEXT - len(titles) - 2
        mrkdwn = f"{truncate(mrkdwn, room)}\n\n{titles}" if mrkdwn else titles
    return {"text": truncate(mrkdwn, MAX_MESSAGE_TEXT)} if mrkdwn else None


def _text_of(element: Mapping[str, Any]) -> str:
    return str(element.get("text") or "") if isinstance(element, Mapping) else ""


def blocks_text_length(value: Any) -> int:
    """The length of every `text` string inside blocks, added up (what msg_blocks_too_long
    counts)."""
    if isinstance(value, Mapping):
        own = value.get("text")
        total = len(own) if isinstance(own, str) else 0
        return total + sum(blocks_text_length(item) for item in value.values())
    if isinstance(value, list):
        return sum(blocks_text_length(item) for item in value)
    return 0


def oversized(arguments: Mapping[str, Any]) -> str | None:
    """Which Slack limit `chat.postMessage` arguments break, or None when they fit."""
    if len(str(arguments.get("text") or "")) > MAX_MESSAGE_TEXT:
        return f"text over {MAX_MESSAGE_TEXT} characters"
    blocks = arguments.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        return f"{len(blocks)} blocks (at most {MAX_BLOCKS})"
    if blocks_text_length(blocks) > MAX_BLOCKS_TEXT:
        return f"blocks with more than {MAX_BLOCKS_TEXT} characters of text"
    for block in blocks:
        kind = block.get("type")
        if len(_text_of(block.get("text") or {})) > MAX_SECTION_TEXT:
            return f"a {kind} text over {MAX_SECTION_TEXT} characters"
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS or any(len(_text_of(f)) > MAX_FIELD_TEXT for f in fields):
            return f"section fields over {MAX_FIELDS} or {MAX_FIELD_TEXT} characters"
        elements = block.get("elements") or []
        if kind == "actions":
            if len(elements) > MAX_BUTTONS:
                return f"{len(elements)} buttons in one block (at most {MAX_BUTTONS})"
            for element in elements:
                if len(_text_of(element.get("text") or {})) > MAX_BUTTON_TEXT:
                    return f"a button label over {MAX_BUTTON_TEXT} characters"
                if len(str(element.get("value") or "")) > MAX_BUTTON_VALUE:
                    return f"a button value over {MAX_BUTTON_VALUE} characters"
        if kind == "context" and (
            len(elements) > MAX_CONTEXT_ELEMENTS
            or any(len(_text_of(element)) > MAX_CONTEXT_TEXT for element in elements)
        ):
            return f"context over {MAX_CONTEXT_ELEMENTS} elements or {MAX_CONTEXT_TEXT} characters"
    return None


def render_message(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `chat.postMessage` arguments (`text`, maybe `blocks`) for one Rasa bot message.

    Returns None when the message has nothing this renderer shows (e.g. only an image or a
    custom payload of another kind). Always one Slack message: unlike Rasa's SlackBot, text is
    not split on blank lines. Anything over Slack's limits is sent as text alone.
    """
    rendered = _render_blocks(message)
    if rendered is not None and oversized(rendered):
        return text_only(message)
    return rendered


def _render_blocks(message: Mapping[str, Any]) -> dict[str, Any] | None:
    text = str(message.get("text") or "")
    buttons = list(message.get("buttons") or message.get("quick_replies") or [])
    answer = sales_coach_answer(message)

    if answer is not None:
        buttons = buttons or list(answer.get("buttons") or [])
        fallback = markdown_to_mrkdwn(text) if text.strip() else _answer_fallback(answer)
        blocks = answer_blocks(answer, buttons, cap=False)
        return {"text": truncate(fallback, MAX_FALLBACK_TEXT), "blocks": blocks}

    mrkdwn = markdown_to_mrkdwn(text)
    actions = buttons_block(buttons)
    if actions is None:
        return {"text": mrkdwn} if mrkdwn else None
    blocks = sections(mrkdwn) + [actions]
    fallback = mrkdwn or _buttons_fallback(buttons)
    return {"text": truncate(fallback, MAX_FALLBACK_TEXT), "blocks": blocks}


# ---------------------------------------------------------------------------------------------
# App Home
# ---------------------------------------------------------------------------------------------

LANGUAGE_NAMES = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
HOME_BUTTONS_BLOCK_ID = "sales_coach_home"


def home_view(language: str, current: str | None = None) -> dict[str, Any]:
    """The App Home tab (`views.publish`): what the coach does, how to reach it, the language
    it answers in, and every topic as a button. In `language`; `current` is the language of the
    person's conversation so far, when there is one."""
    choices = ", ".join(LANGUAGE_NAMES.values())
    current_name = LANGUAGE_NAMES.get(current or language, LANGUAGE_NAMES[language])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Sales Coach"}},
        section(markdown_to_mrkdwn(ui_text("welcome", language))),
        section(markdown_to_mrkdwn(ui_text("slack_home_how", language))),
        {
            "type": "context",
            "elements": [
                mrkdwn_text(
                    escape_mrkdwn(
                        ui_text(
                            "slack_home_language", language, choices=choices, current=current_name
                        )
                    )
                )
            ],
        },
        {"type": "divider"},
        section(bold_line(ui_text("slack_home_topics", language))),
    ]
    actions = buttons_block(topic_buttons(language))
    if actions is not None:
        actions["block_id"] = HOME_BUTTONS_BLOCK_ID
        blocks.append(actions)
    return {"type": "home", "blocks": blocks}
