"""The report's document model and its two renderings, Markdown and HTML.

A report is a list of blocks (headings, paragraphs, bullet lists, tables, figures),
built once by the report sections (:mod:`art_genre.pipelines.reporting.sections`,
:mod:`art_genre.pipelines.ablations.report`) and rendered twice: the Markdown links the
plot files beside it (``plots/<name>.png``); the HTML embeds the same PNG bytes as
base64 ``data:`` URIs, so it can be mailed or opened anywhere. Nothing here knows what
the report is about.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# ------------------------------------------------------------------ the document model


@dataclass
class Heading:
    """A section title (level 1 to 3)."""

    text: str
    level: int = 2


@dataclass
class Paragraph:
    """Text; ``**bold**`` and ```code``` are rendered in both formats."""

    text: str


@dataclass
class Bullets:
    """A bullet list."""

    items: list[str]


@dataclass
class Table:
    """A table of already formatted cells, with an optional caption."""

    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Image:
    """A plot: its PNG bytes and where the Markdown finds the file."""

    name: str
    caption: str
    png: bytes = field(repr=False)
    link: str = ""


Block = Heading | Paragraph | Bullets | Table | Image

# ------------------------------------------------------------------ renderers

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _inline_html(text: str) -> str:
    escaped = html.escape(str(text), quote=False)
    return _BOLD.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", escaped))


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Sequence[Block]) -> str:
    """The blocks as GitHub-flavoured Markdown (figures linked by relative path)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            lines = [f"*{block.caption}*", ""] if block.caption else []
            lines.append("| " + " | ".join(_md_cell(c) for c in block.columns) + " |")
            lines.append("|" + "---|" * len(block.columns))
            lines += [
                "| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows
            ]
            out.append("\n".join(lines))
        elif isinstance(block, Image):
            out.append(
                f"![{block.caption}]({block.link or block.name + '.png'})\n\n*{block.caption}*"
            )
    return "\n\n".join(out) + "\n"


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #4C72B0; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .9em; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f0f3f8; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-style: italic; color: #555; font-size: .9em; }
code { background: #f4f4f4; padding: 0 .25em; border-radius: 3px; }
"""


def render_html(blocks: Sequence[Block], title: str) -> str:
    """The blocks as one self-contained HTML page (figures embedded as base64 PNG)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{_inline_html(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{_inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_inline_html(i)}</li>" for i in block.items)
            out.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            caption = (
                f"<caption>{_inline_html(block.caption)}</caption>"
                if block.caption
                else ""
            )
            head = "".join(f"<th>{_inline_html(c)}</th>" for c in block.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            out.append(
                f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            )
        elif isinstance(block, Image):
            data = base64.b64encode(block.png).decode("ascii")
            out.append(
                f'<figure id="plot-{html.escape(block.name)}"><img src="data:image/png;base64,'
                f'{data}" alt="{html.escape(block.caption)}">'
                f"<figcaption>{_inline_html(block.caption)}</figcaption></figure>"
            )
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ formatting of cells


def num(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals; ``–`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int | bool):
        return str(value)
    return f"{float(value):.{digits}f}"


def pct(value: Any) -> str:
    """A share as a percentage; ``–`` for none."""
    return "–" if value is None else f"{100 * float(value):.2f} %"


def dig(mapping: Any, *keys: str) -> Any:
    """``mapping[k1][k2]...``, or ``None`` where a key is missing."""
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def weights_text(value: Any) -> str:
    """Backbone weights as the reader should see them."""
    return "null (random, offline)" if value is None else str(value)


def yes_no(value: Any) -> str:
    """``yes`` / ``no`` / ``–``."""
    return "–" if value is None else ("yes" if value else "no")


def plain(value: Any) -> str:
    """A parameter value as text (lists in brackets, ``–`` for none)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "–" if value is None else str(value)


