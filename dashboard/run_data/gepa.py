"""Shapes a GEPA run for the Run page: the lineage tree (candidates, parent → child edges,
validation scores, what the reflection read) and the Pareto matrix (validation examples ×
candidates, who is best where). Pure functions over the store's rows (no Streamlit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.glossary import dropped_replies, plain_drop
from engine.runs import is_calibration, percent

FULL_SUBSETS = ("val", "full")
TIE = 1e-9


@dataclass
class LineageNode:
    """One candidate of the pool: kept by GEPA, so it has a full validation score."""

    number: int  # 0 = the student as given, then in the order they were kept
    hash: str
    parents: list[int]
    score: float
    depth: int
    origin: str
    instructions: dict[str, str]
    feedback: list[str] = field(default_factory=list)  # what the reflection read
    example_scores: dict[str, float] = field(default_factory=dict)

    @property
    def calibrated(self) -> bool:
        """A choice-calibration copy of its parent (same prompt, answers' lean taken off), not
        a rewrite by the reflection."""
        return is_calibration(self.origin)


def latest_reflections(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `reflection` events' payloads, the last one per iteration (a resumed run may have
    announced an iteration twice), in iteration order."""
    by_iteration: dict[int, dict[str, Any]] = {}
    for event in events:
        data = event.get("data", event)
        by_iteration[int(data.get("iteration", 0))] = data
    return [by_iteration[k] for k in sorted(by_iteration)]


def _instructions(state: dict[str, Any]) -> dict[str, str]:
    out = {}
    for path, predictor in (state or {}).items():
        if isinstance(predictor, dict) and isinstance(predictor.get("signature"), dict):
            out[path] = str(predictor["signature"].get("instructions", ""))
    return out


def _feedback_by_child(reflections: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for data in reflections:
        child = data.get("child")
        if not child or not data.get("accepted"):
            continue
        notes = [
            str(record.get("feedback", ""))
            for records in (data.get("records") or {}).values()
            for record in records
        ]
        if data.get("kind") == "merge":
            notes = [f"merge of candidates {', '.join(map(str, data.get('parent_indices', [])))}"]
        out[child] = notes
    return out


def lineage(
    reflections: list[dict[str, Any]],
    candidates: list[dict[str, Any]],
    trials: list[dict[str, Any]],
) -> list[LineageNode]:
    """The pool as a tree: every candidate with a full validation trial, in the order they
    got it (the first is the student as given)."""
    by_hash = {c["hash"]: c for c in candidates}
    feedback = _feedback_by_child(reflections)
    nodes: list[LineageNode] = []
    number_of: dict[str, int] = {}
    for trial in sorted(trials, key=lambda t: t["number"]):
        cand = trial["candidate"]
        if trial["subset"] not in FULL_SUBSETS or cand in number_of:
            continue
        record = by_hash.get(cand, {})
        parents = [number_of[p] for p in record.get("parents") or [] if p in number_of]
        depth = 1 + max((nodes[p].depth for p in parents), default=-1)
        number_of[cand] = len(nodes)
        nodes.append(
            LineageNode(
                number=len(nodes), hash=cand, parents=parents, score=float(trial["score"] or 0),
                depth=depth, origin=record.get("origin", ""),
                instructions=_instructions(record.get("state") or {}),
                feedback=feedback.get(cand, []),
                example_scores=dict(trial.get("example_scores") or {}),
            )
        )  # fmt: skip
    return nodes


def best_node(nodes: list[LineageNode], best_hash: str | None = None) -> LineageNode:
    """The run's chosen candidate when it is in the pool, else the top validation score (ties:
    the earliest), so the ring, the picker and the run's headline name the same candidate."""
    for node in nodes:
        if best_hash and node.hash == best_hash:
            return node
    return max(nodes, key=lambda n: (n.score, -n.number))


Matrix = tuple[list[str], list[list[float]], list[list[bool]]]


def pareto_matrix(nodes: list[LineageNode]) -> Matrix:
    """(example ids, scores[candidate][example], best[candidate][example]): best marks the
    candidates with the top score on each validation example. An example every candidate
    fails (top score 0) has no best."""
    examples = list(dict.fromkeys(i for n in nodes for i in n.example_scores))
    scores = [[n.example_scores.get(i, 0.0) for i in examples] for n in nodes]
    tops = [max((row[j] for row in scores), default=0.0) for j in range(len(examples))]
    best = [
        [tops[j] > TIE and row[j] >= tops[j] - TIE for j in range(len(examples))] for row in scores
    ]
    return examples, scores, best


def front_share(nodes: list[LineageNode]) -> dict[int, int]:
    """How many validation examples each candidate is best on (ties count for each)."""
    _, _, best = pareto_matrix(nodes)
    return {n.number: sum(flags) for n, flags in zip(nodes, best, strict=True)}


def in_play(nodes: list[LineageNode]) -> set[int]:
    """The candidates GEPA draws parents from (as engine.optimizers.gepa._pool does): best on
    some validation example, and not dominated by another such candidate (as good everywhere
    and better somewhere; of exact equals, the earliest stays)."""
    examples, scores, _ = pareto_matrix(nodes)
    tops = [max((row[j] for row in scores), default=0.0) for j in range(len(examples))]
    front = {
        i for i, row in enumerate(scores)
        if any(row[j] >= tops[j] - TIE for j in range(len(examples)))
    }  # fmt: skip

    def dominates(a: int, b: int) -> bool:
        pairs = list(zip(scores[a], scores[b], strict=True))
        if all(abs(x - y) <= TIE for x, y in pairs):
            return a < b
        return all(x >= y - TIE for x, y in pairs) and any(x > y + TIE for x, y in pairs)

    return {nodes[b].number for b in front if not any(dominates(a, b) for a in front if a != b)}


def step_counts(steps: list[dict[str, Any]]) -> dict[str, int]:
    """What became of the reflection steps: `kept` (beat the parent on its minibatch and was
    scored on the validation rows), `worse` (the child did not beat its parent), `unusable`
    (the reflection gave no usable instruction), `perfect` (skipped: the parent was already
    perfect on its minibatch), `no_room` (beat the parent, but no budget left to validate)."""
    counts = dict.fromkeys(("kept", "worse", "unusable", "perfect", "no_room"), 0)
    for step in steps:
        if step.get("accepted"):
            counts["kept" if "child_index" in step else "no_room"] += 1
        elif step.get("child"):
            counts["worse"] += 1
        elif "perfect" in str(step.get("skipped", "")):
            counts["perfect"] += 1
        else:
            counts["unusable"] += 1
    return counts


def tree_layout(nodes: list[LineageNode]) -> tuple[list[float], list[float], int]:
    """(x, y, leaves): x is the generation; y places each candidate's descendants in a band of
    their own with the candidate centred on its children (a tidy tree along each node's first
    parent; a merge's second parent gets an edge but no band)."""
    children: dict[int, list[int]] = {n.number: [] for n in nodes}
    roots = []
    for node in nodes:
        if node.parents:
            children[node.parents[0]].append(node.number)
        else:
            roots.append(node.number)
    ys: dict[int, float] = {}
    next_row = 0

    def place(number: int) -> float:
        nonlocal next_row
        kids = [place(k) for k in children[number]]
        if kids:
            ys[number] = (kids[0] + kids[-1]) / 2
        else:
            ys[number], next_row = float(next_row), next_row + 1
        return ys[number]

    for root in roots:
        place(root)
    return [float(n.depth) for n in nodes], [ys[n.number] for n in nodes], max(next_row, 1)


def _pct(score: Any) -> str:
    return percent(float(score or 0))


def _dropped(step: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(step path, reply, why) for each reply dropped in a reflection step (older stores, which
    kept only counts: one line per reason)."""
    out = []
    for path, cleaning in (step.get("cleaning") or {}).items():
        cleaning = cleaning or {}
        replies = dropped_replies(cleaning.get("rejected"), cleaning.get("dropped"))
        out += [(path, reply, why) for reply, why in replies]
    return out


def proposal_rows(
    steps: list[dict[str, Any]], nodes: list[LineageNode]
) -> list[dict[str, Any]]:
    """Every instruction the reflection proposed (and every merge tried), kept or not, with
    why, from the `reflection` events: round, step, instruction, result."""
    number_of = {n.hash: n.number for n in nodes}
    rows: list[dict[str, Any]] = []
    for step in steps:
        rnd, parent = step.get("iteration"), step.get("parent_index")
        n = len(step.get("minibatch") or [])
        if step.get("kind") == "merge":
            pair = " and ".join(map(str, step.get("parent_indices") or []))
            rows.append({
                "round": rnd, "step": "all", "instruction": f"(candidates {pair} combined)",
                "result": _verdict(step, number_of, f"the better of candidates {pair}", n),
            })  # fmt: skip
            continue
        for path, text, why in _dropped(step):
            rows.append({
                "round": rnd, "step": path, "instruction": text,
                "result": f"dropped before scoring: {plain_drop(why)}",
            })  # fmt: skip
        if "perfect" in str(step.get("skipped", "")):
            rows.append({
                "round": rnd, "step": ", ".join(step.get("predictors") or []),
                "instruction": "(no rewrite)",
                "result": f"not needed: candidate {parent} already got all {n} sampled rows "
                "right",
            })  # fmt: skip
            continue
        for path, text in (step.get("instructions") or {}).items():
            rows.append({
                "round": rnd, "step": path, "instruction": text,
                "result": _verdict(step, number_of, f"its parent (candidate {parent})", n),
            })  # fmt: skip
    return rows


def _verdict(step: dict[str, Any], number_of: dict[str, int], rival: str, n: int) -> str:
    child, parent = _pct(step.get("child_score")), _pct(step.get("parent_score"))
    if step.get("accepted"):
        kept = number_of.get(str(step.get("child")))
        if kept is not None:
            return (
                f"kept as candidate {kept}: {child} against {parent} for {rival} on {n} "
                "sampled rows"
            )
        return (
            f"beat {rival} on {n} sampled rows ({child} against {parent}), but the budget ended "
            "before it could be scored on all the validation rows"
        )
    if step.get("child") is None:
        return "not scored"
    return f"lost: {child} on {n} sampled rows, {rival} {parent} on the same rows"
