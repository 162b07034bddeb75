"""The MIPROv2 bench's report: tables, the target check and the docs section, from saved results.

Reuses the few-shot report's model-work measure and meter table; adds calls by role, DSPy's
failure (when it died) and the chosen instructions.
"""

from __future__ import annotations

from typing import Any

from bench.core.common import markdown_table, ratio, write_section
from bench.core.data import INSTRUCTIONS, MODEL
from bench.core.h2h_report import doc_body
from bench.core.meter import Outcome
from bench.fewshot.report import TARGET_WALL_RATIO, meter_table, work
from bench.mipro.records import MiproOutcome, Setup, outcome_from, setup_from

Pairs = list[tuple[MiproOutcome, MiproOutcome]]


HEADER = [
    "setup",
    "framework",
    "held-out acc",
    "task calls",
    "proposer calls",
    "prompt tokens",
    "generated tokens",
    "compile model work",
    "compile wall s",
    "eval wall s",
    "total wall s",
]


def tokens(o: MiproOutcome, kind: str) -> int:
    return sum(getattr(u, kind) for u in o.roles.values())


def calls(o: MiproOutcome, role: str) -> int:
    usage = o.roles.get(role)
    return usage.calls if usage else 0


def accuracy_cell(o: MiproOutcome) -> str:
    if o.failed:
        return "**died** (no program)"
    return "?" if o.accuracy is None else f"{o.accuracy:.1f}%"


def row(o: MiproOutcome) -> list[str]:
    eval_wall = "—" if o.failed else f"{o.evaluate.wall:.1f}"
    return [
        o.setup,
        o.framework,
        accuracy_cell(o),
        str(calls(o, "task")),
        str(calls(o, "proposer")),
        str(tokens(o, "prompt_tokens")),
        str(tokens(o, "completion_tokens")),
        str(work(o.compile)),
        f"{o.compile.wall:.1f}",
        eval_wall,
        f"{o.total_wall:.1f}",
    ]


def ratio_row(ours: MiproOutcome, theirs: MiproOutcome) -> list[str]:
    assert ours.accuracy is not None and theirs.accuracy is not None
    return [
        theirs.setup,
        "**ratio T/D**",
        f"{ours.accuracy - theirs.accuracy:+.1f} pts",
        ratio(calls(ours, "task"), calls(theirs, "task")),
        ratio(calls(ours, "proposer"), calls(theirs, "proposer")),
        ratio(tokens(ours, "prompt_tokens"), tokens(theirs, "prompt_tokens")),
        ratio(tokens(ours, "completion_tokens"), tokens(theirs, "completion_tokens")),
        ratio(work(ours.compile), work(theirs.compile)),
        ratio(ours.compile.wall, theirs.compile.wall),
        ratio(ours.evaluate.wall, theirs.evaluate.wall),
        ratio(ours.total_wall, theirs.total_wall),
    ]


def main_table(pairs: Pairs, baselines: list[MiproOutcome]) -> str:
    rows: list[list[str]] = [baseline_row(b) for b in baselines]
    for ours, theirs in pairs:
        rows += [row(ours), row(theirs)]
        if not ours.failed and not theirs.failed:
            rows.append(ratio_row(ours, theirs))
    return markdown_table(HEADER, rows)


def baseline_row(o: MiproOutcome) -> list[str]:
    cells = ["zero-shot (no compile)", o.framework, accuracy_cell(o)]
    cells += ["—"] * 6 + [f"{o.evaluate.wall:.1f}", f"{o.total_wall:.1f}"]
    return cells


def as_fewshot(o: MiproOutcome) -> Outcome:
    """The few-shot report's record of `o`, for its meter table."""
    label = "zero-shot" if o.setup == "zero-shot" else f"MIPROv2 light [{o.setup}]"
    return Outcome(o.framework, label, o.accuracy or 0.0, o.compile, o.evaluate, o.demos)


def failure_lines(outcomes: list[MiproOutcome]) -> list[str]:
    lines = []
    for o in outcomes:
        if o.failed:
            lines.append(
                f"- {o.framework} [{o.setup}] failed: {shorten(o.failure or '', 400)}, after "
                f"{o.compile.calls} "
                f"LM calls ({calls(o, 'task')} task, {calls(o, 'proposer')} proposer) / "
                f"{o.compile.wall:.0f} s"
            )
    return lines


def verdict(pairs: Pairs) -> list[str]:
    """The target per setup: total wall ≤ 0.3× DSPy's at equal or better held-out accuracy."""
    lines = []
    for ours, theirs in pairs:
        if ours.failed:
            failure = shorten(ours.failure or "")
            lines.append(f"- [{ours.setup}] Tunesmith failed: {failure} → MISSES")
            continue
        if theirs.failed:
            lines.append(
                f"- [{ours.setup}] Tunesmith completes (held-out {ours.accuracy:.1f}%, total "
                f"{ours.total_wall:.0f} s); DSPy dies after {theirs.compile.calls} calls / "
                f"{theirs.compile.wall:.0f} s → no ratio (DSPy has no program to score)"
            )
            continue
        assert ours.accuracy is not None and theirs.accuracy is not None
        total = ours.total_wall / theirs.total_wall if theirs.total_wall else float("nan")
        comp = ours.compile.wall / theirs.compile.wall if theirs.compile.wall else float("nan")
        ok = total <= TARGET_WALL_RATIO and ours.accuracy >= theirs.accuracy
        lines.append(
            f"- [{ours.setup}] held-out {ours.accuracy:.1f}% vs {theirs.accuracy:.1f}%; "
            f"compile wall {comp:.2f}×; total wall {total:.2f}× → {'meets' if ok else 'MISSES'}"
        )
    return lines


def shorten(text: str, limit: int = 240) -> str:
    """Markdown-safe text on one line, at most `limit` characters (the JSON file keeps it all)."""
    flat = " ".join(text.split())
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return flat.replace("`", "\\`").replace("|", "\\|")


def detail_lines(outcomes: list[MiproOutcome]) -> list[str]:
    """Notes and the chosen instruction of each compiled program."""
    lines = []
    for o in outcomes:
        if o.setup == "zero-shot":
            continue
        text = f"- {o.framework} [{o.setup}]: "
        if o.failed:
            text += "no program"
        else:
            chosen = " / ".join(f"“{shorten(i)}”" for i in o.instructions)
            text += f"{o.notes}; {o.demos} demos; instruction {chosen}"
        lines.append(text)
    return lines


def loaded(
    saved: dict[str, Any],
) -> tuple[list[MiproOutcome], list[MiproOutcome], Pairs, list[Setup]]:
    outcomes = [outcome_from(o) for o in saved["outcomes"]]
    baselines = [outcomes[i] for i in saved["baselines"]]
    pairs = [(outcomes[a], outcomes[b]) for a, b in saved["pairs"]]
    return outcomes, baselines, pairs, [setup_from(s) for s in saved["setups"]]


def report(saved: dict[str, Any], *, write: bool) -> None:
    """Print the tables (and write the docs section) from a run's saved results."""
    outcomes, baselines, pairs, setups = loaded(saved)
    table = main_table(pairs, baselines)
    meters = meter_table([as_fewshot(o) for o in outcomes])
    checks, failures, details = verdict(pairs), failure_lines(outcomes), detail_lines(outcomes)
    print("\n" + table + "\n\n" + meters + "\n")
    print("\n".join(failures + details + [""] + checks))
    if write:
        body = doc_body(
            saved, setup_text(saved), setups_text(setups, saved), table, meters, failures,
            details, checks, outcomes,
        )  # fmt: skip
        seed = saved["settings"]["seed"]
        key, title = "mipro", 'MIPROv2 (auto="light") vs DSPy on the embedded model'
        if seed != 0:
            key, title = f"mipro-seed{seed}", f"{title} (data seed {seed})"
        write_section(key, title, body)


def setups_text(setups: list[Setup], saved: dict[str, Any]) -> str:
    lines = [f"- **{s.key}**: {s.title} ({s.describe()})" for s in setups]
    reused = saved.get("reused", {})
    for key, source in reused.items():
        lines.append(
            f"- Tunesmith's [{key}] row is its [{source}] run: the setups differ only in what "
            "does not reach Tunesmith (the proposer LM's max_tokens, which its proposer sets per "
            "call, 160 tokens; DSPy's adapter: Tunesmith's proposer reads plain-text replies), "
            "so its run would be the same"
        )
    return "\n".join(lines)


def setup_text(saved: dict[str, Any]) -> str:
    """What is measured (written once, in seed 0's section)."""
    a = saved["settings"]
    n_train, n_val, n_test = saved["sizes"]
    return f"""
**What is measured.** MIPROv2 with `auto="light"` in Tunesmith and in DSPy 3.4.1, same process,
same in-process model ({MODEL}: SmolLM2-135M-Instruct on llama-cpp-python, one lock) as the
task model **and** the proposer (prompt) model: each framework gets two LM objects on that
model, the task LM (temperature 0, max_tokens {a["max_tokens"]}, as the few-shot bench) and the
proposer LM (its max_tokens and MIPROv2's init_temperature, the proposer's sampling temperature,
per setup), caches off.
Data: banking77 six-intent subset ({", ".join(saved["labels"])}); train {n_train} / val
{n_val} drawn from `train.csv` with seed {a["seed"]}; held-out accuracy on a seeded sample of
{n_test} rows of `test.csv`. Signature `text -> category: Literal[...]`, instructions
"{INSTRUCTIONS}", metric exact match. Same settings in both: `MIPROv2(metric, prompt_model=...,
auto="light", max_bootstrapped_demos={a["max_bootstrapped"]},
max_labeled_demos={a["max_labeled"]}, num_threads={a["threads"]}, seed={a["mipro_seed"]},
max_errors=unlimited)`, `compile(student, trainset=train, valset=val,
requires_permission_to_run=False, ...)` with the setup's proposer flags; everything else at
DSPy's defaults (light, with demos: 6 demo sets and 3 instructions per predictor, the original
among them, 10 trials, minibatches of 35 rows when the valset has more than 50, a full
evaluation of the best configuration every 5 trials and at the end). Calls by role are each
framework's own count: Tunesmith's LM ledgers (role "proposer" for the proposer's calls);
DSPy: every call its LM objects record in their history, tallied by the LM object's role,
including the copies of the prompt model that DSPy's proposer calls through
(`prompt_model.copy(rollout_id=...)` starts an empty `history`, so the prompt model's own
history would miss those). Tokens are the prompt and
generated tokens those counts report; "compile model work" = prompt tokens llama.cpp really
evaluated (after prefix reuse) + 3 × generated tokens, from a meter around the model: a
load-independent measure of the model's cost. A compile that raises is caught: the row says
"died", with the calls and seconds it cost, and there is no program to score.

**Why setup "alt" is a lenient adapter.** In setup "same" DSPy's proposer dies with
AdapterParseError: SmolLM2 replies without the `[[ ## proposed_instruction ## ]]` marker, and
the JSON retry fails too. Tried first, on DSPy's grounded proposer alone (banking77 seed 0,
40 train rows, 3 proposals): proposer max_tokens 256, 512 and 1024 all die, with the program
and data descriptions on or off; greedy proposals (init_temperature=0.0) without the program
description complete on stand-in demos but died on the real bootstrapped ones (`--quick`). So
"alt" keeps every setting of "same" and gives DSPy `LenientProposerAdapter`
(bench/mipro/adapter.py): DSPy's ChatAdapter, except that a reply of the prompt model that
does not parse, to a signature with one text output, is taken whole as that output. Task calls
parse as before. Tunesmith's proposer already reads plain-text replies and cleans them, so
nothing changes for it.
"""
