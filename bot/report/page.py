"""The report as one self-contained HTML page: tables, and charts drawn by matplotlib as inline
SVG (no script, no CDN, no request). Every text that comes from a user is escaped."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from html import escape

from matplotlib.figure import Figure

from bot.report.stats import Feedback, Report

TOP_TOPICS_PER_WEEK = 3
ANSWER_PREVIEW_CHARS = 400
# What a user typed (up to 2,000 characters reach the bot) is shown up to this length in the
# page; the store keeps all of it.
USER_TEXT_CHARS = 300
STYLE = """
body { font-family: system-ui, "Noto Sans CJK TC", sans-serif; margin: 24px auto;
  max-width: 1000px; padding: 0 16px; color: #1c2430; line-height: 1.45; }
h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #d5dbe3; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d5dbe3; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #e3e9f1; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
.figures svg { max-width: 100%; height: auto; }
.muted { color: #5b6675; }
blockquote { margin: 4px 0; padding-left: 8px; border-left: 3px solid #1f5fa8;
  white-space: pre-wrap; max-height: 12em; overflow: auto; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def svg(figure: Figure) -> str:
    """The figure as an inline <svg> element (text drawn as paths: no font needed)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def stacked_bars(title: str, by_week: dict[str, Counter], weeks: list[str]) -> str:
    """Bars per week, stacked by category (topics or languages)."""
    categories = [name for name, _ in sum(by_week.values(), Counter()).most_common()]
    figure = Figure(figsize=(6.4, 3.4))
    axes = figure.subplots()
    bottom = [0] * len(weeks)
    for index, category in enumerate(categories):
        values = [by_week.get(week, Counter())[category] for week in weeks]
        axes.bar(weeks, values, bottom=bottom, label=category, color=f"C{index % 10}")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(title)
    axes.set_ylabel("messages")
    axes.yaxis.get_major_locator().set_params(integer=True)
    if categories:
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return svg(figure)


def table(headings: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    """An HTML table; every cell is escaped here."""
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(c))}</td>' if i in numeric else f"<td>{escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def shortened(text: str, limit: int = USER_TEXT_CHARS) -> str:
    """`text` cut to `limit` characters with an ellipsis, for a readable page."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def plain(markdown: str) -> str:
    """An answer's markdown as short plain text for the report (escaped later)."""
    text = re.sub(r"[*_`#>|]+", "", markdown)
    return shortened(re.sub(r"\n{3,}", "\n\n", text).strip(), ANSWER_PREVIEW_CHARS)


def thumbs_down_item(item: Feedback) -> str:
    comment = (
        "<em>no comment given</em>"
        if item.comment is None
        else "<em>declined to comment</em>"
        if item.comment == ""
        else f"<blockquote>{escape(shortened(item.comment))}</blockquote>"
    )
    # stats.py keeps only ratings of an answer
    answer = (
        f"<strong>{escape(item.answer_title or item.answer_id or '')}</strong> "
        f'<span class="muted">({escape(item.answer_id or "")})</span>'
        f"<blockquote>{escape(plain(item.answer_text))}</blockquote>"
    )
    question = (
        f"<blockquote>{escape(shortened(item.question))}</blockquote>" if item.question else ""
    )
    return (
        f'<li class="thumbs-down"><p>{escape(item.when.strftime("%Y-%m-%d %H:%M"))} UTC</p>'
        f"<p>Comment: {comment}</p><p>Question: {question}</p><p>Answer: {answer}</p></li>"
    )


def render(report: Report, generated: dt.datetime | None = None) -> str:
    generated = generated or dt.datetime.now(dt.timezone.utc)
    weeks = report.weeks
    topics, languages = report.topics, report.languages
    up = sum(1 for item in report.feedback if item.rating == "up")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Sales Coach: trainers' report</title><style>{STYLE}</style></head><body>",
        "<h1>Sales Coach: trainers' report</h1>",
        f'<p class="muted">Generated {escape(generated.strftime("%Y-%m-%d %H:%M"))} UTC from the '
        "tracker store.</p>",
        '<h2 id="summary">Summary</h2>',
        table(
            ["", "count"],
            [
                ["Conversations", str(report.conversations)],
                ["Messages typed by users", str(report.typed_messages)],
                ["Questions on a topic", str(report.questions)],
                ["Not understood (fallback)", str(report.count("fallback"))],
                ["Off-topic", str(report.count("off-topic"))],
                ["Misread, then a topic offered was chosen", str(len(report.misread))],
                ["Rated helpful (thumbs up)", str(up)],
                ["Rated not helpful (thumbs down)", str(len(report.thumbs_down))],
            ],
            numeric={1},
        ),
        '<h2 id="topics">Questions per topic</h2>',
        '<div class="figures">',
        stacked_bars("Questions per topic and week", report.topics_by_week, weeks),
        stacked_bars("Questions per language and week", report.languages_by_week, weeks),
        "</div>",
        table(["topic", "questions"], [[k, str(v)] for k, v in topics.most_common()], {1}),
        '<h2 id="languages">Questions per language</h2>',
        table(
            ["week", *sorted(languages)],
            [
                [
                    w,
                    *(
                        str(report.languages_by_week.get(w, Counter())[k])
                        for k in sorted(languages)
                    ),
                ]
                for w in weeks
            ],
            set(range(1, len(languages) + 1)),
        ),
        '<h2 id="top-topics">Most asked topics per week</h2>',
        table(
            ["week", "topics (questions)"],
            [
                [
                    w,
                    ", ".join(
                        f"{k} ({v})"
                        for k, v in report.topics_by_week[w].most_common(TOP_TOPICS_PER_WEEK)
                    ),
                ]
                for w in weeks
                if w in report.topics_by_week
            ],
        ),
        '<h2 id="unanswered">Unanswered questions</h2>',
        f"<p>Fallback rate <strong id='fallback-rate'>{percent(report.rate('fallback'))}</strong>, "
        f"off-topic rate <strong id='off-topic-rate'>{percent(report.rate('off-topic'))}</strong> "
        "of the messages typed by users.</p>",
        table(
            ["when (UTC)", "kind", "language", "what the user wrote"],
            [
                [
                    item.when.strftime("%Y-%m-%d %H:%M"),
                    item.kind,
                    item.language,
                    shortened(item.text),
                ]
                for item in sorted(report.unanswered, key=lambda item: item.when)
            ],
        ),
        '<h2 id="misread">Misread: what the user chose instead</h2>',
        '<p>A typed message, then a click on a topic the bot offered as a guess ("did you mean '
        '…?", the buttons of an off-topic reply, or the second guess under an answer). Reviewed, '
        "these are questions to train on.</p>",
        table(
            ["when (UTC)", "language", "what the user wrote", "taken for", "chosen"],
            [
                [
                    item.when.strftime("%Y-%m-%d %H:%M"),
                    item.language,
                    shortened(item.text),
                    item.taken_for,
                    item.meant,
                ]
                for item in sorted(report.misread, key=lambda item: item.when)
            ],
        ),
        '<h2 id="thumbs-down">Rated not helpful, and what was missing</h2>',
        "<ol>" + "".join(thumbs_down_item(item) for item in report.thumbs_down) + "</ol>"
        if report.thumbs_down
        else "<p>None.</p>",
        '<h2 id="flows">Coaching flows</h2>',
        table(
            ["flow", "started", "completed", "stopped", "not finished"],
            [
                [
                    name,
                    str(c["started"]),
                    str(c["completed"]),
                    str(c["stopped"]),
                    str(c["started"] - c["completed"] - c["stopped"]),
                ]
                for name, c in sorted(report.flows.items())
            ],
            {1, 2, 3, 4},
        ),
        "</body></html>",
    ]
    return "\n".join(parts)
