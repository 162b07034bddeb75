"""DSPy's parse failures and where an accuracy gap comes from: the records and the report lines.

Plain data (no dspy, no engine), so a report can be rebuilt from a saved `--json` file. The
counts come from `bench.core.peer.install_parse_tally()`; the held-out rows' marks from each
framework's Evaluate results (`row_marks`): per row, whether the prediction has every output
field, and its score.

The gap between Tunesmith's and DSPy's held-out accuracy on the same N rows splits exactly in
two (`gap_split`): the rows DSPy could not parse (DSPy scores 0 there; what Tunesmith scores on
them is the **parsing** part) and the rows DSPy parsed (the difference of the two frameworks'
scores there is what their prompts and search did: the **search** part).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from bench.core.common import markdown_table

# DSPy's adapter configurations (built in bench/core/peer.py), as the reports name them
CONFIG_TITLES = {
    "chat": "ChatAdapter, DSPy's default (a reply that does not parse is asked again as JSON)",
    "chat-noretry": "ChatAdapter(use_json_adapter_fallback=False)",
    "json": "JSONAdapter (the reply is a JSON object)",
    "xml": "XMLAdapter (fields as XML tags; JSON retry as ChatAdapter)",
    "baml": "BAMLAdapter (JSON with a compact schema)",
    "lenient": "the bench's ChatAdapter that reads an unmarked reply's first line as the answer",
}


def peer_text(configs: list[str] | None) -> str:
    """What the DSPy rows' configurations are (a paragraph for a section's setup text)."""
    names = configs or ["chat"]
    listed = "; ".join(f"`{n}`: {CONFIG_TITLES.get(n, n)}" for n in names)
    return (
        "**DSPy's configurations.** Each DSPy row names the adapter its calls ran in "
        f"(`dspy.context(adapter=...)` around its compile and evaluation): {listed}. A row "
        "without a name ran DSPy's default. Besides its default, DSPy runs in the configuration "
        "that parses best on this model (`bench.core.peer.BEST`, chosen with "
        "`python -m bench.core.peer_choice` on banking77 train.csv rows; bench/DATA.md), so the "
        "gap to Tunesmith is not only replies DSPy cannot read."
    )


@dataclass
class ParseCounts:
    """DSPy's replies of one role: how many, how many did not parse, the JSON retries, and the
    predictions left without their output fields (every attempt failed)."""

    replies: int = 0
    failed_replies: int = 0
    retries: int = 0
    predictions: int = 0
    failed_predictions: int = 0

    def __sub__(self, other: ParseCounts) -> ParseCounts:
        return ParseCounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    def __add__(self, other: ParseCounts) -> ParseCounts:
        return ParseCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def parse_delta(
    after: dict[str, ParseCounts], before: dict[str, ParseCounts]
) -> dict[str, ParseCounts]:
    """Per-role counts between two readings of the tally (roles with no reply left out)."""
    out = {role: counts - before.get(role, ParseCounts()) for role, counts in after.items()}
    return {role: counts for role, counts in out.items() if counts.replies or counts.predictions}


def counts_from(data: dict[str, Any] | None) -> dict[str, ParseCounts]:
    return {role: ParseCounts(**c) for role, c in (data or {}).items()}


def counts_dict(counts: dict[str, ParseCounts]) -> dict[str, dict[str, int]]:
    return {role: asdict(c) for role, c in counts.items()}


# -- held-out rows --------------------------------------------------------------------------------
def field_value(prediction: Any, name: str) -> Any:
    """A prediction's field in either framework's Evaluate results (Tunesmith keeps a dict)."""
    if prediction is None:
        return None
    if isinstance(prediction, dict):
        return prediction.get(name)
    try:
        return getattr(prediction, name, None)
    except Exception:  # noqa: BLE001 - an empty dspy.Prediction may raise on a missing key
        return None


def row_marks(results: list[tuple[Any, Any, float]], outputs: list[str]) -> list[list[float]]:
    """Per held-out row, in order: [1 if the prediction has every output field else 0, score]
    (`results` are an Evaluate's (example, prediction, score) triples, in either framework)."""
    marks = []
    for _example, prediction, score in results:
        parsed = all(field_value(prediction, name) is not None for name in outputs)
        marks.append([1 if parsed else 0, float(score or 0.0)])
    return marks


@dataclass
class RowStats:
    """What the marks of one run say: rows, rows unparsed, accuracy (percent) on all rows and on
    the rows it parsed."""

    rows: int
    unparsed: int
    accuracy: float
    parsed_accuracy: float | None

    @property
    def unparsed_share(self) -> float:
        return 100 * self.unparsed / self.rows if self.rows else 0.0


def row_stats(marks: list[list[float]]) -> RowStats | None:
    if not marks:
        return None
    parsed = [score for ok, score in marks if ok]
    total = sum(score for _, score in marks)
    return RowStats(
        rows=len(marks),
        unparsed=len(marks) - len(parsed),
        accuracy=100 * total / len(marks),
        parsed_accuracy=100 * sum(parsed) / len(parsed) if parsed else None,
    )


@dataclass
class GapSplit:
    """Tunesmith minus DSPy on the same rows, in points: `parsing` (Tunesmith's score on the rows
    DSPy left unparsed) + `search` (the difference on the rows DSPy parsed) = `gap`; with both
    frameworks' accuracy on the rows DSPy parsed."""

    gap: float
    parsing: float
    search: float
    parsed_rows: int
    rows: int
    ours_on_parsed: float | None
    theirs_on_parsed: float | None


def gap_split(ours: list[list[float]], theirs: list[list[float]]) -> GapSplit | None:
    """The split of the held-out gap, or None when the runs did not score the same rows."""
    if not ours or len(ours) != len(theirs):
        return None
    n = len(ours)
    parsing = sum(o[1] for o, t in zip(ours, theirs) if not t[0])
    on_parsed = [(o[1], t[1]) for o, t in zip(ours, theirs) if t[0]]
    search = sum(o - t for o, t in on_parsed)
    k = len(on_parsed)
    return GapSplit(
        gap=100 * (parsing + search) / n,
        parsing=100 * parsing / n,
        search=100 * search / n,
        parsed_rows=k,
        rows=n,
        ours_on_parsed=100 * sum(o for o, _ in on_parsed) / k if k else None,
        theirs_on_parsed=100 * sum(t for _, t in on_parsed) / k if k else None,
    )


# -- report ---------------------------------------------------------------------------------------
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def unparsed_cell(marks: list[list[float]] | None) -> str:
    """"k/N (x%)" held-out rows without an answer, or "—" when the run kept no marks."""
    stats = row_stats(marks or [])
    if stats is None:
        return "—"
    return f"{stats.unparsed}/{stats.rows} ({stats.unparsed_share:.0f}%)"


def replies_cell(counts: dict[str, ParseCounts], role: str = "task") -> str:
    """"failed/replies (+r retries)" for one role, or "—"."""
    c = counts.get(role)
    if c is None or not c.replies:
        return "—"
    share = 100 * c.failed_replies / c.replies
    return f"{c.failed_replies}/{c.replies} ({share:.0f}%), {c.retries} JSON retries"


PARSE_HEADER = [
    "run",
    "DSPy configuration",
    "held-out acc",
    "held-out rows unparsed",
    "acc on rows parsed",
    "task replies unparsed (compile + eval)",
    "predictions unparsed (compile + eval)",
]


@dataclass
class ParseRow:
    """One DSPy run for the parsing table: what it is, its configuration, marks and counts."""

    label: str
    config: str
    marks: list[list[float]]
    counts: dict[str, ParseCounts]  # compile and eval phases added up, by role
    accuracy: float | None = None  # the run's held-out accuracy (None: it died)


def parse_table(rows: list[ParseRow]) -> str:
    body = []
    for r in rows:
        stats = row_stats(r.marks)
        task = r.counts.get("task", ParseCounts())
        predictions = (
            f"{task.failed_predictions}/{task.predictions}" if task.predictions else "—"
        )
        body.append(
            [
                r.label,
                r.config,
                pct(r.accuracy),
                unparsed_cell(r.marks),
                pct(stats.parsed_accuracy if stats else None),
                replies_cell(r.counts),
                predictions,
            ]
        )
    return markdown_table(PARSE_HEADER, body)


def gap_line(label: str, config: str, ours_acc: float, theirs_acc: float,
             split: GapSplit | None) -> str:  # fmt: skip
    """One sentence: the gap to DSPy in `config`, and its parsing and search parts."""
    head = (
        f"- {label}, DSPy [{config}]: Tunesmith {ours_acc:.1f}% vs DSPy {theirs_acc:.1f}% "
        f"({ours_acc - theirs_acc:+.1f} pts)"
    )
    if split is None:
        return head + " (no per-row marks: no split)"
    return (
        f"{head} = {split.parsing:+.1f} pts parsing (Tunesmith's score on the "
        f"{split.rows - split.parsed_rows} of {split.rows} rows DSPy did not parse) "
        f"{split.search:+.1f} pts search (on the {split.parsed_rows} rows DSPy parsed: "
        f"Tunesmith {pct(split.ours_on_parsed)}, DSPy {pct(split.theirs_on_parsed)})"
    )


GAP_NOTE = """\
The gap on the same held-out rows splits exactly in two: **parsing** is what Tunesmith scores on
the rows where DSPy gave no answer (its reply did not parse, after the JSON retry where its
adapter makes one; DSPy scores 0 there), **search** the difference of the two scores on the rows
DSPy parsed: what the optimizer's choices (instructions, demos) and each framework's prompt did
(Tunesmith's closed, calibrated answers included; a zero-shot line, where the run scored the
uncompiled programs, shows how much of it is there before any search). DSPy's parse failures
are counted in dspy 3.4.1's own code (bench/core/peer.py): a reply whose `_call_postprocess`
raised `AdapterParseError`, a JSON retry (`_make_json_adapter_fallback`), a `Predict.forward`
that raised it (every attempt failed)."""


def total_counts(outcome: Any) -> dict[str, ParseCounts]:
    """A run's parse counts, compile and held-out evaluation added up, by role."""
    out: dict[str, ParseCounts] = {}
    for phase in (outcome.compile, outcome.evaluate):
        for role, counts in (phase.parse or {}).items():
            out[role] = out.get(role, ParseCounts()) + counts
    return out


def peer_of(data: dict[str, Any]) -> str:
    """A saved outcome's DSPy configuration ("" for Tunesmith): its `peer`, else the name in
    its framework's brackets ("DSPy 3.4.1 [baml]"); runs saved before there was a choice ran
    "chat"."""
    framework = str(data["framework"])
    if data.get("peer") or not framework.startswith("DSPy"):
        return data.get("peer") or ""
    named = re.search(r"\[([\w-]+)\]$", framework)
    return named.group(1) if named else "chat"


def parsing_section(
    pairs: list[tuple[Any, Any]], baselines: list[Any], label: Callable[[Any], str]
) -> str:
    """DSPy's parse failures (a row per DSPy run) and the gap lines: the zero-shot programs,
    then every compared pair. `label` names a run ("BootstrapFewShot", "[alt]")."""
    runs = [b for b in baselines if b.peer] + list({id(t): t for _, t in pairs}.values())
    rows = [ParseRow(label(o), o.peer, o.rows, total_counts(o), o.accuracy) for o in runs]
    lines = []
    for zero in (b for b in baselines if not b.peer):
        for theirs in (b for b in baselines if b.peer):
            split = gap_split(zero.rows, theirs.rows)
            lines.append(gap_line("zero-shot", theirs.peer, zero.accuracy, theirs.accuracy, split))
    for ours, theirs in pairs:
        if ours.accuracy is None or theirs.accuracy is None:
            continue
        split = gap_split(ours.rows, theirs.rows)
        lines.append(gap_line(label(ours), theirs.peer, ours.accuracy, theirs.accuracy, split))
    if not rows:
        return ""
    return "\n\n".join(
        ["### DSPy's parse failures and where the gap comes from", GAP_NOTE, parse_table(rows),
         "\n".join(lines)]
    )  # fmt: skip
