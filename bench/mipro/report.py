"""The MIPROv2 bench's report: its columns (calls by role), DSPy's failure (when it died) and its
texts; tables, target check and results section are the shared head-to-head report's.
"""

from __future__ import annotations

from typing import Any

from bench.core.common import ratio
from bench.core.data import INSTRUCTIONS, MODEL
from bench.core.h2h_report import SetupReport, accuracy_cell, calls, shorten, tokens, work
from bench.core.parsing import peer_text, unparsed_cell
from bench.mipro.records import MiproOutcome, outcome_from, setup_from

HEADER = [
    "setup",
    "framework",
    "held-out acc",
    "held-out rows unparsed",
    "task calls",
    "proposer calls",
    "prompt tokens",
    "generated tokens",
    "compile model work",
    "compile wall s",
    "eval wall s",
    "total wall s",
]


def row(o: MiproOutcome) -> list[str]:
    eval_wall = "—" if o.failed else f"{o.evaluate.wall:.1f}"
    return [
        o.setup,
        o.framework,
        accuracy_cell(o),
        "—" if o.failed else unparsed_cell(o.rows),
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
        f"**ratio T/D** (D: {theirs.framework})",
        f"{ours.accuracy - theirs.accuracy:+.1f} pts",
        "",
        ratio(calls(ours, "task"), calls(theirs, "task")),
        ratio(calls(ours, "proposer"), calls(theirs, "proposer")),
        ratio(tokens(ours, "prompt_tokens"), tokens(theirs, "prompt_tokens")),
        ratio(tokens(ours, "completion_tokens"), tokens(theirs, "completion_tokens")),
        ratio(work(ours.compile), work(theirs.compile)),
        ratio(ours.compile.wall, theirs.compile.wall),
        ratio(ours.evaluate.wall, theirs.evaluate.wall),
        ratio(ours.total_wall, theirs.total_wall),
    ]


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


REUSED = (
    "the setups differ only in what does not reach Tunesmith (the proposer LM's max_tokens, "
    "which its proposer sets per call, 160 tokens; DSPy's adapter: Tunesmith's proposer reads "
    "plain-text replies), so its run would be the same"
)


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
"alt" keeps every setting of "same" and gives DSPy `LenientProposerParse`
(bench/mipro/adapter.py) before its adapter: a reply of the prompt model that does not
parse, to a signature with one text output, is taken whole as that output. Task calls
parse as before. Tunesmith's proposer already reads plain-text replies and cleans them, so
nothing changes for it. In a DSPy configuration other than its default, the same lenient rule
sits before that configuration's adapter (prompt-model calls then use its format too).

{peer_text(a.get("peer"))}
"""


MIPRO = SetupReport(
    key="mipro",
    title='MIPROv2 (auto="light") vs DSPy on the embedded model',
    label="MIPROv2 light",
    header=HEADER,
    row=row,
    ratio_row=ratio_row,
    failure_lines=failure_lines,
    outcome_from=outcome_from,
    setup_from=setup_from,
    setup_text=setup_text,
    reused_why=REUSED,
)
loaded = MIPRO.loaded
report = MIPRO.report
