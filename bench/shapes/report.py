"""The shape matrix's report: per-case tables pooled over seeds, the time split, the docs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bench.core.common import commit_line, markdown_table, ratio, results_file, write_section
from bench.core.parsing import GAP_NOTE, gap_split, pct, peer_text, row_stats
from bench.shapes.cases import BY_NAME
from bench.shapes.chain_report import chain_cases, chain_section
from bench.shapes.died import CELL, completed, died, died_cell, died_lines, died_text

TARGET = 0.3
TS, DS = "Tunesmith", "DSPy 3.4.1"
SECTION = "shapes"
TITLE = "Signature-shape matrix vs DSPy on the embedded model"
MULTISTEP = "multistep"  # a run with multi-step cases writes shapes-multistep-<optimizer>
# the default (random search) has no suffix
OPTIMIZER_NAMES = {
    "bootstrap": "BootstrapFewShot",
    "labeled": "LabeledFewShot",
    "knn": "KNNFewShot",
    "knn_once": "KNNFewShot (bootstrap_once)",
    "ensemble": "Ensemble",
    "mipro": "MIPROv2 (light)",
    "gepa": "GEPA",
    "simba": "SIMBA",
    "copro": "COPRO",
}


def paired(legs: list[dict[str, Any]], theirs: str = DS) -> list[dict[str, Any]]:
    """Tunesmith's and the DSPy run `theirs`'s legs whose case and seed completed in both (a run
    cut short leaves one, a leg that died leaves the other alone)."""
    legs = [leg for leg in completed(legs) if leg["framework"] in (TS, theirs)]
    frameworks: dict[tuple[str, int], set[str]] = defaultdict(set)
    for leg in legs:
        frameworks[(leg["case"], leg["seed"])].add(leg["framework"])
    return [leg for leg in legs if len(frameworks[(leg["case"], leg["seed"])]) == 2]


def dspy_runs(legs: list[dict[str, Any]]) -> list[str]:
    """The DSPy runs (one per configuration) in the legs, DSPy's default first."""
    names = dict.fromkeys(leg["framework"] for leg in legs if leg["framework"] != TS)
    return sorted(names, key=lambda name: name != DS)


def pooled(
    legs: list[dict[str, Any]], theirs: str = DS
) -> dict[tuple[str, str], dict[str, float]]:
    """(case, framework) -> sums over the seeds paired with `theirs` (accuracy averaged)."""
    legs = paired(legs, theirs)
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for leg in legs:
        key = (leg["case"], leg["framework"])
        counts[key] += 1
        acc = out[key]
        for name in ("accuracy", "calls", "prompt_tokens", "completion_tokens"):
            acc[name] += leg[name]
        acc["evaluated_prompt_tokens"] += leg["evaluated_prompt_tokens"]
        for name, value in leg["split"].items():
            acc[name] += value
    for key, n in counts.items():
        out[key]["accuracy"] /= n
        out[key]["seeds"] = n
    return out


def cases_in(legs: list[dict[str, Any]]) -> list[str]:
    seen = {leg["case"] for leg in legs}
    return [name for name in BY_NAME if name in seen]


MAIN_HEADER = ["case", "seeds", "held-out T / D", "calls T / D", "prompt tok T / D"]
MAIN_HEADER += ["generated tok T / D", "wall s T / D", "wall ratio", "≤ 0.3×?"]


def results_name(optimizer: str, multistep: bool = False) -> str:
    """The results file of an optimizer's matrix: bench/results/shapes-<optimizer>.md (a run
    with multi-step cases: shapes-multistep-<optimizer>.md, beside the one-step tables)."""
    return f"{SECTION}-{MULTISTEP}-{optimizer}" if multistep else f"{SECTION}-{optimizer}"


def section_key(optimizer: str, multistep: bool = False) -> str:
    """The results section of an optimizer's matrix (random search, the default, has no suffix;
    a run with multi-step cases has its own key)."""
    if multistep:
        return results_name(optimizer, multistep)
    return SECTION if optimizer == "random_search" else f"{SECTION}-{optimizer}"


def main_table(legs: list[dict[str, Any]]) -> str:
    p = pooled(legs)
    rows = []
    for case in cases_in(legs):
        t, d = p.get((case, TS)), p.get((case, DS))
        if not t or not d:
            cells = [died_cell(legs, case, fw) or "completed" for fw in (TS, DS)]
            if any(c.startswith("died") for c in cells):
                rows.append([f"{case} ({BY_NAME[case].shape})", 0, " / ".join(cells)] + [""] * 6)
            continue
        wall_ratio = t["wall"] / d["wall"] if d["wall"] else float("nan")
        rows.append(
            [
                f"{case} ({BY_NAME[case].shape})",
                int(t["seeds"]),
                f"{t['accuracy']:.1f}% / {d['accuracy']:.1f}%",
                f"{int(t['calls'])} / {int(d['calls'])}",
                f"{int(t['prompt_tokens'])} / {int(d['prompt_tokens'])}",
                f"{int(t['completion_tokens'])} / {int(d['completion_tokens'])}",
                f"{t['wall']:.1f} / {d['wall']:.1f}",
                ratio(t["wall"], d["wall"]),
                verdict(wall_ratio, t["accuracy"], d["accuracy"]),
            ]
        )
    return markdown_table(MAIN_HEADER, rows)


def verdict(wall_ratio: float, ours: float, theirs: float) -> str:
    fast = wall_ratio <= TARGET
    good = ours >= theirs
    if fast and good:
        return "yes"
    return "no (" + ", ".join(w for w, bad in (("wall", not fast), ("acc", not good)) if bad) + ")"


def split_table(legs: list[dict[str, Any]]) -> str:
    pools = {fw: pooled(legs, fw) for fw in dspy_runs(legs)}
    first = next(iter(pools.values()), {})  # DSPy's default: Tunesmith's seeds paired with it
    header = ["case", "framework", "wall s", "in model", "prompt s (reused)", "generation s"]
    header += ["model other s", "parse fallbacks", "framework s", "idle s"]
    rows = []
    for case in cases_in(legs):
        for fw in [TS, *pools]:
            s = (first if fw == TS else pools[fw]).get((case, fw))
            if not s:
                continue
            evaluated, total = s["evaluated_prompt_tokens"], s["prompt_tokens"]
            reused = 1 - evaluated / total if total else 0
            share = s["model"] / s["wall"] if s["wall"] else 0
            rows.append(
                [
                    case,
                    fw,
                    f"{s['wall']:.1f}",
                    f"{100 * share:.0f}%",
                    f"{s['prompt']:.1f} ({100 * reused:.0f}% of tokens)",
                    f"{s['generation']:.1f}",
                    f"{s['model_other']:.1f}",
                    f"{int(s['fallbacks'])} ({s['fallback_model_seconds']:.1f} s in model)",
                    f"{s['framework']:.1f}",
                    f"{s['idle']:.1f}",
                ]
            )
    return markdown_table(header, rows)


PEER_HEADER = ["case", "DSPy run", "seeds", "held-out T / D", "D rows unparsed",
               "on the rows D parsed: T / D", "gap = parsing + search", "wall s T / D",
               "wall ratio", "≤ 0.3×?"]  # fmt: skip


def marks_of(legs: list[dict[str, Any]], case: str, framework: str) -> list[list[float]]:
    """A framework's held-out marks on a case, the seeds in order (empty if a leg kept none)."""
    chosen = sorted((g for g in legs if g["case"] == case and g["framework"] == framework),
                    key=lambda g: g["seed"])  # fmt: skip
    if any(not g.get("rows") for g in chosen):
        return []
    return [mark for g in chosen for mark in g["rows"]]


def peer_table(legs: list[dict[str, Any]]) -> str:
    """Tunesmith against every DSPy run (its default and its best-parsing configuration), per
    case, pooled over the seeds both completed: DSPy's parse failures beside its accuracy, and
    the gap split into parsing and search (bench/core/parsing.py)."""
    rows = []
    for theirs in dspy_runs(legs):
        both = paired(legs, theirs)
        p = pooled(legs, theirs)
        for case in cases_in(both):
            t, d = p[(case, TS)], p[(case, theirs)]
            ours_marks, their_marks = marks_of(both, case, TS), marks_of(both, case, theirs)
            stats, split = row_stats(their_marks), gap_split(ours_marks, their_marks)
            on_parsed = gap = "—"
            if split is not None:
                on_parsed = f"{pct(split.ours_on_parsed)} / {pct(split.theirs_on_parsed)}"
                gap = f"{split.gap:+.1f} = {split.parsing:+.1f} parsing, {split.search:+.1f} search"
            wall_ratio = t["wall"] / d["wall"] if d["wall"] else float("nan")
            rows.append([
                case, theirs, int(t["seeds"]), f"{t['accuracy']:.1f}% / {d['accuracy']:.1f}%",
                "—" if stats is None else f"{stats.unparsed}/{stats.rows}", on_parsed, gap,
                f"{t['wall']:.1f} / {d['wall']:.1f}", ratio(t["wall"], d["wall"]),
                verdict(wall_ratio, t["accuracy"], d["accuracy"]),
            ])  # fmt: skip
    return markdown_table(PEER_HEADER, rows)


def seed_table(legs: list[dict[str, Any]]) -> str:
    header = ["case", "seed", "framework", "held-out", "rows unparsed", "calls"]
    header += ["prompt tok (evaluated)", "generated tok", "wall s", "load avg"]
    rows = [
        [
            leg["case"],
            leg["seed"],
            leg["framework"],
            died_text(leg, CELL) if died(leg) else f"{leg['accuracy']:.1f}%",
            unparsed(leg),
            leg["calls"],
            f"{leg['prompt_tokens']} ({leg['evaluated_prompt_tokens']})",
            leg["completion_tokens"],
            f"{leg['split']['wall']:.1f}",
            f"{leg['load'][0]}–{leg['load'][1]}",
        ]
        for leg in sorted(legs, key=lambda g: (list(BY_NAME).index(g["case"]), g["seed"]))
    ]
    return markdown_table(header, rows)


def unparsed(leg: dict[str, Any]) -> str:
    stats = row_stats(leg.get("rows") or [])
    return "—" if stats is None else f"{stats.unparsed}/{stats.rows}"


def machine_line(runs: list[dict[str, Any]]) -> str:
    """The first run's machine, with the Tunesmith commit of each case when runs differ."""
    machine = runs[0]["machine"]
    head, sep, _ = machine.rpartition("Tunesmith at ")
    cases: dict[str, list[str]] = {}
    for run in runs:
        commit = run["machine"].rpartition("Tunesmith at ")[2]
        for leg in run["legs"]:
            if leg["case"] not in cases.setdefault(commit, []):
                cases[commit].append(leg["case"])
    if not sep or len(cases) < 2:
        return machine
    parts = "; ".join(f"{commit} ({', '.join(names)})" for commit, names in cases.items())
    return f"{head}Tunesmith at {parts}"


def report(runs: list[dict[str, Any]], notes: str = "", write: bool = False) -> str:
    """Print (and with `write`, store) the section from one or more saved runs."""
    legs = [leg for run in runs for leg in run["legs"]]
    commands = "\n".join(run["command"] for run in runs)
    first = runs[0]
    commits = ", ".join(dict.fromkeys(str(run.get("commit") or "not recorded") for run in runs))
    body = f"""{commit_line(commits)}

Run on {first["date"]}: {machine_line(runs)}.

```bash
{commands}
```

Settings: {first["settings_text"]}

Pooled over the data seeds that ran in both frameworks (held-out accuracy averaged, everything
else summed). T = Tunesmith, D = DSPy; ratio = Tunesmith / DSPy total wall time (compile +
held-out evaluation).

{main_table(legs)}

{died_lines(legs)}

{chain_section(legs, TS, DS)}
### DSPy's parse failures: its default and its best-parsing configuration

{peer_text(first.get("peer"))}

{GAP_NOTE}

Pooled over the seeds each DSPy run and Tunesmith both completed; T = Tunesmith, D = that DSPy
run; the gap in points.

{peer_table(legs)}

### Where the time goes

Model time is measured around the embedded model's `generate` (every call of both frameworks);
inside it, llama.cpp `decode` batches are split into prompt processing (the prompt tokens
really evaluated; "reused" = the share of prompt tokens served from the KV cache or a saved
prefix) and generation (drafted tokens checked in a batch included); "model other" is the rest
of the call (templating, tokenizing, sampling, prefix copies). Parse fallbacks: how many,
and the model seconds they took (included in the model columns). Between model calls,
the process's CPU time is the framework's own work and the rest is idle (waiting, or the cores
taken by other processes: see the load averages).

{split_table(legs)}

### Per seed

{seed_table(legs)}
"""
    if notes:
        body += "\n" + notes.strip() + "\n"
    print(body)
    if write:
        optimizer = first.get("optimizer", "random_search")
        name = OPTIMIZER_NAMES.get(optimizer)
        title = f"{TITLE}: {name}" if name else TITLE
        multistep = bool(chain_cases(legs))
        key = section_key(optimizer, multistep)
        if multistep:
            title = f"Multi-step programs vs DSPy on the embedded model: {name or optimizer}"
        if first.get("server"):
            title = title.replace("the embedded model", "llama.cpp's server (the same weights)")
            key += "-server"
        path = results_file(results_name(optimizer, multistep))
        write_section(key, title, body, path)
    return body
