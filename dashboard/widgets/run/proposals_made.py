"""The Run page's "How each instruction was made" expander, under the proposed-instructions
table: for each candidate instruction, who wrote it (the model, the model finishing a sentence
we started, or a template built from the data) and from what; and the model's drafts that were
dropped, with why. Runs stored before this record existed show nothing here."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.runs import latest_proposals

HOW_WORDS = {
    "original": "your own instruction",
    "model": "written by the proposer model",
    "template": "built from your data (a template; the model did not write it)",
}
FORM_WORDS = {
    "full request": "asked for a whole instruction",
    "finished a stem": "finished a sentence we started",
    "reflection": "rewrote it after reading scored examples",
}
WHY_WORDS = {
    "duplicate": "the same as an instruction already in the list",
    "empty": "the reply was empty",
    "empty completion": "it did not finish the sentence",
    "too short": "too short to be an instruction",
    "field markers": "it wrote form markers instead of words",
    "repetitive": "it repeated the same words",
    "incomplete": "it stopped before the instruction",
    "echoed the request": "it repeated our request",
    "code": "it wrote program code, not an instruction",
}


def _made_from(made: dict[str, Any]) -> str:
    """What the candidate was built from, in words."""
    parts = []
    if made.get("form"):
        parts.append(FORM_WORDS.get(made["form"], made["form"]))
    if made.get("grounded_in"):
        parts.append(f"about {made['grounded_in']}")
    elif made.get("tip") and made["tip"] != "none":
        parts.append(f"tip: {made['tip']}")
    if made.get("template"):
        parts.append(f"template: {made['template']}")
    if made.get("demos"):
        parts.append(f"{made['demos']} example rows shown")
    return "; ".join(parts)


def made_rows(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(one row per instruction that says how it was made, one row per dropped draft) from
    the run's latest `proposals` events; ([], []) for runs stored without that record."""
    made, dropped = [], []
    for predictor, offered in latest_proposals(events).items():
        for item in offered.get("instructions", []):
            how = item.get("made")
            if not how:
                continue
            made.append({
                "step": predictor, "#": item["index"],
                "made by": HOW_WORDS.get(how.get("how", ""), how.get("how", "")),
                "from": _made_from(how), "model reply": how.get("reply", ""),
                "data used": how.get("data", ""),
            })  # fmt: skip
        for draft in offered.get("rejected") or []:
            why = str(draft.get("why", ""))
            dropped.append({
                "step": predictor, "model reply": draft.get("reply", ""),
                "why it was dropped": WHY_WORDS.get(why, why), "from": _made_from(draft),
            })  # fmt: skip
    return made, dropped


def proposals_made_view(events: list[dict[str, Any]]) -> None:
    """The expander (nothing for runs stored without the record)."""
    made, dropped = made_rows(events)
    if not made:
        return
    templates = sum(1 for row in made if row["made by"].startswith("built from"))
    with st.expander("How each instruction was made", expanded=False):
        if templates:
            st.caption(
                f"{templates} instruction(s) were built from your data because the proposer "
                "model did not give enough different ones."
            )
        st.dataframe(made, hide_index=True, width="stretch", key="proposals_made")
        if dropped:
            st.markdown(f"**Dropped drafts** ({len(dropped)})")
            st.dataframe(dropped, hide_index=True, width="stretch", key="proposals_dropped")
