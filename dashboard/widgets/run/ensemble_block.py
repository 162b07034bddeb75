"""Run page: "Make an ensemble of the top 5" — the run's best candidates as one program that
answers by majority vote, downloadable as program JSON (no LM call to build it)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.glossary import plain_origin
from engine.runs import export_ensemble_json, top_candidates

TOP_K = 5


def ensemble_block(run_id: str, run: dict[str, Any], db: Any) -> None:
    """The button, then the members and the download (kept for this run in the session)."""

    key = f"ensemble_{run_id}"
    with st.container(border=True):
        st.markdown("**Ensemble**")
        st.caption(
            f"Combine the {TOP_K} best candidate prompts into one program: each answers, the "
            f"majority wins. Costs up to {TOP_K} model calls per input; building it costs none."
        )
        if st.button(
            f"Make an ensemble of the top {TOP_K}",
            key="make_ensemble",
            icon=":material/groups:",
        ):
            with ui.friendly_errors("Making the ensemble"):
                members = top_candidates(run_id, TOP_K, db)
                if len(members) < 2:
                    st.session_state[key] = {"error": "fewer than 2 candidates were scored"}
                else:
                    st.session_state[key] = {
                        "members": members,
                        "json": export_ensemble_json(run_id, TOP_K, db),
                    }
        made = st.session_state.get(key)
        if not made:
            return
        if made.get("error"):
            st.info(f"No ensemble: {made['error']} on validation rows.", icon=":material/info:")
            return
        members = made["members"]
        st.success(f"Ensemble of {len(members)} candidates.", icon=":material/check_circle:")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "candidate": m["hash"],
                        "how it was made": plain_origin(m["origin"]),
                        "val score": m["score"],
                    }
                    for m in members
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        slug = re.sub(r"[^a-z0-9]+", "_", str(run.get("name", "")).lower()).strip("_")
        st.download_button(
            "Download the ensemble (JSON)",
            made["json"].encode("utf-8"),
            file_name=f"{slug or 'program'}_ensemble.json",
            mime="application/json",
            key="dl_ensemble",
            on_click="ignore",
            icon=":material/download:",
        )
        st.caption(
            "Load it with `from engine.runs.export._ensemble import ensemble_skeleton; "
            f"ensemble_skeleton(spec, {len(members)}).load(path)`; in DSPy, into "
            f"`dspy.Ensemble(reduce_fn=dspy.majority).compile([...{len(members)} programs])`."
        )
