"""Export page: a fine-tuned run's model file (GGUF, with its size) and the program that loads
it from the folder both are downloaded to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dashboard import safe, ui
from engine.runs import export_model_python, run_model_files, size_words


def _reader(path: Path):
    return lambda: path.read_bytes()  # read when the button is clicked, not on every redraw


def model_downloads(run_id: str, db: str | Path | None, slug: str) -> None:
    """The tuned model file(s) and the program that loads them; nothing for a run whose program
    calls the models named in its project."""
    files = []
    with ui.friendly_errors("Reading the tuned model"):
        files = run_model_files(run_id, db)
    if not files:
        return
    for index, found in enumerate(files):
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            steps = safe.md(", ".join(found.steps))
            left.markdown(
                f"**Tuned model (GGUF file, {size_words(found.size_bytes)})**  \n"
                "<span style='color:#6b7280'>The model whose weights this run trained on your "
                f"lessons; step(s) {steps} answer with it. Download it together "
                "with the program below and keep both in one folder.</span>",
                unsafe_allow_html=True,
            )
            right.download_button(
                "Download",
                _reader(found.path),
                file_name=found.name,
                mime="application/octet-stream",
                key=f"dl_model_{index}",
                on_click="ignore",
                icon=":material/download:",
                width="stretch",
            )
    text_download(
        "Program that loads the tuned model (Python)",
        "The standalone program, looking for the model file in the folder it is saved in. "
        "Runs with `import engine` (the embedded model needs llama-cpp-python).",
        lambda: export_model_python(run_id, db),
        f"{slug}_tuned_model.py", "text/x-python", "dl_model_py", "python",
    )  # fmt: skip


def text_download(
    title: str,
    blurb: str,
    make: Callable[[], str],
    file_name: str,
    mime: str,
    key: str,
    language: str | None,
) -> None:
    """One export as a card: its title and what it is, a Download button, a preview; the
    error in the card's words when `make` fails."""
    with st.container(border=True):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(
            f"**{title}**  \n<span style='color:#6b7280'>{blurb}</span>",  # the page's own words
            unsafe_allow_html=True,
        )
        try:
            text = make()
        except Exception as exc:  # noqa: BLE001
            left.error(f"Not available: {safe.md(ui.describe_error(exc))}")
            return
        right.download_button(
            "Download", text.encode("utf-8"), file_name=file_name, mime=mime, key=key,
            on_click="ignore", icon=":material/download:", width="stretch",
        )  # fmt: skip
        with st.expander("Preview"):
            preview = text if len(text) < 6000 else text[:6000] + "\n…"
            if language:
                st.code(preview, language=language)
            else:
                st.code(preview, language=None, wrap_lines=True)
