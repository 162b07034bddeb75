"""The report the head-to-heads share: the target, the model-work measure and the meter table
(every family), and for the setup families (MIPROv2, GEPA) their cells, tables, target check,
failure and detail lines, and the Markdown body of their results section. A family configures
`SetupReport` with its columns and texts.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.core.common import commit_line, markdown_table, results_file, write_section
from bench.core.meter import Outcome, Phase
from bench.core.parsing import parsing_section, unparsed_cell

TARGET_WALL_RATIO = 0.3
GEN_WEIGHT = 3  # a generated token costs ~3 prompt tokens on this CPU (~100 vs ~300 tok/s)


def work(p: Phase) -> int:
    """Load-independent model cost: prompt tokens really evaluated + 3 × generated tokens."""
    return p.meter.evaluated_prompt_tokens + GEN_WEIGHT * p.meter.completion_tokens


def meter_table(outcomes: list[Outcome]) -> str:
    """The model's own view: calls, reported vs evaluated prompt tokens, model seconds."""
    rows = []
    for o in outcomes:
        for label, p in (("compile", o.compile), ("eval", o.evaluate)):
            m = p.meter
            if not m.calls:
                continue
            reuse = 1 - m.evaluated_prompt_tokens / m.prompt_tokens if m.prompt_tokens else 0.0
            rows.append(
                [
                    o.optimizer,
                    o.framework,
                    label,
                    str(m.calls),
                    str(m.prompt_tokens),
                    str(m.evaluated_prompt_tokens),
                    f"{100 * reuse:.0f}%",
                    str(m.completion_tokens),
                    f"{m.model_seconds:.1f}",
                    f"{p.wall - m.model_seconds:.1f}",
                    f"{p.load[0]:.1f} → {p.load[1]:.1f}",
                ]
            )
    header = [
        "optimizer",
        "framework",
        "phase",
        "model calls",
        "prompt tokens",
        "prompt tokens evaluated",
        "prefix reuse",
        "completion tokens",
        "model s",
        "wall − model s",
        "load avg",
    ]
    return markdown_table(header, rows)


# -- the setup families (MIPROv2, GEPA) ---------------------------------------------------------
def tokens(o: Any, kind: str) -> int:
    return sum(getattr(u, kind) for u in o.roles.values())


def calls(o: Any, role: str) -> int:
    usage = o.roles.get(role)
    return usage.calls if usage else 0


def accuracy_cell(o: Any) -> str:
    if o.failed:
        return "**died** (no program)"
    return "?" if o.accuracy is None else f"{o.accuracy:.1f}%"


def shorten(text: str, limit: int = 240) -> str:
    """Markdown-safe text on one line, at most `limit` characters (the JSON file keeps it all)."""
    flat = " ".join(text.split())
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return flat.replace("`", "\\`").replace("|", "\\|")


def verdict(pairs: list[tuple[Any, Any]]) -> list[str]:
    """The target per setup: total wall ≤ 0.3× DSPy's at equal or better held-out accuracy."""
    lines = []
    for ours, theirs in pairs:
        tag = f"[{ours.setup}] vs {theirs.framework}"
        if ours.failed:
            failure = shorten(ours.failure or "")
            lines.append(f"- {tag}: Tunesmith failed: {failure} → MISSES")
            continue
        if theirs.failed:
            lines.append(
                f"- {tag}: Tunesmith completes (held-out {ours.accuracy:.1f}%, total "
                f"{ours.total_wall:.0f} s); DSPy dies after {theirs.compile.calls} calls / "
                f"{theirs.compile.wall:.0f} s → no ratio (DSPy has no program to score)"
            )
            continue
        assert ours.accuracy is not None and theirs.accuracy is not None
        total = ours.total_wall / theirs.total_wall if theirs.total_wall else float("nan")
        comp = ours.compile.wall / theirs.compile.wall if theirs.compile.wall else float("nan")
        ok = total <= TARGET_WALL_RATIO and ours.accuracy >= theirs.accuracy
        lines.append(
            f"- {tag}: held-out {ours.accuracy:.1f}% vs {theirs.accuracy:.1f}%; "
            f"compile wall {comp:.2f}×; total wall {total:.2f}× → {'meets' if ok else 'MISSES'}"
        )
    return lines


def detail_lines(outcomes: list[Any]) -> list[str]:
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


@dataclass(frozen=True)
class SetupReport:
    """What a setup family's report has of its own; the rest is shared."""

    key: str  # the results file and section key ("mipro", "gepa")
    title: str  # the section title
    label: str  # the optimizer as the meter table names it ("MIPROv2 light")
    header: list[str]
    row: Callable[[Any], list[str]]
    ratio_row: Callable[[Any, Any], list[str]]
    failure_lines: Callable[[list[Any]], list[str]]
    outcome_from: Callable[[dict[str, Any]], Any]
    setup_from: Callable[[dict[str, Any]], Any]
    setup_text: Callable[[dict[str, Any]], str]  # what is measured (seed 0's section)
    reused_why: str  # why a setup's Tunesmith row can be another setup's run
    extra_details: Callable[[list[Any]], list[str]] = lambda outcomes: []

    def setups_text(self, setups: list[Any], saved: dict[str, Any]) -> str:
        """A line per setup, and one per Tunesmith row reused from another setup's run."""
        lines = [f"- **{s.key}**: {s.title} ({s.describe()})" for s in setups]
        for key, source in saved.get("reused", {}).items():
            lines.append(f"- Tunesmith's [{key}] row is its [{source}] run: {self.reused_why}")
        return "\n".join(lines)

    def loaded(self, saved: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        """Outcomes, baselines, pairs and setups of a saved run."""
        outcomes = [self.outcome_from(o) for o in saved["outcomes"]]
        baselines = [outcomes[i] for i in saved["baselines"]]
        pairs = [(outcomes[a], outcomes[b]) for a, b in saved["pairs"]]
        return outcomes, baselines, pairs, [self.setup_from(s) for s in saved["setups"]]

    def baseline_row(self, o: Any) -> list[str]:
        cells = ["zero-shot (no compile)", o.framework, accuracy_cell(o), unparsed_cell(o.rows)]
        cells += ["—"] * (len(self.header) - 6)
        return cells + [f"{o.evaluate.wall:.1f}", f"{o.total_wall:.1f}"]

    def main_table(self, pairs: list[tuple[Any, Any]], baselines: list[Any]) -> str:
        rows: list[list[str]] = [self.baseline_row(b) for b in baselines]
        shown: set[int] = set()
        for ours, theirs in pairs:
            rows += [self.row(o) for o in (ours, theirs) if id(o) not in shown]
            shown |= {id(ours), id(theirs)}
            if not ours.failed and not theirs.failed:
                rows.append(self.ratio_row(ours, theirs))
        return markdown_table(self.header, rows)

    def as_fewshot(self, o: Any) -> Outcome:
        """The few-shot record of `o`, for the meter table."""
        label = "zero-shot" if o.setup == "zero-shot" else f"{self.label} [{o.setup}]"
        return Outcome(o.framework, label, o.accuracy or 0.0, o.compile, o.evaluate, o.demos)

    def report(self, saved: dict[str, Any], *, write: bool) -> None:
        """Print the tables (and write the results section) from a run's saved results."""
        outcomes, baselines, pairs, setups = self.loaded(saved)
        table = self.main_table(pairs, baselines)
        meters = meter_table([self.as_fewshot(o) for o in outcomes])
        checks, failures = verdict(pairs), self.failure_lines(outcomes)
        details = self.extra_details(outcomes) + detail_lines(outcomes)
        parsing = parsing_section(pairs, baselines, lambda o: f"[{o.setup}]")
        print("\n" + table + "\n\n" + meters + "\n\n" + parsing + "\n")
        print("\n".join(failures + details + [""] + checks))
        if write:
            body = doc_body(
                saved, self.setup_text(saved), self.setups_text(setups, saved), table, meters,
                failures, details, checks, outcomes, parsing,
            )  # fmt: skip
            seed = saved["settings"]["seed"]
            key, title = self.key, self.title
            if seed != 0:
                key, title = f"{key}-seed{seed}", f"{title} (data seed {seed})"
            write_section(key, title, body, results_file(self.key))


def setup_or_seed(saved: dict[str, Any], setup_intro: str) -> str:
    """What is measured, in seed 0's section; a line naming the split in another seed's."""
    a = saved["settings"]
    if a["seed"] == 0:
        return setup_intro
    n_train, n_val, n_test = saved["sizes"]
    return (
        f"Setup as in the data seed 0 section; train {n_train} / val {n_val} drawn from "
        f"`train.csv` with seed {a['seed']}, held-out accuracy on {n_test} rows of `test.csv`."
    )


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
    parsing: str = "",
) -> str:
    setup = setup_or_seed(saved, setup_intro)
    return f"""
{commit_line(saved.get("commit"))}

{setup}

**Command:** `{saved["command"]}`

**Machine:** {saved["machine"]}. **Date:** {saved["date"]}. The machine was shared: other
processes ran on its 2 cores (the load averages below), so wall times carry that noise; the
call and token counts do not.

**Setups** (every row names one):

{setups_md}

{table}

{chr(10).join(failures)}

{parsing}

Model-side view (from the meter; "load avg" is the 1-minute load average at the start and end
of each phase):

{meters}

{chr(10).join(details)}

{failure_tails(outcomes)}

### Target (total wall time ≤ {TARGET_WALL_RATIO}× DSPy's at equal or better held-out accuracy)

{chr(10).join(checks)}
"""
