"""`python -m engine ...` end to end, with the scripted LM injected through the worker hook."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, subprocess_env

from engine.cli._format import summary
from engine.runs import build_program, get_run, list_runs, load_spec, retunes


def cli(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    environ = subprocess_env(
        TUNESMITH_HOME=str(home), TUNESMITH_TEST_LM="scripted_lms:oracle_lm", **env
    )
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=300,
    )


@pytest.mark.parametrize(
    "args",
    [[], ["run"], ["eval"], ["export"], ["runs"], ["validate"], ["estimate"], ["show"], ["resume"],
     ["cancel"], ["predict"], ["summary"], ["matrix"], ["leaderboard"]],
)  # fmt: skip
def test_help_everywhere(args: list[str], tmp_path: Path) -> None:
    result = cli(*args, "--help", home=tmp_path)
    assert result.returncode == 0 and "usage: python -m engine" in result.stdout
    assert len(result.stdout) > 200


def test_run_runs_export_eval(tmp_path: Path, project: Path) -> None:
    spec_path = project / "support_tickets.yaml"
    result = cli("run", str(spec_path), home=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "finished" in out and "baseline" in out and "best" in out
    assert "Held-out test (" in out and "clear gain: +" in out and "(95% range +" in out
    assert (
        "LM calls" in result.stderr
        and "optimizer: BootstrapFewShotWithRandomSearch" in result.stderr
    )
    assert (tmp_path / "tunesmith_data" / "runs.db").exists()

    listing = cli("runs", home=tmp_path)
    assert (
        listing.returncode == 0
        and "Support ticket routing" in listing.stdout
        and "finished" in listing.stdout
        and "verdict" in listing.stdout
        and "clear gain" in listing.stdout
    )
    run_id = json.loads(cli("runs", "--json", home=tmp_path).stdout)[0]["id"]
    assert run_id in listing.stdout

    exported = cli("export", run_id, "--format", "json", home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    state = json.loads(exported.stdout)
    program = build_program(load_spec(spec_path))
    program.load_state({k: v for k, v in state.items() if k != "metadata"})
    assert program.classify.demos and program.classify.demos[0]["category"] in (
        "billing",
        "technical",
        "shipping",
    )
    (tmp_path / "program.json").write_text(exported.stdout)
    loaded = build_program(load_spec(spec_path)).load(tmp_path / "program.json")
    assert loaded.dump_state() == program.dump_state()

    prompt = cli("export", run_id, "--format", "prompt", home=tmp_path).stdout
    assert "===== classify" in prompt and "{ticket}" in prompt and "[[ ## category ## ]]" in prompt
    assert "--- user (demo 1) ---" in prompt

    script = cli(
        "export", run_id, "--format", "py", "-o", str(tmp_path / "program.py"), home=tmp_path
    )
    assert script.returncode == 0
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import program, json; print(json.dumps(program.program.dump_state()))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=subprocess_env(),
    )
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout) == program.dump_state()

    csv_text = cli("export", run_id, "--format", "csv", home=tmp_path).stdout
    assert csv_text.startswith(
        "candidate_name,candidate,subset,trial,example_id,index,input.ticket,output.category,score,"
        "feedback,error"
    )
    assert "\nbaseline (student as given)," in csv_text  # the CLI names a candidate by its origin

    wide = cli("matrix", run_id, "--subset", "test", "-o", str(tmp_path / "m.csv"), home=tmp_path)
    assert wide.returncode == 0 and "wrote " in wide.stderr, wide.stderr
    rows = (tmp_path / "m.csv").read_text().splitlines()
    assert rows[0].startswith("example_id,ticket,expected.category,baseline (student as given)")
    assert len(rows) == 1 + 20  # every held-out row once
    nothing_kept = cli("matrix", run_id, "--models", home=tmp_path)
    assert nothing_kept.returncode == 2 and "no answers from other models" in nothing_kept.stderr
    board = cli("leaderboard", run_id, "--model", "scripted/second", home=tmp_path)
    assert board.returncode == 0, board.stderr
    lines = board.stdout.splitlines()
    assert lines[0].startswith("model") and "vs first (95% range)" in lines[0]
    assert lines[2].startswith("scripted/second") and "100% of 20" in lines[2]
    again = cli("leaderboard", run_id, "--model", "scripted/second", "--retune", "0.5",
                home=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "tuning again on scripted/second with 50% of the budget: run " in again.stderr
    assert again.stdout.splitlines()[3].startswith("scripted/second (re-tuned)")
    [retuned] = retunes(run_id, tmp_path / "tunesmith_data" / "runs.db")
    across = cli("matrix", run_id, "--models", home=tmp_path)  # the board just kept, row by row
    assert across.returncode == 0, across.stderr
    header, *lines = list(csv.reader(io.StringIO(across.stdout.lstrip("\ufeff"))))
    columns = ["on local/smollm2-135m", "on scripted/second", "on scripted/second (re-tuned)"]
    assert [c for c in header if c.endswith(": score")][-3:] == [f"{c}: score" for c in columns]
    assert len(lines) == 20  # the held-out rows the models were scored on
    second = header.index("on scripted/second: score")
    assert sum(float(row[second]) for row in lines) == 20  # "100% of 20" on the board above
    on_val = cli("matrix", run_id, "--models", "--subset", "val", home=tmp_path)
    assert on_val.returncode == 2 and "use --subset test" in on_val.stderr, on_val.stderr
    assert retuned["model"] == "scripted/second" and retuned["status"] == "finished"
    assert "ANTHROPIC_API_KEY" not in os.environ
    keyless = cli("leaderboard", run_id, "--model", "anthropic/claude-3-5-haiku-latest",
                  home=tmp_path)  # fmt: skip
    assert keyless.returncode == 2 and "ANTHROPIC_API_KEY" in keyless.stderr, keyless.stderr
    db = tmp_path / "tunesmith_data" / "runs.db"
    runs_before = len(list_runs(db_path=db))
    keyless_again = cli("leaderboard", run_id, "--model", "scripted/second", "--model",
                        "anthropic/claude-3-5-haiku-latest", "--retune", "0.5",
                        home=tmp_path)  # fmt: skip
    assert keyless_again.returncode == 2 and "ANTHROPIC_API_KEY" in keyless_again.stderr
    assert "tuning again" not in keyless_again.stderr  # checked before any run started
    assert len(list_runs(db_path=db)) == runs_before and len(retunes(run_id, db)) == 1
    unknown = cli("matrix", run_id, "--candidates", "feedbeef", home=tmp_path)
    assert unknown.returncode != 0 and "no candidate 'feedbeef'" in unknown.stderr
    assert "Traceback" not in unknown.stderr and not (tmp_path / "feedbeef").exists()
    assert cli("run", str(spec_path), home=tmp_path).returncode == 0  # the project again
    second = json.loads(cli("runs", "--json", home=tmp_path).stdout)[0]["id"]
    best = get_run(run_id, db_path=tmp_path / "tunesmith_data" / "runs.db")["best_candidate"]
    beside = cli("matrix", second, "--candidates", f"{run_id}:{best}", home=tmp_path)
    assert beside.returncode == 0, beside.stderr  # the first run's best beside the second's
    header, *lines = list(csv.reader(io.StringIO(beside.stdout.lstrip("\ufeff"))))
    column = header.index(f"{run_id}:{best}: score")
    assert lines and all(line[column] != "" for line in lines)  # scored on every val row here
    elsewhere = cli("matrix", second, "--candidates", f"{run_id}:feedbeef", home=tmp_path)
    assert elsewhere.returncode == 2 and "was not scored on any of run" in elsewhere.stderr
    assert (
        "spec"
        and "name: Support ticket routing"
        in cli("export", run_id, "-f", "spec", home=tmp_path).stdout
    )

    evaluated = cli(
        "eval",
        str(spec_path),
        "--program",
        str(tmp_path / "program.json"),
        "--baseline",
        home=tmp_path,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert (
        "on test (n=20): 100.00%" in evaluated.stdout and "baseline (zero-shot)" in evaluated.stdout
    )

    shown = cli("show", run_id, home=tmp_path)
    assert shown.returncode == 0 and run_id in shown.stdout


def test_run_with_a_bad_spec_fails_before_any_run(tmp_path: Path, project: Path) -> None:
    spec_path = project / "support_tickets.yaml"
    spec_path.write_text(spec_path.read_text().replace("ticket: ticket", "ticket_text: ticket"))
    result = cli("run", str(spec_path), home=tmp_path)
    assert result.returncode == 2
    assert "error: data.columns: column(s) ['ticket_text'] are not in the CSV" in result.stderr
    assert "no runs yet" in cli("runs", home=tmp_path).stdout

    spec_path.write_text(spec_path.read_text().replace("name: auto", "name: foo"))
    result = cli("validate", str(spec_path), home=tmp_path)
    assert result.returncode == 2 and "optimizer.name: unknown optimizer 'foo'" in result.stderr


def test_estimate_with_and_without_a_pilot(tmp_path: Path, project: Path) -> None:
    spec_path = project / "support_tickets.yaml"
    text = spec_path.read_text().replace("name: auto", "name: SIMBA")
    spec_path.write_text(text.replace("params: {}", "params: {bsize: 4, num_candidates: 2}"))
    plain = cli("estimate", str(spec_path), home=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "optimizer: SIMBA" in plain.stdout and "Not measured" in plain.stdout
    piloted = cli("estimate", str(spec_path), "--pilot", "2", "--json", home=tmp_path)
    assert piloted.returncode == 0, piloted.stderr
    plan = json.loads(piloted.stdout)
    assert plan["pilot"]["rows"] == 4 and plan["pilot"]["rollout_rows"] == 4  # SIMBA: 2N
    assert plan["pilot"]["rollouts"] == 1
    assert "measured by a pilot on 4 training row(s)" in plan["estimate"]["notes"]


def test_export_of_an_unknown_run(tmp_path: Path) -> None:
    result = cli("export", "no-such-run", home=tmp_path)
    assert result.returncode == 2 and "no run 'no-such-run'" in result.stderr


def test_summary_marks_a_ci_crossing_zero() -> None:
    run = {
        "id": "r1",
        "name": "x",
        "status": "finished",
        "started_at": 0,
        "finished_at": 5,
        "optimizer": "O",
        "baseline_score": 0.5,
        "best_score": 0.6,
        "test_baseline": 0.5,
        "test_best": 0.55,
        "comparison": {
            "n": 20,
            "diff": 0.05,
            "ci_low": -0.1,
            "ci_high": 0.2,
            "p_value": 0.6,
            "significant": False,
        },
    }
    text = summary(run, {"calls": 3}, 2, 2)
    assert "no clear difference: +5 points (95% range -10 to +20 points)" in text
    assert "Held-out test (20 rows the optimizer never saw): 50% → 55%" in text


def test_estimate_says_what_a_plateau_wait_can_save_or_that_it_cannot_stop(
    tmp_path: Path, project: Path
) -> None:
    spec_path = project / "support_tickets.yaml"
    text = spec_path.read_text()
    spec_path.write_text(text.replace("params: {}", "params: {}\n  stop_when_flat: 2"))
    some = cli("estimate", str(spec_path), home=tmp_path)
    assert some.returncode == 0, some.stderr
    assert "plateau: stopping once 2 scorings in a row find nothing better saves" in some.stdout
    spec_path.write_text(text.replace("params: {}", "params: {}\n  stop_when_flat: 500"))
    never = cli("estimate", str(spec_path), home=tmp_path)
    assert "budget: the search scores about" in never.stdout, never.stdout
    assert "cannot end it early" in never.stdout and "plateau:" not in never.stdout
    spec_path.write_text(text.replace("params: {}", "params: {}\n  stop_when_flat: 2000"))
    for command in ("validate", "run"):  # 2,000 flat scorings need more than 2,000 calls
        refused = cli(command, str(spec_path), home=tmp_path)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "can never end a search limited to 2,000 LM calls" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / "tunesmith_data" / "runs.db").exists()  # no run was stored


def test_estimate_says_what_the_out_of_reach_stop_does_or_that_it_cannot_stop(
    tmp_path: Path, project: Path
) -> None:
    spec_path = project / "support_tickets.yaml"
    text = spec_path.read_text().replace("params: {}", "params: {}\n  stop_when_out_of_reach: 0.05")
    spec_path.write_text(text)
    some = cli("estimate", str(spec_path), home=tmp_path)
    assert some.returncode == 0, some.stderr
    assert "out of reach: stopping once the rest of the 2,000-call budget has less than a 5%" in (
        some.stdout
    )
    spec_path.write_text(text.replace("max_calls: 2000", "max_calls: null"))
    never = cli("estimate", str(spec_path), home=tmp_path)
    assert never.returncode == 0, never.stderr
    assert "budget: stopping once the best score is out of reach needs a limit on LM calls" in (
        never.stdout
    )
    assert "out of reach:" not in never.stdout
