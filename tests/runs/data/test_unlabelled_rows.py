"""Rows with their inputs but no answer yet (engine/runs/data/_load.py): never an example with
"" as its gold, counted apart from rows with an empty input, and the split takes labelled rows
only."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core import SpecError
from engine.runs import load_data, spec_from_dict, validate_spec_against_data

PIPELINE = [{"name": "route", "fields": [
    {"name": "ticket", "role": "input"},
    {"name": "team", "role": "output", "type": "literal", "choices": ["billing", "shipping"]},
]}]  # fmt: skip


def _spec(folder: Path, rows: list[tuple[str, str]], **data):
    text = "ticket,team\n" + "".join(f"{t},{a}\n" for t, a in rows)
    (folder / "d.csv").write_text(text, encoding="utf-8")
    return spec_from_dict({"name": "t", "data": {"csv": "d.csv", **data}, "pipeline": PIPELINE},
                          folder)  # fmt: skip


def test_unlabelled_rows_wait_and_never_become_examples(tmp_path):
    rows = [(f"ticket {i}", "billing" if i % 2 else "shipping") for i in range(6)]
    rows += [(f"new ticket {i}", "") for i in range(20)] + [("", "billing")]
    split = load_data(_spec(tmp_path, rows, train_size=2, val_size=2, test_size=2))
    used = split.train + split.val + split.test
    assert len(used) == 6 and split.rows == 6
    assert all(e.team in ("billing", "shipping") for e in used)
    assert not any(e.ticket.startswith("new") for e in used)
    waiting = [s for s in split.skipped if s.why.startswith("no answer yet")]
    assert [s.row for s in waiting] == list(range(8, 28))
    assert split.notes[0].startswith("data.csv: 20 row(s) have no answer yet; they wait to be")
    assert "(rows 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, ...)" in split.notes[0]
    assert split.notes[1] == "data.csv: skipped 1 row(s) with an empty input (rows 28)"


def test_labelling_a_row_adds_it_to_the_split(tmp_path):
    rows = [(f"ticket {i}", "billing") for i in range(3)] + [("later", "")]
    assert load_data(_spec(tmp_path, rows)).rows == 3
    rows[-1] = ("later", "shipping")
    split = load_data(_spec(tmp_path, rows))
    assert split.rows == 4 and not split.skipped and not split.notes


def test_no_labelled_row_at_all_says_so(tmp_path):
    spec = _spec(tmp_path, [(f"ticket {i}", "") for i in range(5)])
    with pytest.raises(SpecError, match="none of the 5 rows has an answer yet; label some rows"):
        validate_spec_against_data(spec)


def test_sizes_over_the_labelled_rows_name_them(tmp_path):
    rows = [(f"ticket {i}", "billing") for i in range(4)] + [(f"t{i}", "") for i in range(40)]
    with pytest.raises(SpecError, match="only 4 usable rows"):
        load_data(_spec(tmp_path, rows, train_size=10, val_size=10, test_size=10))


def test_under_a_judge_a_row_without_an_answer_is_its_inputs(tmp_path):
    text = "ticket,summary\n" + "".join(f"ticket {i},\n" for i in range(6)) + "one more,short\n"
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    spec = spec_from_dict({
        "name": "t", "data": {"csv": "d.csv"},
        "pipeline": [{"name": "sum", "fields": [
            {"name": "ticket", "role": "input"}, {"name": "summary", "role": "output"}]}],
        "metric": {"kind": "judge", "criteria": "A faithful one-line summary."},
    }, tmp_path)  # fmt: skip
    split = load_data(spec)
    used = split.train + split.val + split.test
    assert split.rows == 7 and not split.skipped and not split.notes
    assert sum("summary" not in e for e in used) == 6  # no "" gold: the judge sees no answer
    assert [e.summary for e in used if "summary" in e] == ["short"]
    assert all(set(e.inputs()) == {"ticket"} for e in used)
