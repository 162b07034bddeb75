"""Compare's rows × candidates table: any number of candidates, the "All wrong" filter, the
hardest rows first, CSV and web-page downloads, and one row in full with the prompt it sends."""

from __future__ import annotations

import csv
import io

from apphelpers import finished_run, go, k, matrix_of, run_id_of, texts

import engine.runs
from dashboard import home
from engine.optimizers.spine import example_id
from engine.runs import get_run, load_data, spec_from_dict, trials


def run_best(run_id: str) -> str:
    return get_run(run_id, db_path=home.db_path())["best_candidate"]


def _compare(app, monkeypatch):
    at = go(finished_run(app, monkeypatch, "fake_lms:leaning"), "compare")
    return at, run_id_of(at)


def test_every_candidate_filters_and_the_hardest_rows_first(app, monkeypatch):
    at, run_id = _compare(app, monkeypatch)
    picker = at.multiselect(key=f"cmp_cands_{run_id}")
    assert len(picker.value) == 2 and len(picker.options) > 2  # A and B lead
    scored = list(dict.fromkeys(
        t["candidate"] for t in trials(run_id, db_path=home.db_path()) if t["subset"] == "val"
    ))  # fmt: skip
    assert len(scored) == len(picker.options)
    at = picker.set_value(scored).run()
    assert not at.exception, at.exception
    table = matrix_of(at)
    assert len(table) == 8
    answers = [c for c in table.columns if c not in ("example", "expected") and "·" not in c]
    assert len(answers) == len(picker.options)
    at = at.segmented_control(key=f"cmp_filter_{run_id}").set_value("All wrong").run()
    wrong = matrix_of(at)
    assert all(all("✗" in row[c] for c in answers) for _, row in wrong.iterrows())
    assert f"{len(wrong)} of 8 rows" in texts(at)
    at = at.segmented_control(key=f"cmp_filter_{run_id}").set_value("All").run()
    at = at.toggle(key=f"cmp_hard_{run_id}").set_value(True).run()
    hardest = matrix_of(at)
    rights = [sum("✓" in row[c] for c in answers) for _, row in hardest.iterrows()]
    assert rights == sorted(rights) and rights[0] < rights[-1]
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Download as CSV", "Download as a web page"} <= labels, labels


def test_the_best_prompt_of_a_run_on_other_rows_is_refused_with_a_warning(app, monkeypatch):
    at, first = _compare(app, monkeypatch)
    run = get_run(first, db_path=home.db_path())
    spec, base = run["spec"], run.get("base_dir")
    ids = lambda seed: {example_id(e) for e in load_data(  # noqa: E731
        spec_from_dict({**spec, "data": {**spec["data"], "seed": seed}}, base)).val}
    seed = next(s for s in range(1, 200) if not ids(s) & ids(spec["data"].get("seed") or 0))
    go(at, "data")
    at = at.number_input(key=k(at, "seed")).set_value(seed).run()
    go(at, "optimize")
    at.button(key="start_run").click().run()  # the same project on validation rows of its own
    assert not at.exception, at.exception
    at = go(at, "compare")
    second = run_id_of(at)
    assert second != first
    at = at.multiselect(key=f"cmp_more_{second}").set_value([f"{first}:{run_best(first)}"]).run()
    assert not at.exception, at.exception
    assert any("was scored on other rows: nothing to show" in w.value for w in at.warning)
    assert not any(c.startswith(f"Run {first[-6:]} best") for c in matrix_of(at).columns)


def test_the_best_few_fill_the_table_in_one_click(app, monkeypatch):
    at, run_id = _compare(app, monkeypatch)
    first: dict[str, float] = {}
    for t in trials(run_id, db_path=home.db_path()):
        if t["subset"] == "val" and t["score"] is not None:
            first.setdefault(t["candidate"], t["score"])
    best_three = sorted(first, key=lambda h: -first[h])[:3]  # by the score the search ranked by
    at = at.number_input(key=f"cmp_top_n_{run_id}").set_value(3).run()
    at = at.button(key=f"cmp_top_{run_id}").click().run()
    assert not at.exception, at.exception
    assert at.multiselect(key=f"cmp_cands_{run_id}").value == best_three
    answers = [c for c in matrix_of(at).columns
               if c not in ("example", "expected") and "·" not in c]  # fmt: skip
    assert len(answers) == 3


def test_a_row_opens_in_full_with_the_prompt_each_candidate_sends(app, monkeypatch):
    at, run_id = _compare(app, monkeypatch)
    table = matrix_of(at)
    at.session_state[f"cmp_matrix_{run_id}_val"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "This row in full" in page
    def codes(label: str) -> list[str]:
        return [c.value for e in at.expander if e.label == label for c in e.code]

    prompts = codes("The prompt it sends for this row")
    assert len(prompts) == 2  # A and B
    first = table["example"].iloc[0]
    assert all(first[:40] in p for p in prompts), prompts[0][:400]
    assert all("[[ ## category ## ]]" in p for p in prompts)
    # and each one's reply as the model wrote it, the text its row's answer was read from
    replies = codes("The reply as the model wrote it")
    stored = {(r["candidate"], r["inputs"]["ticket"][:40]): r for r in engine.runs.example_results(
        run_id, subset="val", db_path=home.db_path())}  # fmt: skip
    a_and_b = at.multiselect(key=f"cmp_cands_{run_id}").value
    kept = [stored[(h, first[:40])] for h in a_and_b]
    assert replies == [r["trace"][0]["reply"] for r in kept] and len(replies) == 2
    assert all("[[ ## category ## ]]" in reply for reply in replies)
    assert kept[0]["outputs"]["category"] in replies[0]  # A, the baseline: read as written


def test_the_best_prompt_of_another_run_joins_the_table_on_the_same_rows(app, monkeypatch):
    written: list[str] = []  # the CSV the page offers for download, as the engine wrote it

    def kept_csv(*args, **kwargs):
        written.append(real_csv(*args, **kwargs))
        return written[-1]

    real_csv = engine.runs.matrix_csv
    monkeypatch.setattr(engine.runs, "matrix_csv", kept_csv)  # the name the page imports
    at, first = _compare(app, monkeypatch)
    go(at, "optimize")
    at.button(key="start_run").click().run()  # a second run of the project, the same split
    assert not at.exception, at.exception
    at = go(at, "compare")
    second = run_id_of(at)
    assert second != first
    more = at.multiselect(key=f"cmp_more_{second}")
    on_val = list(dict.fromkeys(
        t["candidate"] for t in trials(first, db_path=home.db_path()) if t["subset"] == "val"
    ))  # fmt: skip
    assert more.options[0].startswith(f"Run {first[-6:]} best")  # its best first, then the rest
    assert len(more.options) == len(on_val) and all(
        o.startswith(f"Run {first[-6:]}") for o in more.options
    )  # fmt: skip
    other = next(h for h in on_val if h != run_best(first))
    at = more.set_value([f"{first}:{run_best(first)}", f"{first}:{other}"]).run()
    assert not at.exception, at.exception
    table = matrix_of(at)
    column = f"Run {first[-6:]} best"
    assert column in table.columns and len(table) == 8
    assert not any(v == "not scored" for v in table[column])  # the same rows, all scored
    prefix = f"Run {first[-6:]} · "  # another of its candidates: its column, not its reasons
    [also] = [c for c in table.columns if c.startswith(prefix) and "·" not in c[len(prefix):]]
    assert not any(v == "not scored" for v in table[also])
    header, *lines = list(csv.reader(io.StringIO(written[-1])))
    [score] = [i for i, h in enumerate(header) if h.startswith(column) and h.endswith(": score")]
    assert len(lines) == 8 and all(line[score] != "" for line in lines)  # its column, scored
