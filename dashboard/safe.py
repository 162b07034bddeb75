"""Text from outside the code (a model's reply, a file, a user, a teammate's run) shown as text.

Streamlit reads Markdown in `st.markdown`, captions, alerts, widget labels and `help=` tips, and
inside `unsafe_allow_html=True` it reads Markdown again wherever an HTML block ends (a blank
line) and between inline tags. So escaping HTML alone lets `![x](http://…)` through. Two ways
hold, one per context:

- `md(text)`: the text for inside a Markdown string (bold around it, a caption, a label, a
  tip, or between inline tags of an `unsafe_allow_html` paragraph). Every ASCII punctuation mark
  is backslash-escaped, which CommonMark reads as that character and nothing else, an
  invisible word joiner splits `://`, `@name` and `www.` (so no bare address becomes a link),
  and line breaks become spaces (one line: nothing can start a heading, a list or a code
  block). Streamlit's own `:red[…]`, `:material/…:`, `:emoji:` and `$math$` stay text too.
- `html(text)` inside `block(markup)`: one `<div>` on one line is one HTML block, so no blank
  line ends it and Markdown never resumes; the text is HTML-escaped and its line breaks are
  character references (`&#10;`), kept by `white-space: pre-wrap`. `html()` is also what Plotly
  labels and hover texts need (Plotly reads `<a href>`, `<b>` and `<br>` in them).
"""

from __future__ import annotations

import html as _html
import re
import string
from typing import Any

import streamlit as st

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
# where GFM turns plain text into a link (`http://`, `www.`, `name@host`): an invisible word
# joiner there keeps the text as it reads and stops the link (escapes alone do not: GFM finds
# these in the text after escapes are read)
_LINK_STARTS = re.compile(r"(?<=:)(?=//)|(?<=@)(?=[-\w])|(?i:(?<=www)(?=\.))")
_JOINER = "\u2060"
BOX = "ts-diff"  # the bordered, line-keeping box of app.py's style sheet


def md(value: Any) -> str:
    """`value` as literal text inside Markdown: on one line, every punctuation mark escaped."""
    one_line = " ".join(str(value).split())
    return _PUNCTUATION.sub(r"\\\1", _LINK_STARTS.sub(_JOINER, one_line))


def html(value: Any) -> str:
    """`value` as literal text inside an HTML element of `block()`: escaped, on one line."""
    return _LINE_BREAKS.sub("&#10;", _html.escape(str(value)))


def block(inner: str, target: Any = st, css_class: str = "", style: str = "") -> None:
    """Render `inner` (markup built with `html()` for every outside value) inside one `<div>`,
    all on one line: a single HTML block, never read as Markdown."""
    if _LINE_BREAKS.search(inner):
        raise ValueError("an HTML block must stay on one line: build its text with safe.html()")
    attributes = (f" class='{css_class}'" if css_class else "") + (
        f" style='{style}'" if style else ""
    )
    target.markdown(f"<div{attributes}>{inner}</div>", unsafe_allow_html=True)


def text_box(value: Any, target: Any = st, style: str = "") -> None:
    """`value` in the bordered box, line breaks kept, nothing in it read as Markdown or HTML."""
    block(html(value), target, BOX, style)
