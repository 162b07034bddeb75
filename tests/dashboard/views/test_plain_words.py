"""Words they know (issue 40, item 5): the glossary's plain words for the engine's labels, every
proposal with why it lost, demo labels on Compare, candidate names in the results CSV, and the
skipped rows named on the Run page."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from apphelpers import go, open_sample, set_sizes, texts

from dashboard import glossary
from dashboard.run_data.gepa import LineageNode, proposal_rows
from dashboard.run_data.instructions import proposals_table

JARGON = (
    "student as given", "seed -", "k=", "count as role task", "racing", "minibatch",
    "Pareto", "bootstrapped", "labeled demos", "teacher", "iteration", "metric calls",
)  # fmt: skip


# -- the glossary ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "plain"),
    [
        ("baseline (student as given)", "your prompt as written"),
        ("zero-shot (seed -3)", "your instruction, no examples"),
        ("labeled demos only (seed -2, k=16)", "up to 16 examples copied from your rows"),
        (
            "bootstrap seed -1 (unshuffled, 2 bootstrapped + 4 labeled demos)",
            "example set 1 (2 examples the model got right + 4 from your rows; rows in file order)",
        ),
        ("bootstrap seed 3 (shuffled, 1 bootstrapped + 0 labeled demos)",
         "example set 5 (1 example the model got right; rows in a shuffled order)"),
        ("bootstrap (4 bootstrapped + 12 labeled demos)",
         "4 examples the model got right + 12 from your rows"),
        ("predict: instruction 2 (round 1)", "new instruction 2 (round 1)"),
        ("instruction 0 × demo set 1", "your instruction + example set 1"),
        ("iteration 3: candidate 2 on a minibatch", "round 3: candidate 2 on a sample of rows"),
        ("reflection on predict (iteration 3)", "rewrite of predict (round 3)"),
        ("merge of 1 and 2", "candidates 1 and 2 combined"),
        ("choice calibration", "calibrated choices"),
    ],
)  # fmt: skip
def test_engine_candidate_labels_read_in_plain_words(origin, plain):
    assert glossary.plain_origin(origin) == plain
    assert not any(word in glossary.plain_origin(origin) for word in JARGON)


def test_log_lines_read_in_plain_words():
    lines = [
        "teacher runs on up to 30 training examples for 4 demos; these calls count as role task",
        "candidate 2 of 19: labeled demos only (seed -2, k=16), on 30 validation examples",
        "the student as given, on 30 validation examples",
        "iteration 4: 120 of 400 metric calls, 3 candidates",
        "GEPA: minibatches of 3 from 30 training examples, Pareto front on 30 validation examples",
        "bootstrapped 4 demos from 30 training examples (seed 2)",
        "bootstrapped 4 demos from 6 training examples (seed -1)",
        "30 candidates x 30 validation examples, plus bootstrapping (assumes 75% of teacher "
        "runs pass the metric); at most: racing stops scoring a candidate once it cannot beat "
        "the best",
    ]
    for line in lines:
        plain = glossary.plain_text(line)
        assert not any(word in plain for word in JARGON), plain
    assert glossary.plain_text(lines[0]) == (
        "the model answers up to 30 training rows to find 4 examples it gets right"
    )
    assert glossary.plain_text(lines[6]) == (
        "found 4 examples the model gets right from 6 training rows"
    )
    assert glossary.plain_text("trial 3 of 10") == "candidate 3 of 10"
    assert glossary.plain_text("baseline and best program on 8 held-out test examples") == (
        "your prompt and the best one on 8 held-out rows"
    )


def test_every_term_has_one_explanation():
    for term, words in glossary.TERMS.items():
        assert glossary.explain(term) == words and words.endswith(".")
    assert glossary.plain_drop("duplicate") == "the same as an instruction already tried"
    assert glossary.plain_drop("call failed (Timeout)").endswith("failed (Timeout)")


# -- every proposal with why it lost ---------------------------------------------------------------


def _state(text: str) -> dict:
    return {"predict": {"signature": {"instructions": text}, "demos": []}}


def _proposals(cleaning: dict, rejected: list[dict] | None = None) -> list[dict]:
    offered = [{"index": i, "text": t, "origin": ""} for i, t in enumerate(["Mine.", "New A.",
                                                                            "New B.", "New C."])]
    data = {"predictor": "predict", "instructions": offered, "demo_sets": [], "cleaning": cleaning}
    if rejected is not None:
        data["rejected"] = rejected
    return [{"type": "proposals", "data": data}]


CANDS = [{"hash": h, "state": _state(t)} for h, t in
         (("h0", "Mine."), ("h1", "New A."), ("h2", "New B."))]  # fmt: skip
TRIALS = [
    {"candidate": "h0", "subset": "val", "score": 0.5, "n": 10, "number": 1},
    {"candidate": "h1", "subset": "val", "score": 0.8, "n": 10, "number": 2},
    {"candidate": "h2", "subset": "val", "score": 0.3, "n": 4, "number": 3},
]


def test_each_proposed_instruction_says_why_it_was_kept_or_lost():
    cleaning = {"proposed": 5, "kept": 3, "capped": 0, "dropped": {"duplicate": 1, "empty": 1}}
    rejected = [  # the proposer's one record of its dropped draws
        {"how": "model", "form": "full request", "tip": "simple", "reply": "Mine",
         "why": "duplicate"},
        {"how": "model", "form": "finished a stem", "stem": "Read the ticket and", "reply": "",
         "why": "empty"},
    ]  # fmt: skip
    rows = proposals_table(_proposals(cleaning, rejected), CANDS, TRIALS, best="h1")
    result = {r["#"]: r["result"] for r in rows if r["#"] is not None}
    assert result[1] == "kept: the chosen prompt uses it"
    assert result[0] == "lost: 50% on the validation rows, the chosen prompt 80% on the same rows"
    assert result[2].startswith("stopped early after 4 of 10 validation rows (30%)")
    assert result[3] == "never tried: the search ended before it came up"
    dropped = [r for r in rows if r["#"] is None]
    assert [(r["instruction"], r["result"]) for r in dropped] == [
        ("Mine", "dropped before scoring: the same as an instruction already tried"),
        ("Read the ticket and", "dropped before scoring: the proposer's reply was empty"),
    ]


def test_a_store_whose_cleaning_kept_the_dropped_replies_still_lists_them():
    cleaning = {"proposed": 5, "kept": 3, "capped": 0, "dropped": {"duplicate": 1, "empty": 1},
                "rejected": [{"text": "Mine", "why": "duplicate"}, {"text": "", "why": "empty"}]}
    rows = proposals_table(_proposals(cleaning), CANDS, TRIALS, best="h1")
    assert [r["instruction"] for r in rows if r["#"] is None] == ["Mine", "(no reply)"]


def test_a_store_from_before_the_replies_were_recorded_still_renders_the_counts():
    old = {"proposed": 4, "kept": 3, "capped": 0, "dropped": {"too short": 2}}
    rows = proposals_table(_proposals(old), CANDS, TRIALS, best="h1")
    dropped = [r for r in rows if r["#"] is None]
    assert len(dropped) == 1 and dropped[0]["instruction"] == "(2 replies not recorded)"
    assert dropped[0]["result"] == "dropped before scoring: too short to be an instruction"


def test_the_cleaner_counts_dropped_replies_and_says_why_the_last_one_went():
    from engine.optimizers.proposing._cleaning import ProposalCleaner

    cleaner = ProposalCleaner(existing=["Classify the ticket."])
    assert cleaner.add("Classify the ticket!") is None
    assert cleaner.last_reason == "duplicate"
    assert cleaner.add("ok") is None
    assert cleaner.last_reason == "too short"
    assert cleaner.add("Route the ticket to the team that owns its topic.") is not None
    summary = cleaner.summary(kept=1)
    assert summary["dropped"] == {"duplicate": 1, "too short": 1} and summary["proposed"] == 3
    assert "rejected" not in summary  # the caller keeps the one record, with how it asked


def test_every_gepa_rewrite_says_what_became_of_it():
    nodes = [LineageNode(0, "p", [], 0.5, 0, "", {}), LineageNode(1, "c1", [0], 0.7, 1, "", {})]
    base = {"kind": "reflection", "parent_index": 0, "minibatch": ["a", "b", "c"],
            "parent_score": 1 / 3}  # fmt: skip
    steps = [
        {**base, "iteration": 1, "instructions": {"predict": "Kept one."}, "child": "c1",
         "child_score": 2 / 3, "accepted": True, "child_index": 1},
        {**base, "iteration": 2, "instructions": {"predict": "Worse one."}, "child": "c2",
         "child_score": 0.0, "accepted": False},
        {**base, "iteration": 3, "skipped": "the reflection gave no usable instruction",
         "cleaning": {"predict": {"dropped": {"repetitive": 1}, "rejected": [
             {"how": "model", "form": "reflection", "reply": "to to to", "why": "repetitive"}]}}},
        {**base, "iteration": 4, "skipped": "the parent is already perfect on this minibatch"},
        {**base, "iteration": 5, "instructions": {"predict": "No room."}, "child": "c3",
         "child_score": 1.0, "accepted": True},
    ]  # fmt: skip
    rows = {r["round"]: r for r in proposal_rows(steps, nodes)}
    assert rows[1]["result"].startswith("kept as candidate 1: 67% against 33%")
    assert rows[2]["result"] == (
        "lost: 0% on 3 sampled rows, its parent (candidate 0) 33% on the same rows"
    )
    assert rows[3]["instruction"] == "to to to"
    assert rows[3]["result"] == "dropped before scoring: the same few words over and over"
    assert rows[4]["result"].startswith("not needed: candidate 0 already got all 3")
    assert "the budget ended" in rows[5]["result"]


# -- the pages over a finished run -----------------------------------------------------------------


@pytest.fixture
def searched(app):
    """A random-search run on the tickets sample, with one row whose label is empty."""
    at = set_sizes(open_sample(app), 6, 6, 6)
    folder = at.session_state["project_dir"]
    data = at.session_state["draft"]["data"]["csv"]
    path = __import__("pathlib").Path(folder) / data
    path.write_text(path.read_text().rstrip("\n") + "\nMy parcel never came,\n")
    if "df" in at.session_state and at.session_state["df"] is not None:
        df = at.session_state["df"]
        at.session_state["df"] = pd.concat(
            [df, pd.DataFrame([{df.columns[0]: "My parcel never came", df.columns[1]: ""}])],
            ignore_index=True,
        )
    go(at, "optimize")
    rev = at.session_state["rev"]
    at.radio(key=f"goal_{rev}").set_value("BootstrapFewShotWithRandomSearch").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    return at, len(path.read_text().strip().splitlines())


def test_run_page_speaks_plain_words_and_names_the_skipped_row(searched):
    at, last_row = searched
    log = "\n".join(str(c.value) for c in at.code)
    assert "Scoring" in log and not any(word in log for word in JARGON), log
    skipped = next(d.value for d in at.dataframe if "why" in d.value.columns and "part" in
                   d.value.columns)  # fmt: skip
    left_out = skipped[skipped["part"] == "left out"]
    assert list(left_out["row"]) == [last_row]
    assert left_out["why"].iloc[0] == "no answer yet: the row waits to be labelled"
    assert "Rows left out or not answered" in "\n".join(e.label for e in at.expander)


def test_compare_shows_demo_labels_and_the_csv_uses_the_pages_names(searched):
    at, _ = searched
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    at = go(at, "compare")
    page = texts(at)
    assert not any(word in page for word in ("seed -", "labeled demos", "student as given"))
    demos = [d.value for d in at.dataframe if "label (expected output)" in d.value.columns]
    assert demos, "no demo table with labels"
    table = demos[-1]
    assert {"input", "label (expected output)", "from"} <= set(table.columns)
    assert len(table) >= 1
    assert set(table["label (expected output)"]) <= {"billing", "shipping", "technical"}
    assert all(table["input"].str.len() > 10)  # the ticket text, not a count
    labels = at.selectbox(key=f"cmp_b_{run_id}").options

    from dashboard import home
    from dashboard.run_data.compare import export_names
    from dashboard.run_data.runinfo import get
    from engine.runs import export_run

    run = get(run_id)
    names = export_names(run_id, run, home.db_path())
    rows = list(csv.DictReader(io.StringIO(export_run(run_id, "csv", home.db_path(), names=names))))
    assert rows and {r["candidate_name"] for r in rows} <= set(labels)
    assert any(r["candidate_name"].startswith("Baseline") for r in rows)


def test_skipped_rows_keep_their_spreadsheet_numbers(tmp_path):
    from engine.runs import load_data, spec_from_dict

    (tmp_path / "d.csv").write_text(
        "ticket,team\nWhere is my parcel?,shipping\n\nRefund please,\n,billing\n"
        + "".join(f"Ticket {i},billing\n" for i in range(8))
    )
    spec = spec_from_dict({
        "name": "t", "data": {"csv": "d.csv"},
        "pipeline": [{"name": "route", "fields": [
            {"name": "ticket", "role": "input"}, {"name": "team", "role": "output"}]}],
    }, tmp_path)  # fmt: skip
    split = load_data(spec)
    assert [(s.row, s.why) for s in split.skipped] == [
        (4, "no answer yet: the row waits to be labelled"), (5, "the 'ticket' cell is empty"),
    ]  # row 3 is blank: a spreadsheet still counts it; row 4 only waits for its answer
    assert "1 row(s) have no answer yet" in split.notes[0] and "(rows 4)" in split.notes[0]
    assert "skipped 1 row(s) with an empty input (rows 5)" in split.notes[1]
    from engine import example_id

    first = next(e for e in split.train + split.val + split.test if e.ticket.startswith("Where"))
    assert split.row_of[example_id(first)] == ("data.csv", 2)


def test_unreadable_answers_and_unscored_rows_are_named():
    from types import SimpleNamespace

    from dashboard.widgets.run.skipped_rows import skipped_rows
    from engine import Example, example_id

    val = [Example(ticket=f"t{i}", team="x").with_inputs("ticket") for i in range(3)]
    ids = [example_id(e) for e in val]
    row_of = {i: ("data.csv", n) for i, n in zip(ids, (7, 3, 9), strict=True)}
    split = SimpleNamespace(skipped=[], val=val, test=[], row_of=row_of)
    results = {"val": [
        {"example_id": ids[0], "error": "AdapterParseError: no field 'team' in the reply"},
        {"example_id": ids[1], "error": None},
    ]}  # fmt: skip
    rows = skipped_rows(split, results, {"data": {"csv": "folder/tickets.csv"}})
    assert [(r["row"], r["file"], r["part"]) for r in rows] == [
        (7, "tickets.csv", "validation"), (9, "tickets.csv", "validation"),
    ]
    assert rows[0]["why"].startswith("the model's answer could not be read (AdapterParseError")
    assert rows[1]["why"] == "not scored: the run stopped (time or budget) before this row"
