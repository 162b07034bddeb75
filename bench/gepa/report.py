"""The GEPA bench's report: its columns and texts on the shared head-to-head report (tables,
target check, failure and detail lines, results section). Adds the metric calls spent against
the budget, the reflections (and how many gave no instruction) and the candidates scored on the
valset.
"""

from __future__ import annotations

from typing import Any

from bench.core.common import ratio
from bench.core.data import INSTRUCTIONS, MODEL
from bench.core.h2h_report import SetupReport, calls, shorten
from bench.core.parsing import peer_text
from bench.gepa.records import GepaOutcome, gepa_outcome_from, gepa_setup_from
from bench.mipro.report import ratio_row as mipro_ratio_row
from bench.mipro.report import row as mipro_row

HEADER = [
    "setup",
    "framework",
    "held-out acc",
    "held-out rows unparsed",
    "task calls",
    "reflection calls",
    "reflections (no instruction)",
    "metric calls / budget",
    "candidates",
    "prompt tokens",
    "generated tokens",
    "compile model work",
    "compile wall s",
    "eval wall s",
    "total wall s",
]


def metric_cell(o: GepaOutcome) -> str:
    used = "?" if o.metric_calls is None else str(o.metric_calls)
    return f"{used} / {o.budget}"


def row(o: GepaOutcome) -> list[str]:
    """MIPROv2's row (the proposer's calls are the reflection's) with GEPA's search columns."""
    cells = mipro_row(o)
    search = [
        f"{o.reflections} ({o.reflections_failed})",
        metric_cell(o),
        str(o.candidates) if not o.failed else "—",
    ]
    return cells[:6] + search + cells[6:]


def ratio_row(ours: GepaOutcome, theirs: GepaOutcome) -> list[str]:
    cells = mipro_ratio_row(ours, theirs)
    metric = ratio(ours.metric_calls or 0, theirs.metric_calls or 0)
    return cells[:6] + ["", metric, ""] + cells[6:]


def failure_lines(outcomes: list[GepaOutcome]) -> list[str]:
    return [
        f"- {o.framework} [{o.setup}] failed: {shorten(o.failure or '', 400)}, after "
        f"{o.compile.calls} LM calls ({calls(o, 'task')} task, {calls(o, 'proposer')} "
        f"reflection), {o.metric_fn_calls} metric calls / {o.compile.wall:.0f} s"
        for o in outcomes
        if o.failed
    ]


def reflection_lines(outcomes: list[GepaOutcome]) -> list[str]:
    """How each run's reflections went: the figure that decides whether a search happened."""
    lines = []
    for o in outcomes:
        if o.setup == "zero-shot":
            continue
        over = (o.metric_calls or 0) - o.budget
        spent = f"{o.metric_calls} of {o.budget} metric calls spent" + (
            f" ({over} over the budget)" if over > 0 else ""
        )
        lines.append(
            f"- {o.framework} [{o.setup}]: {spent}; {o.reflections} reflections, "
            f"{o.reflections_failed} of them gave no instruction; {o.candidates} candidates "
            f"scored on the valset (the student included); metric function called "
            f"{o.metric_fn_calls} times (per-predictor feedback calls included)"
        )
    return lines




REUSED = (
    "the setups differ only in how DSPy parses its reflection LM's reply, which does not reach "
    "Tunesmith (its reflection reads plain text), so its run would be the same"
)


def setup_text(saved: dict[str, Any]) -> str:
    """What is measured (written once, in seed 0's section)."""
    a = saved["settings"]
    n_train, n_val, n_test = saved["sizes"]
    merge = "use_merge=True" if a["use_merge"] else "use_merge=False"
    wording = a.get("instructions", INSTRUCTIONS)
    return f"""
**What is measured.** GEPA in Tunesmith (`engine.GEPA`) and in DSPy 3.4.1 (`dspy.GEPA`, its
search in the `gepa` package), same process, same in-process model ({MODEL}: SmolLM2-135M-Instruct
on llama-cpp-python, one lock) as the task model **and** the reflection model: each framework
gets two LM objects on that model, the task LM (temperature 0, max_tokens {a["max_tokens"]})
and the reflection LM (temperature {a["reflection_temperature"]}, max_tokens
{a["reflection_max_tokens"]}), caches off and empty at the start.
Data: banking77 six-intent subset ({", ".join(saved["labels"])}); train {n_train} (the
reflection minibatches) / val {n_val} (the Pareto set) drawn from `train.csv` with seed
{a["seed"]}; held-out accuracy on a seeded sample of {n_test} rows of `test.csv`. Signature
`text -> category: Literal[...]`, instructions "{wording}". The feedback metric is the same
function in both, `metric(gold, pred, trace=None, pred_name=None, pred_trace=None)`: exact match
on the label with Tunesmith's `ExactMatch` text ("expected 'X', got 'Y'"), returned as a
`ScoreWithFeedback` to Tunesmith and as `dspy.Prediction(score=..., feedback=...)` to DSPy; the
held-out score is plain exact match. Same settings in both: `GEPA(metric, reflection_lm=...,
max_metric_calls={a["max_metric_calls"]}, reflection_minibatch_size={a["minibatch"]},
{merge}, num_threads={a["threads"]}, seed={a["gepa_seed"]}, track_stats=True)`,
`compile(student, trainset=train, valset=val)`; everything else at DSPy's defaults (pareto
candidate selection, round-robin components, skip_perfect_score, at most 5 merges).
"Metric calls / budget" is each framework's own count of metric calls spent (Tunesmith:
distinct (candidate, example) pairs scored; DSPy: `detailed_results.total_metric_calls`); the
metric function is also called for the per-predictor feedback the reflection reads. Tunesmith
never passes the budget (a step that would not fit ends the run; so do 10 iterations in a row that
score nothing new); DSPy's engine checks it before each iteration, so its last one may pass it
(the row then shows more calls than the budget). Calls by
role are each framework's own count: Tunesmith's LM ledgers (role "proposer" for reflection
calls); DSPy: every call its two LM objects record, tallied by the object's role. "Reflections
(no instruction)": reflection steps that asked the reflection LM for an instruction, and how many
got none (Tunesmith: the reply cleaned to nothing usable; DSPy: its engine logged "reflection
failed" after the reply did not parse, twice). Both leave replies that did not parse out of
what the reflection reads (`add_format_failure_as_feedback=False`, the default in both); DSPy
skips an iteration whose minibatch has no parsed reply at all (its notes count them: on this
model most of DSPy's task replies do not parse, as in the few-shot bench). "Compile model
work" = prompt tokens llama.cpp really evaluated (after prefix reuse) + 3 × generated tokens,
from a meter around the model. A compile that raises is caught: the row says "died", with the
calls and seconds it cost.

{peer_text(a.get("peer"))}
"""


GEPA = SetupReport(
    key="gepa",
    title="GEPA vs DSPy on the embedded model",
    label="GEPA",
    header=HEADER,
    row=row,
    ratio_row=ratio_row,
    failure_lines=failure_lines,
    outcome_from=gepa_outcome_from,
    setup_from=gepa_setup_from,
    setup_text=setup_text,
    reused_why=REUSED,
    extra_details=reflection_lines,
)
loaded = GEPA.loaded
report = GEPA.report
