"""Why a candidate's rows fail: for answers from a fixed list, expected against answered (the
confusion table, its mix-ups and their rows); for open answers, the metric's reasons on the
failing rows grouped when they say much the same thing."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

NO_ANSWER = "(no answer)"


def choice_outputs(spec: dict[str, Any]) -> list[str]:
    """The last step's outputs whose answer is one of a closed set (its choices, or yes/no):
    the outputs a table of expected against answered values makes sense for."""
    fields = ((spec.get("pipeline") or [{}])[-1]).get("fields", [])
    return [
        f["name"]
        for f in fields
        if f.get("role") == "output" and (f.get("choices") or f.get("type") == "bool")
    ]


def answered_pairs(
    res: pd.DataFrame, h: str, expected: dict[str, dict[str, Any]], field: str
) -> pd.DataFrame:
    """Candidate `h`'s rows with an expected value for `field`: example, expected, answered
    (`NO_ANSWER` when the reply gave none), the metric's reason where it gave one, score."""
    columns = ["example", "expected", "answered", "why", "score"]
    if res.empty:
        return pd.DataFrame(columns=columns)
    mine = res[res["candidate"] == h]
    rows = []
    for _, r in mine.sort_values("idx").iterrows():
        want = expected.get(r["example_id"], {}).get(field)
        if want is None:
            continue
        outputs = r["outputs"] if isinstance(r["outputs"], dict) else {}
        got = outputs.get(field)
        feedback = r.get("feedback")
        rows.append({
            "example": " | ".join(str(v) for v in (r["inputs"] or {}).values())[:200],
            "expected": str(want),
            "answered": NO_ANSWER if got is None or str(got).strip() == "" else str(got),
            "why": feedback if isinstance(feedback, str) else "",
            "score": r["score"],
        })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def confusion(pairs: pd.DataFrame) -> pd.DataFrame:
    """Counts of expected (rows) against answered (columns) values; the expected values lead
    the columns in the same order, so the right answers run down the diagonal."""
    if pairs.empty:
        return pd.DataFrame()
    table = pd.crosstab(pairs["expected"], pairs["answered"])
    wanted = sorted(table.index)
    extra = sorted(c for c in table.columns if c not in wanted)
    table = table.reindex(index=wanted, columns=wanted + extra, fill_value=0)
    table.index.name, table.columns.name = "expected ↓ · answered →", None
    return table


def mix_ups(pairs: pd.DataFrame) -> list[tuple[str, str, int]]:
    """(expected, answered, rows) for each wrong pair, the most frequent first."""
    wrong = pairs[pairs["expected"] != pairs["answered"]]
    counts = wrong.groupby(["expected", "answered"]).size()
    counts = counts.sort_values(ascending=False, kind="stable")
    return [(str(e), str(a), int(n)) for (e, a), n in counts.items()]


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|‘[^’]*’|“[^”]*”")
_WORD = re.compile(r"[a-z]+")


def reason_shape(reason: str) -> frozenset[str]:
    """The words of a reason with what is quoted and the numbers taken out: two reasons that
    differ only in the row's own values have the same shape."""
    plain = _NUMBER.sub(" ", _QUOTED.sub(" ", reason.lower()))
    return frozenset(_WORD.findall(plain))


def _alike(a: frozenset[str], b: frozenset[str], share: float) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= share


def reason_groups(
    pairs: pd.DataFrame, share: float = 0.6
) -> list[tuple[str, int, pd.DataFrame]]:
    """The failing rows of `pairs` (columns example, score, why) grouped by reasons that share
    at least `share` of their words once quoted values and numbers are set aside: (a reason
    that stands for the group, its rows, the rows), the largest group first. Rows without a
    reason form one group of their own."""
    failing = pairs[pairs["score"].fillna(0) < 1]
    groups: list[tuple[frozenset[str], list[int]]] = []
    for index, why in failing["why"].items():
        shape = reason_shape(str(why or ""))
        home = next((g for g in groups if _alike(g[0], shape, share)), None)
        if home is None:
            groups.append((shape, [index]))
        else:
            home[1].append(index)
    out = []
    for _, members in groups:
        rows = failing.loc[members]
        reasons = rows["why"].fillna("").astype(str)
        said = reasons.mode().iloc[0] if reasons.str.strip().any() else ""
        out.append((said or "(the metric gave no reason)", len(rows), rows))
    return sorted(out, key=lambda g: -g[1])
