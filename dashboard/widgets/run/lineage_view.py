"""The Run page's view of a GEPA run: the lineage tree and the Pareto matrix."""

from __future__ import annotations

import difflib
import textwrap
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard import safe
from dashboard.glossary import explain, plain_origin
from dashboard.run_data.gepa import (
    LineageNode,
    best_node,
    front_share,
    in_play,
    latest_reflections,
    lineage,
    pareto_matrix,
    proposal_rows,
    step_counts,
    tree_layout,
)
from dashboard.widgets.run.candidate_change import candidate_change
from dashboard.widgets.run.proposals_view import row_height
from engine.runs import example_results

HOVER_WIDTH = 70
HOVER_CHARS = 520  # longer instructions keep their start and their end
HEAD_CHARS = 200
NEW_CHARS = 260


def _short(text: str, limit: int = HOVER_CHARS) -> str:
    """One line of text at most `limit` long: the start, "…", the end (reflections often add
    their newest facts at the end of an instruction)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    if limit < 2 * HEAD_CHARS:
        return text[: limit - 1].rstrip() + "…"
    head = text[:HEAD_CHARS].rsplit(" ", 1)[0]
    tail = text[-(limit - len(head) - 3) :].split(" ", 1)[-1]
    return f"{head} … {tail}"


def _wrapped(text: str, limit: int = HOVER_CHARS) -> str:
    return "<br>".join(textwrap.wrap(safe.html(_short(text, limit)), HOVER_WIDTH)) or "—"


def _added(before: str, after: str) -> str:
    """The words of `after` that `before` lacks, as runs joined by " … "."""
    old, new = before.split(), after.split()
    runs = [
        " ".join(new[j1:j2])
        for tag, _, _, j1, j2 in difflib.SequenceMatcher(
            None, old, new, autojunk=False
        ).get_opcodes()
        if tag in ("insert", "replace")
    ]
    return " … ".join(runs)


def _hover(node: LineageNode, nodes: list[LineageNode], shares: dict[int, int]) -> str:
    lines = [
        f"<b>candidate {node.number}</b>: {100 * node.score:.0f}% on validation, best on "
        f"{shares.get(node.number, 0)} example(s)",
        f"<i>{safe.html(plain_origin(node.origin))}</i>",
    ]
    parent = nodes[node.parents[0]] if node.parents else None
    for path, text in node.instructions.items():
        before = parent.instructions.get(path) if parent else None
        same = before is not None and " ".join(before.split()) == " ".join(text.split())
        tag = f" (as in candidate {parent.number})" if same and parent else ""
        lines.append(f"<b>{safe.html(path)}</b>{tag}: {_wrapped(text)}")
        added = _added(before, text) if before is not None and not same else ""
        if added:
            lines.append(
                f"<b>new since candidate {parent.number}</b>: {_wrapped(added, NEW_CHARS)}"
            )
    if node.feedback:
        lines.append("<b>feedback the reflection read</b>:")
        lines += [f"• {_wrapped(f, 160)}" for f in node.feedback[:4]]
    return "<br>".join(lines)


SCORE_SCALE = [[0.0, "#eef2f7"], [0.5, "#7fa7d9"], [1.0, "#133f7f"]]  # 0% → 100%
DARK_FROM = 0.55  # on colours past this share of the scale, numbers are written in white


def _on_colour(score: float) -> str:
    return "white" if score >= DARK_FROM else "#1f2937"


def lineage_figure(nodes: list[LineageNode], best_hash: str | None = None) -> go.Figure:
    """Candidates placed by generation (x) in a tidy tree (y); edges parent → child; the number
    in each circle, its validation score under it, the best one ringed."""
    xs, ys, leaves = tree_layout(nodes)
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for node in nodes:
        for parent in node.parents:
            edge_x += [xs[parent], xs[node.number], None]
            edge_y += [ys[parent], ys[node.number], None]
    shares = front_share(nodes)
    best = best_node(nodes, best_hash).number
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=edge_x, y=edge_y, mode="lines", line={"color": "#b0b7c3", "width": 2},
            hoverinfo="skip", showlegend=False,
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="markers+text", text=[str(n.number) for n in nodes],
            textposition="middle center",
            textfont={"color": [_on_colour(n.score) for n in nodes], "size": 12},
            marker={
                "size": [36 if n.number == best else 28 for n in nodes], "opacity": 1,
                "color": [100 * n.score for n in nodes], "colorscale": SCORE_SCALE,
                "cmin": 0, "cmax": 100, "showscale": len(nodes) > 1,  # one: its label says it
                "line": {"width": [3.5 if n.number == best else 1 for n in nodes],
                         "color": ["#e8590c" if n.number == best else "#4b5563" for n in nodes]},
                "colorbar": {"title": {"text": "validation %"}, "thickness": 14, "len": 1,
                             "ticksuffix": "%"},
            },
            hovertext=[_hover(n, nodes, shares) for n in nodes], hoverinfo="text", showlegend=False,
        )
    )  # fmt: skip
    for node, x, y in zip(nodes, xs, ys, strict=True):  # the score under each circle
        fig.add_annotation(
            x=x, y=y, text=f"{100 * node.score:.0f}%", showarrow=False,
            yshift=-(30 if node.number == best else 26), font={"color": "#4b5563", "size": 11},
        )  # fmt: skip
    generations = max(xs) if xs else 0
    fig.update_layout(
        height=min(900, 130 + 64 * leaves),
        margin={"l": 10, "r": 10, "t": 20, "b": 40},
        xaxis={
            "title": {"text": "rewrites since your prompt"}, "dtick": 1,
            "zeroline": False, "showgrid": False, "range": [-0.4, generations + 0.4],
        },
        yaxis={"visible": False, "range": [leaves - 0.35, -0.6]},  # reversed: 0 on top
        hoverlabel={"align": "left", "bgcolor": "white", "bordercolor": "#9ca3af",
                    "font": {"size": 12, "color": "#111827"}},
    )  # fmt: skip
    return fig


def pareto_figure(nodes: list[LineageNode], labels: dict[str, str]) -> go.Figure:
    """Validation examples (columns) × candidates (rows); ★ marks the best on each example,
    candidates GEPA still draws parents from are in bold."""
    examples, scores, best = pareto_matrix(nodes)
    playing = in_play(nodes)
    xs = [f"ex {i + 1}" for i in range(len(examples))]
    ys = [
        f"<b>candidate {n.number}</b>" if n.number in playing else f"candidate {n.number}"
        for n in nodes
    ]
    marks = [["★" if flag else "" for flag in row] for row in best]
    hover = [
        [
            f"candidate {n.number} on ex {j + 1}: {100 * scores[i][j]:.0f}%"
            + (" (best)" if best[i][j] else "")
            + f"<br>{_wrapped(labels.get(examples[j], ''), 200)}"
            for j in range(len(examples))
        ]
        for i, n in enumerate(nodes)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=[[100 * v for v in row] for row in scores], x=xs, y=ys, text=marks,
            texttemplate="%{text}", textfont={"size": 14}, colorscale=SCORE_SCALE,
            zmin=0, zmax=100, hovertext=hover, hoverinfo="text", xgap=2, ygap=2,
            colorbar={"title": {"text": "score %"}, "thickness": 14, "ticksuffix": "%"},
        )
    )  # fmt: skip
    fig.update_layout(
        height=max(180, 110 + 34 * len(nodes)),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"title": {"text": "validation row (hover for its input)"}, "side": "bottom"},
        yaxis={"autorange": "reversed"},
        plot_bgcolor="white",
        hoverlabel={"align": "left", "bgcolor": "white", "bordercolor": "#9ca3af",
                    "font": {"size": 12, "color": "#111827"}},
    )  # fmt: skip
    return fig


def _calibration_note(nodes: list[LineageNode]) -> str:
    """Who on the chart is a calibrated copy rather than a rewrite ("" when none is)."""
    notes = []
    for node in (n for n in nodes if n.calibrated and n.parents):
        parent = nodes[node.parents[0]]
        notes.append(
            f"Candidate {node.number} ({100 * node.score:.0f}%) is candidate {parent.number} "
            f"with calibrated choices: the same instruction, with the model's lean toward some "
            f"answers taken off ({100 * (node.score - parent.score):+.0f} pts), not a rewrite."
        )
    return " ".join(notes)


def _caption(steps: list[dict[str, Any]], nodes: list[LineageNode] | None = None) -> str:
    counts = step_counts(steps)
    parts = [
        f"{counts['worse']} did worse than their parent" if counts["worse"] else "",
        f"{counts['unusable']} gave no usable instruction" if counts["unusable"] else "",
        f"{counts['perfect']} skipped (the parent was already perfect on its rows)"
        if counts["perfect"] else "",
        f"{counts['no_room']} beat the parent but the budget had no room to validate it"
        if counts["no_room"] else "",
    ]  # fmt: skip
    rest = "; ".join(p for p in parts if p)
    head = f"{len(steps)} reflection step(s), {counts['kept']} kept"
    head += f": {rest}." if rest else "."
    calibration = _calibration_note(nodes or [])
    if counts["kept"] == 0:
        if calibration:
            return (
                f"{head} No rewrite beat its parent, so no rewritten instruction was kept; "
                f"candidate 0 is your prompt. {calibration}"
            )
        return (
            f"{head} No rewrite beat its parent, so the tree is your prompt alone (candidate "
            "0). A stronger proposer model, more program runs or a metric that explains its "
            "score usually helps."
        )
    return (
        f"{head} Each circle is a kept candidate (0 is your prompt) with its validation score; "
        "darker is better, the ringed one is the best. Lines go from parent to child. Hover a "
        "circle for its instruction and the feedback the reflection read."
        + (f" {calibration}" if calibration else "")
    )


def lineage_view(
    reflections: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
    labels: dict[str, str] | None = None,
    best_hash: str | None = None,
) -> None:
    """Both sections; nothing unless the run made reflections (GEPA). `reflections` are the
    run's `reflection` events; `labels` map validation example ids to their input text;
    `best_hash` is the run's chosen candidate."""
    steps = latest_reflections(reflections)
    if not steps:
        return
    nodes = lineage(steps, candidates, trials)
    if not nodes:
        return
    st.markdown("#### Lineage of the candidates")
    st.caption(_caption(steps, nodes))
    st.plotly_chart(
        lineage_figure(nodes, best_hash), width="stretch", config={"displayModeBar": False},
        key="gepa_lineage",
    )  # fmt: skip
    rewrites_table(proposal_rows(steps, nodes))
    st.markdown("#### Who is best where", help=explain("who is best where"))
    st.caption(
        "Rows: candidates; columns: validation rows. ★ marks the best candidate(s) in each "
        "column (none where every candidate fails). GEPA picks the next candidate to rewrite "
        "from the ones in bold: each is best somewhere and no other is as good everywhere, so "
        "one that wins rows the others miss stays in play even with a lower average."
    )
    st.plotly_chart(
        pareto_figure(nodes, labels or {}), width="stretch", config={"displayModeBar": False},
        key="gepa_pareto",
    )  # fmt: skip
    candidate_change(nodes, best_hash)


def rewrites_table(rows: list[dict[str, Any]]) -> None:
    """Every rewrite the reflection proposed (and every merge), kept or not, with why."""
    if not rows:
        return
    st.markdown("#### Every rewrite tried", help=explain("rewrite"))
    st.caption(
        "Each round, the proposer model read rows a candidate got wrong and wrote a new "
        "instruction; the new one is scored on the same sample of rows as its parent and kept "
        "only when it does better there. *Result* says what became of each."
    )
    st.dataframe(
        rows, hide_index=True, width="stretch",
        row_height=row_height(rows, ("instruction", "result")),
        column_config={
            "round": st.column_config.NumberColumn(width="small"),
            "step": st.column_config.TextColumn(width="small"),
            "instruction": st.column_config.TextColumn(width="medium"),
            "result": st.column_config.TextColumn(width="medium"),
        },
        key="gepa_rewrites",
    )  # fmt: skip


def example_labels(run_id: str, trial_rows: list[dict], db: object) -> dict[str, str]:
    """Validation example id -> its inputs as one line (from the baseline's results)."""
    base = next((t["candidate"] for t in trial_rows if t["subset"] == "val"), None)
    if base is None:
        return {}
    rows = example_results(run_id, candidate=base, subset="val", db_path=db)
    return {r["example_id"]: " · ".join(map(str, (r["inputs"] or {}).values())) for r in rows}


def reflection_run_view(view: Any) -> None:
    """The Run page's view of GEPA's `reflection` events (`run_view.VIEWS`)."""
    labels = example_labels(view.run_id, view.trials, view.db)
    lineage_view(view.events, view.candidates, view.trials, labels, view.run.get("best_candidate"))
