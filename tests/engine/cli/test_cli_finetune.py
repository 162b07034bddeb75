"""`python -m engine run|estimate|export` with `optimizer: bootstrap_finetune`, end to end: the
scripted LM through the worker hook, the trainer through its own (a real training process that
writes the rows: tests/runs/fake_trainers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from scripted_lms import tuned_worse_lm
from test_cli import cli

from engine.optimizers.finetune import plan_steps
from engine.optimizers.finetune._forecast import training_tokens_per_second
from engine.runs import RunStore, create_run, load_spec
from engine.runs.process.worker import run_worker


def finetune_spec(project: Path, **params) -> Path:
    path = project / "support_tickets.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["optimizer"] = {"name": "bootstrap_finetune", "params": {"max_steps": 3, **params}}
    spec["data"].update(train_size=8, val_size=4, test_size=6)
    path.write_text(yaml.safe_dump(spec))
    return path


TRAINER = {"TUNESMITH_TEST_TRAINER": "fake_trainers:SleepyTrainer"}


def test_a_bootstrap_finetune_spec_runs_end_to_end(tmp_path: Path, project: Path) -> None:
    result = cli("run", str(finetune_spec(project)), home=tmp_path, **TRAINER)
    assert result.returncode == 0, result.stderr
    assert "finished" in result.stdout and "optimizer: BootstrapFinetune" in result.stderr
    run_id = json.loads(cli("runs", "--json", home=tmp_path).stdout)[0]["id"]
    data = tmp_path / "tunesmith_data"
    with RunStore(data / "runs.db") as store:
        events = store.events(run_id)
    steps = [e["data"] for e in events if e["type"] == "training_step"]
    assert [s["step"] for s in steps] == [1, 2, 3] and steps[-1]["loss"] < steps[0]["loss"]
    [model_file] = (data / "runs" / run_id / "model").iterdir()  # no temporary file left
    assert model_file.name.startswith("tuned-") and model_file.suffix == ".json"
    rows = json.loads(model_file.read_text())
    assert rows and rows[0][-1]["role"] == "assistant"  # chat rows ending with the answer
    exported = cli("export", run_id, "--format", "py", home=tmp_path).stdout
    assert "-ft-" in exported  # the program names its tuned model
    shown = cli("show", run_id, home=tmp_path).stdout  # the change is named as the weights
    assert "The change is the model's weights" in shown and "start was kept" not in shown


def test_the_estimate_says_rows_tokens_steps_minutes_and_disk(
    tmp_path: Path, project: Path
) -> None:
    spec = finetune_spec(project, max_steps=0, epochs=2, window=256)
    result = cli("estimate", str(spec), home=tmp_path)
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("training:")]
    assert "up to 8 rows" in line and "2 epochs" in line and "steps of 256 tokens" in line
    rate = training_tokens_per_second()  # the BLAS backend's when set-up built it
    assert f"minutes on this machine ({rate} tokens/s measured)" in line and "GB of disk" in line
    plan = json.loads(cli("estimate", str(spec), "--json", home=tmp_path).stdout)
    training = plan["estimate"]["training"]
    assert training["rows"] == 8 and training["epochs"] == 2
    # a row a window (the default; 8 rows of ~178 tokens, each in a 256-token window), so
    # more windows than the tokens end to end would fill
    alone = plan_steps(training["tokens"], 256, 2, None, rows=8, packing=False)
    assert training["steps"] == alone.steps == 16
    assert training["steps"] > 2 * -(-training["tokens"] // 256)
    assert training["disk_bytes"] > 500e6  # the 135M model's F32 weights, at least
    assert plan["forecast"]["seconds"] >= 60 * training["minutes"]  # the time includes training


def test_bad_params_are_refused_with_the_parameter_named(tmp_path: Path, project: Path) -> None:
    result = cli("run", str(finetune_spec(project, window=300)), home=tmp_path)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "n_ctx']=300 must be a positive multiple of 256" in said
    # the worker's own check reads the model it runs with: a scripted one has no weights here
    assert "'scripted/" in said and "cannot be fine-tuned here" in said


def test_a_spec_trains_on_its_labels_and_the_log_says_where_the_rows_came_from(
    tmp_path: Path, project: Path
) -> None:
    spec = finetune_spec(project, train_on="labels")
    line = next(x for x in cli("estimate", str(spec), home=tmp_path).stdout.splitlines()
                if x.startswith("training:"))  # fmt: skip
    assert "up to 8 rows (the training labels)" in line
    result = cli("run", str(spec), home=tmp_path, **TRAINER)
    assert result.returncode == 0, result.stderr
    run_id = json.loads(cli("runs", "--json", home=tmp_path).stdout)[0]["id"]
    data = tmp_path / "tunesmith_data"
    with RunStore(data / "runs.db") as store:
        events = store.events(run_id)
    logs = [e["data"]["message"] for e in events if e["type"] == "log"]
    assert ("training rows: 0 from the teacher's passing answers, 8 from the training rows' own "
            "answers; 8 in all") in logs  # fmt: skip
    [model_file] = (data / "runs" / run_id / "model").iterdir()
    replies = [row[-1]["content"] for row in json.loads(model_file.read_text())]
    assert len(replies) == 8 and all("category" in reply for reply in replies)
    bad = cli("run", str(finetune_spec(project, train_on="gold")), home=tmp_path)
    assert bad.returncode != 0
    assert "train_on must be one of 'traces', 'labels', 'both', not 'gold'" in (
        bad.stdout + bad.stderr
    )



def test_a_tuned_model_worse_on_validation_gives_back_the_start_and_show_says_so(
    tmp_path: Path, project: Path, monkeypatch
) -> None:
    monkeypatch.setenv("TUNESMITH_TEST_TRAINER", TRAINER["TUNESMITH_TEST_TRAINER"])
    db = tmp_path / "tunesmith_data" / "runs.db"
    run_id = create_run(load_spec(finetune_spec(project)), db)
    assert run_worker(run_id, db, lm_factory=tuned_worse_lm) == "finished"
    with RunStore(db) as store:
        run = store.get_run(run_id)
        logs = [e["data"]["message"] for e in store.events(run_id, types=["log"])]
    assert run["best_candidate"] == run["baseline_candidate"]  # held out: the start's
    assert run["test_best"] == run["test_baseline"] == 1.0
    assert "checked on 4 validation rows it did not train on: 0% against 100% for the program " \
        "as given" in logs
    shown = cli("show", run_id, home=tmp_path).stdout  # what the Run page's outcome says too
    assert "The start was kept" in shown and "The change is the model's weights" not in shown
    assert "No candidate beat the starting program on validation (best 0.0% vs 100.0%" in shown
