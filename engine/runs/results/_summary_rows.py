"""The rows a stakeholder summary shows: ones the tuned program fixed, ones it still gets wrong,
and ones it broke, each with its input, expected answer, and the answer before and after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.optimizers.spine import example_id
from engine.runs.data import load_data
from engine.runs.spec import spec_from_dict

RIGHT = 1.0 - 1e-9  # a row counts as right at full marks


@dataclass(frozen=True)
class RowStory:
    """One row as the summary shows it (every value a plain string)."""

    inputs: str
    expected: str
    before: str
    after: str


@dataclass
class RowStories:
    """The rows of one subset, sorted into what changed for them."""

    subset: str  # "test" or "val"
    total: int = 0
    fixed: list[RowStory] = field(default_factory=list)
    still_wrong: list[RowStory] = field(default_factory=list)
    broke: list[RowStory] = field(default_factory=list)


def expected_by_example(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """example id -> its labels, read again from the run's data ({} when the data is gone)."""
    try:
        split = load_data(spec_from_dict(run["spec"], run.get("base_dir")))
    except Exception:  # noqa: BLE001  (moved or edited data: the rows show no expected answer)
        return {}
    return {example_id(e): dict(e.labels().items()) for e in split.train + split.val + split.test}


def _answer(row: dict[str, Any] | None, fields: list[str]) -> str:
    if row is None:
        return "(not scored)"
    if row.get("error"):
        return "(no valid answer)"
    outputs = row.get("outputs") or {}
    keys = [k for k in fields if k in outputs] or [k for k in outputs if k != "reasoning"]
    return ", ".join(str(outputs[k]) for k in keys) or "(empty)"


def _right(row: dict[str, Any] | None) -> bool:
    return row is not None and (row.get("score") or 0) >= RIGHT


def row_stories(
    run: dict[str, Any],
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    subset: str,
) -> RowStories:
    """Sort the rows both programs were scored on (`before`, `after`: example_results rows of
    the start and the kept program) into fixed, still wrong and broke."""
    expected = expected_by_example(run)
    by_id = {r["example_id"]: r for r in before}
    stories = RowStories(subset)
    for row in sorted(after, key=lambda r: r.get("idx") or 0):
        old = by_id.get(row["example_id"])
        if old is None:
            continue
        stories.total += 1
        labels = expected.get(row["example_id"], {})
        story = RowStory(
            inputs=" · ".join(str(v) for v in (row.get("inputs") or {}).values()),
            expected=", ".join(str(v) for v in labels.values()) or "(unknown)",
            before=_answer(old, list(labels)),
            after=_answer(row, list(labels)),
        )
        if _right(row) and not _right(old):
            stories.fixed.append(story)
        elif _right(old) and not _right(row):
            stories.broke.append(story)
        elif not _right(row):
            stories.still_wrong.append(story)
    return stories
