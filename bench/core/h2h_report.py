"""The Markdown body both optimizer head-to-heads write into docs/BENCHMARKS.md (MIPROv2,
GEPA): setup, command, machine, setups, tables, details, failures and the target check."""

from typing import Any

from bench.fewshot.report import TARGET_WALL_RATIO


def failure_tails(outcomes: list[Any]) -> str:
    parts = []
    for o in outcomes:
        if o.failed and o.failure_tail:
            parts.append(
                f"{o.framework} [{o.setup}], the traceback's end:\n\n~~~\n{o.failure_tail}\n~~~"
            )
    return "\n\n".join(parts)


def doc_body(
    saved: dict[str, Any],
    setup_intro: str,
    setups_md: str,
    table: str,
    meters: str,
    failures: list[str],
    details: list[str],
    checks: list[str],
    outcomes: list[Any],
) -> str:
    a = saved["settings"]
    n_train, n_val, n_test = saved["sizes"]
    setup = (
        setup_intro
        if a["seed"] == 0
        else (
            f"Setup as in the data seed 0 section; train {n_train} / val {n_val} drawn from "
            f"`train.csv` with seed {a['seed']}, held-out accuracy on {n_test} rows of `test.csv`."
        )
    )
    return f"""
{setup}

**Command:** `{saved["command"]}`

**Machine:** {saved["machine"]}. **Date:** {saved["date"]}. The machine was shared: other
processes ran on its 2 cores (the load averages below), so wall times carry that noise; the
call and token counts do not.

**Setups** (every row names one):

{setups_md}

{table}

{chr(10).join(failures)}

Model-side view (from the meter; "load avg" is the 1-minute load average at the start and end
of each phase):

{meters}

{chr(10).join(details)}

{failure_tails(outcomes)}

### Target (total wall time ≤ {TARGET_WALL_RATIO}× DSPy's at equal or better held-out accuracy)

{chr(10).join(checks)}
"""
