"""The options of a pipeline step beyond its fields: a Retrieve corpus, k and search method
(retriever_option.py), ReAct tools and their files (an MCP server's: mcp_option.py), max_iters
for ReAct and ProgramOfThought, a MultiChainComparison step's M, for Predict and
ChainOfThought "vote among samples" (many_options.py), and for every other step that asks the
model the "try several answers" option (refine_option.py). Edits the draft step in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import safe, state
from dashboard.project.step_files import check_corpus, check_table, project_files, save_upload
from dashboard.widgets.pipeline.many_options import multi_chain_option, samples_option
from dashboard.widgets.pipeline.mcp_option import mcp_option
from dashboard.widgets.pipeline.refine_option import refine_option
from dashboard.widgets.pipeline.retriever_option import retriever_option
from engine import SpecError

TOOL_LABELS = {
    "calculator": "Calculator (arithmetic only)",
    "search": "Search the corpus",
    "lookup": "Look up a row in a table",
    "mcp": "Tools from an MCP server",
}
_OPTION_KEYS = {
    "Retrieve": ("corpus", "k", "retriever", "embedder"),
    "ReAct": ("tools", "max_iters"),
}


def clear_other_options(step: dict[str, Any]) -> None:
    """Drop options the step's module does not use (after the module was changed)."""
    keep = _OPTION_KEYS.get(step["module"], ())
    if step["module"] == "ProgramOfThought":
        keep = ("max_iters",)
    for key in ("corpus", "k", "tools", "max_iters", "retriever", "embedder"):
        if key not in keep:
            step.pop(key, None)
    if step["module"] != "MultiChainComparison":
        step.pop("m", None)
    if step["module"] not in ("Predict", "ChainOfThought"):  # starting demos (a DSPy import's)
        step.pop("demos", None)
    if step["module"] in ("Retrieve", "MultiChainComparison"):  # nothing (more) to try again
        step.pop("refine", None)
        step.pop("samples", None)


def _upload(label: str, types: list[str], key: str, check: Any) -> tuple[str, Any] | None:
    """A checked upload saved into the project folder: (file name, what `check` returned);
    a bad file shows why and changes nothing. Each upload is handled once."""
    upload = st.file_uploader(label, type=types, key=key)
    if upload is None or st.session_state.get(f"{key}_done") == upload.file_id:
        return None
    folder = state.project_dir()
    data = upload.getvalue()
    try:
        info = check(upload.name, data)
    except SpecError as exc:
        st.error(f"{safe.md(upload.name)} cannot be used: {safe.md(exc)}", icon=":material/error:")
        return None
    if folder is None:
        return None
    st.session_state[f"{key}_done"] = upload.file_id
    return save_upload(Path(folder), upload.name, data), info


def _corpus_picker(owner: dict[str, Any], key: str) -> None:
    """Choose or upload the corpus of a Retrieve step or a search tool (owner['corpus'])."""
    folder = state.project_dir()
    uploaded = _upload("Upload a corpus (.txt, .md or .csv)", ["txt", "md", "csv"], key,
                       check_corpus)  # fmt: skip
    select_key, column_key = f"{key}_file_{state.rev()}", f"{key}_column_{state.rev()}"
    if uploaded:
        owner["corpus"] = {"path": uploaded[0]}
        if uploaded[1][1]:  # a csv: its first column until one is picked
            owner["corpus"]["column"] = uploaded[1][1][0]
        st.session_state[select_key] = uploaded[0]  # the pickers follow the upload
        st.session_state.pop(column_key, None)
    files = project_files(Path(folder) if folder else None)
    current = (owner.get("corpus") or {}).get("path")
    if files:
        options = files if current in files else [None, *files]
        chosen = st.selectbox(
            "Corpus file", options, index=options.index(current) if current in options else 0,
            format_func=lambda f: f or "(choose a file)", key=select_key,
        )  # fmt: skip
        if chosen and chosen != current:
            owner["corpus"] = {"path": chosen}
    corpus = owner.get("corpus")
    if not corpus:
        st.caption("Upload the passages to search: one per paragraph or line, or a CSV column.")
        return
    path = Path(folder or ".") / corpus["path"]
    try:
        passages, columns = check_corpus(path.name, path.read_bytes(), corpus.get("column"))
    except (SpecError, OSError) as exc:
        st.error(f"{safe.md(corpus['path'])}: {safe.md(exc)}", icon=":material/error:")
        return
    if columns:
        column = corpus.get("column") if corpus.get("column") in columns else columns[0]
        corpus["column"] = st.selectbox(
            "Column with the passages", columns, index=columns.index(column),
            key=column_key,
        )  # fmt: skip
        passages, _ = check_corpus(path.name, path.read_bytes(), corpus["column"])
    first = safe.md(passages[0][:120])  # the file's own text
    st.caption(f"{safe.md(corpus['path'])}: {len(passages)} passages. First: {first}")


def _tools(step: dict[str, Any], i: int) -> None:
    tools = {t["name"]: t for t in step.get("tools") or []}
    picked = st.multiselect(
        "Tools the agent may call", list(TOOL_LABELS), default=list(tools),
        format_func=TOOL_LABELS.get, key=f"step_tools_{i}_{state.rev()}",
        help="No tool runs code the model writes. The built-in ones are safe by design; an MCP "
        "server is a program you choose, and the model only sends it arguments.",
    )  # fmt: skip
    step["tools"] = [tools.get(name) or {"name": name} for name in picked]
    for tool in step["tools"]:
        if tool["name"] == "search":
            st.markdown("**Search** — the corpus it searches")
            _corpus_picker(tool, f"tool_corpus_{i}")
            retriever_option(tool, f"tool_search_{i}")
        elif tool["name"] == "mcp":
            mcp_option(tool, i)
        elif tool["name"] == "lookup":
            st.markdown("**Lookup** — the table and the column to look values up by")
            uploaded = _upload("Upload a table (.csv)", ["csv"], f"tool_table_{i}", check_table)
            if uploaded:
                tool["table"], tool["key"] = uploaded[0], uploaded[1][0]
                st.session_state.pop(f"tool_key_{i}_{state.rev()}", None)
            if tool.get("table"):
                path = Path(state.project_dir() or ".") / tool["table"]
                try:
                    header = check_table(path.name, path.read_bytes())
                except (SpecError, OSError) as exc:
                    st.error(f"{safe.md(tool['table'])}: {safe.md(exc)}", icon=":material/error:")
                    continue
                key = tool.get("key") if tool.get("key") in header else header[0]
                tool["key"] = st.selectbox(
                    f"Look up rows of {safe.md(tool['table'])} by", header, index=header.index(key),
                    key=f"tool_key_{i}_{state.rev()}",
                )  # fmt: skip


def step_options(step: dict[str, Any], i: int) -> None:
    """The options block of step `i` (for Predict and ChainOfThought: only refine)."""
    module = step["module"]
    clear_other_options(step)
    if module == "Retrieve":
        st.markdown("**Corpus** — the passages this step searches")
        _corpus_picker(step, f"step_corpus_{i}")
        retriever_option(step, f"step_search_{i}")
        step["k"] = int(
            st.number_input(
                "Passages to retrieve (k)", 1, 20, int(step.get("k") or 3),
                key=f"step_k_{i}_{state.rev()}",
            )
        )  # fmt: skip
        st.caption(
            "One input (the query) and one output (the passages, a list of texts) in the "
            "fields below."
        )
    elif module == "ReAct":
        _tools(step, i)
    if module in ("ReAct", "ProgramOfThought"):
        default = 5 if module == "ReAct" else 3
        step["max_iters"] = int(
            st.number_input(
                "Most steps (tool calls)" if module == "ReAct" else "Most attempts at the code",
                1, 20, int(step.get("max_iters") or default), key=f"step_iters_{i}_{state.rev()}",
            )
        )  # fmt: skip
    if module == "MultiChainComparison":
        multi_chain_option(step, i)
    elif module != "Retrieve" and not samples_option(step, i):
        refine_option(step, i)
