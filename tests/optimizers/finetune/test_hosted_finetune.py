"""The hosted path against a fake OpenAI-compatible server on loopback (fake_openai.py): the rows
go up as a JSONL file, a job is created and polled; success returns the tuned model's name,
failure says why, a slow job is followed, a cancel cancels the job; a second attempt follows
the job the first created; the API key goes in the Authorization header and nowhere else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_openai import TUNED, FakeFineTuning
from test_finetune import echo, exact, qa

import engine as dspy
from engine.lm import ScriptedLM
from engine.optimizers import EventRecorder, RunContext
from engine.optimizers.finetune import BootstrapFinetune, TrainingCancelled, TrainingFailed
from engine.optimizers.finetune._hosted import HostedTrainer

KEY = "sk-test-" + "x7Qm2" * 8
ROWS = [[{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": str(i)}]
        for i in range(3)]  # fmt: skip


def trainer(fake: FakeFineTuning, folder: Path) -> HostedTrainer:
    return HostedTrainer(api_base=fake.api_base, api_key=KEY, folder=folder, poll_seconds=0.05)


def test_a_job_that_succeeds_returns_the_tuned_models_name(tmp_path: Path) -> None:
    with FakeFineTuning(["queued", "running", "running", "succeeded"]) as fake:
        name = trainer(fake, tmp_path).train("openai/gpt-4o-mini", ROWS,
                                             {"num_train_epochs": 2})  # fmt: skip
    assert name == f"openai/{TUNED}"
    [uploaded] = fake.files.values()
    assert b'{"messages": [{"role": "user", "content": "q0"}' in uploaded
    assert b'"purpose"' in uploaded or b"fine-tune" in uploaded
    [job] = fake.jobs.values()
    assert job["model"] == "gpt-4o-mini" and job["hyperparameters"] == {"n_epochs": 2}
    assert job["training_file"] == "file-1" and fake.polls == 4  # the slow job was followed
    assert {r["auth"] for r in fake.requests} == {f"Bearer {KEY}"}


def test_a_failed_job_says_why_without_the_key(tmp_path: Path) -> None:
    with FakeFineTuning(["running", "failed"], error=f"bad row 2 (key {KEY})") as fake, \
            pytest.raises(TrainingFailed) as error:  # fmt: skip
        trainer(fake, tmp_path).train("openai/gpt-4o-mini", ROWS, {})
    assert "fine-tuning job ftjob-1 ended failed: bad row 2 (key ***)" in str(error.value)
    assert KEY not in str(error.value)


def test_a_cancel_cancels_the_slow_job(tmp_path: Path) -> None:
    polls = []
    with FakeFineTuning(["running"]) as fake, pytest.raises(TrainingCancelled):
        trainer(fake, tmp_path).train("openai/gpt-4o-mini", ROWS, {},
                                      should_stop=lambda: len(polls.append(1) or polls) > 3)
    assert fake.requests[-1]["path"] == "/v1/fine_tuning/jobs/ftjob-1/cancel"
    assert fake.jobs["ftjob-1"]["status"] == "cancelled"


def test_a_second_attempt_follows_the_job_the_first_created(tmp_path: Path) -> None:
    with FakeFineTuning(["running", "running", "succeeded"]) as fake:
        with pytest.raises(TrainingCancelled):  # a worker stopped mid-job
            trainer(fake, tmp_path).train("openai/gpt-4o-mini", ROWS, {},
                                          should_stop=lambda: True)  # fmt: skip
        fake.jobs["ftjob-1"]["status"] = "running"  # (the fake lets it run on)
        assert trainer(fake, tmp_path).train("openai/gpt-4o-mini", ROWS, {}) == f"openai/{TUNED}"
    assert len(fake.jobs) == 1 and len(fake.files) == 1
    record = json.loads(next(tmp_path.glob("hosted-*.json")).read_text())
    assert record["job"] == "ftjob-1" and KEY not in json.dumps(record)


def test_settings_the_provider_does_not_take_are_refused() -> None:
    problems = HostedTrainer().problems("openai/gpt-4o-mini", {"learning_rate": 1e-4,
                                                               "n_ctx": 512})  # fmt: skip
    assert "learning_rate_multiplier instead" in problems[0] and "'n_ctx'" in problems[1]
    assert "only OpenAI-compatible models" in HostedTrainer().problems("anthropic/claude", {})[0]


def test_bootstrap_finetune_tunes_a_hosted_model_and_its_events_hold_no_key(
    tmp_path: Path,
) -> None:
    events: list = []
    with FakeFineTuning(["running", "succeeded"]) as fake:
        lm = ScriptedLM(by_input=echo).copy(model="openai/gpt-4o-mini", api_base=fake.api_base,
                                            api_key=KEY)  # fmt: skip
        run = RunContext(recorder=EventRecorder([events.append]), workdir=tmp_path)
        with dspy.context(lm=lm):
            tuned = BootstrapFinetune(metric=exact, train_kwargs={"num_train_epochs": 1}).compile(
                dspy.Predict("question -> answer"), trainset=qa(6), run=run
            )
    assert tuned.result.status == "finished"
    assert tuned.lm.model == f"openai/{TUNED}"
    assert len(fake.files["file-1"].strip().splitlines()) >= 5  # the rows the metric passed
    assert KEY not in json.dumps([e.data for e in events], default=str)
    assert KEY not in json.dumps(tuned.dump_state(), default=str)
