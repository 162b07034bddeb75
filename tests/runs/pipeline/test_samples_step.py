"""A step's `samples` option (n runs through Parallel, majority over the last output): spec
round trip, bad options refused, distinct rollouts and the vote listed on the prediction, a
worker run tuning the inner predictor, and the exported .py rebuilding it (scripted LMs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runs_helpers import bootstrap_through_worker
from scripted_lms import oracle_lm

import engine as dspy
from engine.core._errors import SpecError
from engine.lm import ScriptedLM
from engine.optimizers.spine._budget import calls_per_run
from engine.runs import load_spec
from engine.runs.export._files import export_python
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._program import build_program
from engine.runs.pipeline._samples import StepSamples
from engine.runs.spec._spec import spec_from_dict

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def _tickets(samples: Any = None, folder: Path = SAMPLES, **step: Any) -> dict:
    spec = load_spec(folder / "support_tickets.yaml").to_dict()
    spec["pipeline"][0]["samples"] = {} if samples is None else samples
    spec["pipeline"][0].update(step)
    return spec


def test_samples_round_trip_and_save_only_what_was_set() -> None:
    spec = spec_from_dict(_tickets({"n": 5}), base_dir=SAMPLES)
    assert spec.to_dict()["pipeline"][0]["samples"] == {"n": 5}
    assert spec_from_dict(spec.to_dict()).to_dict() == spec.to_dict()
    default = spec_from_dict(_tickets()).pipeline[0].samples
    assert (default.n, default.reduce) == (3, "majority")


@pytest.mark.parametrize(
    ("samples", "step", "message"),
    [
        ({"n": 1}, {}, r"samples\.n: n must be from 2 to 10 samples, got 1"),
        ({"n": 11}, {}, "n must be from 2 to 10 samples"),
        ({"reduce": "mean"}, {}, r"samples\.reduce: Input should be 'majority'"),
        ({"votes": 3}, {}, "unknown key"),
        ({}, {"refine": {}}, "use samples or refine, not both"),
        ({}, {"module": "ProgramOfThought"}, "samples is for Predict and ChainOfThought steps"),
    ],
)
def test_bad_samples_are_refused(samples: dict, step: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        spec_from_dict(_tickets(samples, **step))
    assert "pipeline.0" in str(info.value)


def test_samples_are_distinct_rollouts_and_the_majority_is_kept() -> None:
    program = build_program(spec_from_dict(_tickets({"n": 3}), base_dir=SAMPLES))
    assert isinstance(program.classify, StepSamples)
    assert [n for n, _ in program.named_predictors()] == ["classify.module"]
    assert calls_per_run(program) == 3
    answers = iter(["billing", "shipping", "shipping"])
    lm = ScriptedLM(by_input=lambda _: {"category": next(answers)}, cache=True, temperature=0.0)
    with dspy.context(lm=lm, num_threads=1):  # one thread: the samples in order
        prediction = program(ticket="Where is my parcel?")
    assert lm.calls_made == 3  # no sample is a cache hit of another
    assert [h["kwargs"].get("temperature") for h in lm.history] == [0.0, 0.7, 0.7]
    assert prediction.category == "shipping"
    assert prediction.classify_attempts == [
        {"outputs": {"category": "billing"}, "kept": False},
        {"outputs": {"category": "shipping"}, "kept": True},
        {"outputs": {"category": "shipping"}, "kept": False},
    ]


def test_failed_samples_do_not_vote() -> None:
    program = build_program(spec_from_dict(_tickets({"n": 2}), base_dir=SAMPLES))
    lm = ScriptedLM(answers=["unreadable", "unreadable", {"category": "technical"}])  # + retry
    with dspy.context(lm=lm, num_threads=1):
        prediction = program(ticket="The app crashes")
    assert prediction.category == "technical"
    failed, kept = prediction.classify_attempts
    assert failed["outputs"] == {} and failed["error"] and kept["kept"]


def test_chain_of_thought_samples_vote_on_the_answer_not_the_reasoning() -> None:
    raw = _tickets({"n": 3}, module="ChainOfThought")
    program = build_program(spec_from_dict(raw, base_dir=SAMPLES))
    assert [n for n, _ in program.named_predictors()] == ["classify.module.predict"]
    replies = iter([("a", "billing"), ("b", "technical"), ("c", "billing")])

    def reply(_: Any) -> dict[str, str]:
        why, label = next(replies)
        return {"reasoning": why, "category": label}

    with dspy.context(lm=ScriptedLM(by_input=reply), num_threads=1):
        prediction = program(ticket="Refund please")
    assert prediction.category == "billing" and prediction.reasoning == "a"


def test_worker_run_tunes_the_inner_predictor_and_exports(db_path: Path, project: Path) -> None:
    spec = _tickets({"n": 2}, folder=project)
    run, rows = bootstrap_through_worker(spec, project, db_path, oracle_lm)
    built = spec_from_dict(spec, base_dir=project)
    assert list(run["program"]) == ["classify.module"]
    demos = run["program"]["classify.module"]["demos"]
    assert len(demos) == 2 and all(d.get("augmented") for d in demos)  # the kept sample's trace
    assert len(rows[0]["outputs"]["classify_attempts"]) == 2
    namespace: dict = {"__name__": "exported"}
    exec(compile(export_python(run["id"], db_path), "export.py", "exec"), namespace)  # noqa: S102
    exported = namespace["program"]
    assert exported.dump_state()["classify.module"]["demos"] == demos
    with dspy.context(lm=oracle_lm(built)):
        assert exported(ticket="x").category in ("billing", "technical", "shipping")


def test_exported_samples_send_the_same_requests() -> None:
    spec = spec_from_dict(_tickets({"n": 3}), base_dir=SAMPLES)
    code = generate_python(spec)
    assert "self.classify = Samples(dspy.Predict(Classify), n=3, field='category')" in code
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "samples.py", "exec"), namespace)  # noqa: S102
    labels = {"0": "billing"}

    def reply(messages: list[dict[str, Any]]) -> dict[str, str]:
        return {"category": labels.get(str(len(messages)), "shipping")}

    engine_lm, exported_lm = (ScriptedLM(by_input=reply, cache=True) for _ in range(2))
    with dspy.context(lm=engine_lm):
        ours = build_program(spec)(ticket="Parcel lost")
    with dspy.context(lm=exported_lm):
        theirs = namespace["program"](ticket="Parcel lost")
    assert ours.category == theirs.category
    assert engine_lm.calls_made == 3
    assert [h["cache_hit"] for h in exported_lm.history] == [True] * 3
