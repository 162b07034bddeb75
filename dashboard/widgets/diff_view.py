"""Word-level diff of two texts (removed words struck through in red, added ones in green)."""

from __future__ import annotations

import difflib
import html
import re

import streamlit as st


def word_diff_html(old: str, new: str) -> str:
    a, b = re.findall(r"\S+|\s+", old or ""), re.findall(r"\S+|\s+", new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


SAME_NOTE = "The instructions are identical; any difference is in the examples (demos) below."


def diff_view(
    old: str, new: str, label_old: str, label_new: str, same_note: str = SAME_NOTE
) -> None:
    """Both texts side by side, then the word diff underneath (`same_note` when identical)."""
    left, right = st.columns(2)
    left.markdown(f"**{label_old}**")
    left.markdown(
        f"<div class='ts-diff'>{html.escape(old or '(no instructions)')}</div>",
        unsafe_allow_html=True,
    )
    right.markdown(f"**{label_new}**")
    right.markdown(
        f"<div class='ts-diff'>{html.escape(new or '(no instructions)')}</div>",
        unsafe_allow_html=True,
    )
    if (old or "") == (new or ""):
        st.caption(same_note)
    else:
        st.markdown("**Changes**")
        st.markdown(
            f"<div class='ts-diff'>{word_diff_html(old, new)}</div>", unsafe_allow_html=True
        )
