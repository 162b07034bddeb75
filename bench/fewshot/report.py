"""The few-shot bench's report: tables, target checks and the results section, from a run."""

from typing import Any

from bench.core.common import commit_line, markdown_table, ratio, results_file, write_section
from bench.core.data import INSTRUCTIONS, MODEL
from bench.core.h2h_report import TARGET_WALL_RATIO, meter_table, setup_or_seed, work
from bench.core.meter import Outcome, phase_from
from bench.core.parsing import parsing_section, peer_of, peer_text, unparsed_cell

# -- report ----------------------------------------------------------------------------------
HEADER = [
    "optimizer",
    "framework",
    "held-out acc",
    "held-out rows unparsed",
    "compile LM calls",
    "compile tokens",
    "compile model work",
    "compile wall s",
    "eval LM calls",
    "eval model work",
    "eval wall s",
    "total wall s",
]
def row(o: Outcome) -> list[str]:
    total = o.compile.wall + o.evaluate.wall
    return [
        o.optimizer,
        o.framework,
        f"{o.accuracy:.1f}%",
        unparsed_cell(o.rows),
        str(o.compile.calls),
        str(o.compile.tokens),
        str(work(o.compile)),
        f"{o.compile.wall:.1f}",
        str(o.evaluate.calls),
        str(work(o.evaluate)),
        f"{o.evaluate.wall:.1f}",
        f"{total:.1f}",
    ]


def ratio_row(ours: Outcome, theirs: Outcome) -> list[str]:
    return [
        ours.optimizer,
        f"**ratio T/D** (D: {theirs.framework})",
        f"{ours.accuracy - theirs.accuracy:+.1f} pts",
        "",
        ratio(ours.compile.calls, theirs.compile.calls),
        ratio(ours.compile.tokens, theirs.compile.tokens),
        ratio(work(ours.compile), work(theirs.compile)),
        ratio(ours.compile.wall, theirs.compile.wall),
        ratio(ours.evaluate.calls, theirs.evaluate.calls),
        ratio(work(ours.evaluate), work(theirs.evaluate)),
        ratio(ours.evaluate.wall, theirs.evaluate.wall),
        ratio(ours.compile.wall + ours.evaluate.wall, theirs.compile.wall + theirs.evaluate.wall),
    ]


def main_table(pairs: list[tuple[Outcome, Outcome]], baselines: list[Outcome]) -> str:
    rows: list[list[str]] = [row(b) for b in baselines]
    shown: set[int] = set()
    for ours, theirs in pairs:
        for o in (ours, theirs):
            if id(o) not in shown:
                rows.append(row(o))
                shown.add(id(o))
        rows.append(ratio_row(ours, theirs))
    return markdown_table(HEADER, rows)


def verdict(pairs: list[tuple[Outcome, Outcome]]) -> list[str]:
    """The target, read both ways: the optimizer's wall time (compile) and the whole job's
    (compile + held-out evaluation), each ≤ 0.3× DSPy's at equal or better held-out accuracy."""
    lines = []
    for ours, theirs in pairs:
        comp = ours.compile.wall / theirs.compile.wall if theirs.compile.wall else float("nan")
        total_ours = ours.compile.wall + ours.evaluate.wall
        total_theirs = theirs.compile.wall + theirs.evaluate.wall
        total = total_ours / total_theirs if total_theirs else float("nan")
        model = work(ours.compile) / work(theirs.compile) if work(theirs.compile) else float("nan")
        acc_ok = ours.accuracy >= theirs.accuracy

        def mark(ratio_value: float) -> str:
            return "meets" if ratio_value <= TARGET_WALL_RATIO and acc_ok else "MISSES"

        lines.append(
            f"- {ours.optimizer} vs {theirs.framework}: held-out {ours.accuracy:.1f}% vs "
            f"{theirs.accuracy:.1f}%; "
            f"compile wall {comp:.2f}× (model work {model:.2f}×) → {mark(comp)}; "
            f"total wall {total:.2f}× → {mark(total)}"
        )
    return lines


def outcome_from(data: dict[str, Any]) -> Outcome:
    return Outcome(
        data["framework"],
        data["optimizer"],
        data["accuracy"],
        phase_from(data["compile"]),
        phase_from(data["evaluate"]),
        data["demos"],
        data.get("notes", ""),
        peer_of(data),
        data.get("rows", []),
    )


def label(o: Outcome) -> str:
    return "zero-shot" if o.optimizer.startswith("zero-shot") else o.optimizer


def report(saved: dict[str, Any], *, write: bool) -> None:
    """Print the tables (and write the results section) from a run's saved results."""
    outcomes = [outcome_from(o) for o in saved["outcomes"]]
    baselines = [outcomes[i] for i in saved["baselines"]]
    pairs = [(outcomes[a], outcomes[b]) for a, b in saved["pairs"]]
    table, meters, checks = main_table(pairs, baselines), meter_table(outcomes), verdict(pairs)
    parsing = parsing_section(pairs, baselines, label)
    print("\n" + table + "\n\n" + meters + "\n\n" + parsing + "\n\n" + "\n".join(checks))
    for o in outcomes:
        if o.notes:
            print(f"- {o.framework} {o.optimizer}: {o.notes}")
    if write:
        body = doc_body(saved, table, meters, checks, outcomes, parsing)
        seed = saved["settings"]["seed"]
        key, title = "fewshot", "Few-shot optimizers vs DSPy on the embedded model"
        if seed != 0:  # other data seeds get their own section
            key, title = f"fewshot-seed{seed}", f"{title} (data seed {seed})"
        write_section(key, title, body, results_file("fewshot"))


def doc_body(
    saved: dict[str, Any],
    table: str,
    meters: str,
    checks: list[str],
    outcomes: list[Outcome],
    parsing: str,
) -> str:
    notes = "\n".join(f"- {o.framework}, {o.optimizer}: {o.notes}" for o in outcomes if o.notes)
    setup = setup_or_seed(saved, setup_text(saved))
    return f"""
{commit_line(saved.get("commit"))}

{setup}

**Command:** `{saved["command"]}`

**Machine:** {saved["machine"]}. **Date:** {saved["date"]}.

{table}

{parsing}

Model-side view (from the meter). "load avg" is the machine's 1-minute load average at the start
and end of each phase: other processes shared the 2 cores during the run, which slows the model
by a varying factor, so wall times carry that noise; the token counts do not.

{meters}

{notes}

### Target (wall time ≤ {TARGET_WALL_RATIO}× DSPy's at equal or better held-out accuracy)

{chr(10).join(checks)}
"""


def setup_text(saved: dict[str, Any]) -> str:
    """What is measured and where the difference comes from (written once, in seed 0's section)."""
    a = saved["settings"]
    n_train, n_val, n_test = saved["sizes"]
    weights = saved.get("weights") or "weights not recorded"
    return f"""
**What is measured.** BootstrapFewShot and BootstrapFewShotWithRandomSearch in Tunesmith and in
DSPy 3.4.1, same process, same in-process model ({MODEL}: SmolLM2-135M-Instruct, `{weights}`, on
llama-cpp-python, 2 threads, one lock; DSPy reaches it with `dspy.LM("{MODEL}",
engine="litellm")` through Tunesmith's registered litellm provider), temperature 0,
max_tokens {a["max_tokens"]}, caches off in both. Data: banking77 six-intent subset
({", ".join(saved["labels"])}); train {n_train} / val {n_val} drawn from
`train.csv` with seed {a["seed"]}; held-out accuracy on a seeded sample of {n_test}
rows of `test.csv`. Signature `text -> category: Literal[...]`, instructions "{INSTRUCTIONS}",
metric exact match. Settings in both: max_bootstrapped_demos={a["max_bootstrapped"]},
max_labeled_demos={a["max_labeled"]}, num_candidate_programs={a["candidates"]},
num_threads={a["threads"]} (the model serves one call at a time either way), max_errors
unlimited (a failed example scores 0; DSPy's default of 10 would abort the zero-shot runs).
Tunesmith's BootstrapFewShot is compiled without a valset, like DSPy's, which takes none (given
one, Tunesmith also scores the baseline and the result on it: `--ts-bfs-valset both` adds that
row). Tunesmith's random search races candidates (its default, `race=True`): a candidate stops
being scored once it can no longer beat the best, which never changes the chosen program. \
LM calls and tokens are each framework's own count (DSPy:
`lm.history`; Tunesmith: the LM's usage ledger); "prompt tokens evaluated" comes from a meter
around the model and counts the prompt tokens llama.cpp really processed after reusing the
previous call's prefix. "model work" = prompt tokens evaluated + 3 × generated tokens: a rough,
load-independent measure of the model's cost (measured here: prompt 180-210 tokens/s in one
batch, generation 72-87 tokens/s, depending on the host's load; short prompt suffixes cost more
per token than one long batch). It
counts every generated token as decoded one at a time, so it overstates Tunesmith's cost, whose
drafted tokens are checked in a batch (see (4) below).

**Where the difference comes from** (the meter table shows each part): (1) the chat adapter
asks for the outputs at the end of the system message, not after the inputs, so all calls of one
candidate share their prompt up to the customer's message and llama.cpp re-reads only that
(prefix reuse ~90-97% vs ~72-84%); the last user message then looks like the demos' user
messages, which also scores better with this model (docs/design/DEVIATIONS.md, 6);
(2) on the embedded model it stops generation at the first blank line after a one-line answer
(fewer generated tokens per call; a generated token costs several prompt tokens); (3) fewer
calls: no JSON fallback call when the reply kept the format but named an invalid label (it
repeats the label), nor for a prompt whose first 5 fallback calls all failed (the zero-shot
candidate: none of SmolLM2's parsed), and random search races its candidates; BootstrapFewShot
does no scoring without a valset; (4) the chat adapter sends the embedded model reply drafts
(the output header, then each label), which it checks in one batch instead of writing them
token by token (2-3 model passes per reply instead of ~13; DSPy sends none, so its calls decode
token by token), the header as the reply's start, so a reply cannot skip the format, and marks
the labels as the only replies allowed, so an answer is always a valid label (no parse failures
and no fallback calls; zero-shot and bootstrapped demos score higher);
(5) its batches for the embedded model run on one thread (the model serves one call at a time
anyway), so a parse-fallback call follows the call it retries and shares its prompt. Both
frameworks call the same provider, so its thread choice, llama.cpp's prefix cache and the saved
prompt prefixes (a prefix another prompt displaced is copied back instead of re-read) help
both; the saved prefixes help DSPy more, whose 4 threads interleave calls of different prompts.

{peer_text(a.get("peer"))}
"""
