"""Word-level diff of two texts (removed words struck through in red, added ones in green)."""

from __future__ import annotations

import difflib
import re

import streamlit as st

from dashboard import safe


def word_diff_html(old: str, new: str) -> str:
    """The diff as one line of HTML for `safe.block` (every word escaped by `safe.html`)."""
    a, b = re.findall(r"\S+|\s+", old or ""), re.findall(r"\S+|\s+", new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(safe.html("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{safe.html(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{safe.html(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


SAME_NOTE = "The instructions are identical; any difference is in the examples (demos) below."


def diff_view(
    old: str, new: str, label_old: str, label_new: str, same_note: str = SAME_NOTE
) -> None:
    """Both texts side by side, then the word diff underneath (`same_note` when identical).
    The texts are the model's and the user's words: shown as text, never as Markdown."""
    left, right = st.columns(2)
    left.markdown(f"**{label_old}**")
    safe.text_box(old or "(no instructions)", left)
    right.markdown(f"**{label_new}**")
    safe.text_box(new or "(no instructions)", right)
    if (old or "") == (new or ""):
        st.caption(same_note)
    else:
        st.markdown("**Changes**")
        safe.block(word_diff_html(old, new), css_class=safe.BOX)
