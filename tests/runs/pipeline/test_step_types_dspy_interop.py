"""The exported code of a MultiChainComparison step and of a `samples` step runs with real
dspy 3.4.1 (`import dspy` in place of `import engine as dspy`): same predictor paths, the
engine's saved state loads, the attempts are distinct rollouts, and it answers (DummyLM)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.runs import load_spec
from engine.runs.export.codegen import generate_python
from engine.runs.pipeline._program import build_program
from engine.runs.spec._spec import spec_from_dict

dspy = pytest.importorskip("dspy", reason="the dev extra installs dspy==3.4.1 for interop tests")
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


@pytest.fixture(autouse=True)
def _dspy_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPY_CACHEDIR", str(tmp_path / "dspy-cache"))


def _exported(**step: object):
    raw = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    raw["pipeline"][0].update(step)
    spec = spec_from_dict(raw, base_dir=SAMPLES)
    code = generate_python(spec).replace("import engine as dspy  # or: import dspy", "import dspy")
    namespace: dict = {"__name__": "exported"}
    exec(compile(code, "exported.py", "exec", dont_inherit=True), namespace)  # noqa: S102
    return build_program(spec), namespace["program"]


def test_multi_chain_export_runs_in_dspy() -> None:
    from dspy.utils import DummyLM

    ours, theirs = _exported(module="MultiChainComparison", m=2)
    paths = ["classify.attempt.predict", "classify.compare.predict"]
    assert [n for n, _ in theirs.named_predictors()] == paths
    theirs.load_state(json.loads(json.dumps(ours.dump_state())))
    lm = DummyLM([
        {"reasoning": "r1", "category": "billing"},
        {"reasoning": "r2", "category": "shipping"},
        {"rationale": "compared", "category": "shipping"},
    ])  # fmt: skip
    with dspy.context(lm=lm):
        assert theirs(ticket="Where is my parcel?").category == "shipping"
    assert [h["kwargs"] for h in lm.history] == [{}, {"rollout_id": 1, "temperature": 0.7}, {}]


def test_samples_export_runs_in_dspy() -> None:
    from dspy.utils import DummyLM

    ours, theirs = _exported(samples={"n": 3})
    assert [n for n, _ in theirs.named_predictors()] == ["classify.module"]
    theirs.load_state(json.loads(json.dumps(ours.dump_state())))
    lm = DummyLM([{"category": "billing"}, {"category": "shipping"}, {"category": "shipping"}])
    with dspy.context(lm=lm):
        assert theirs(ticket="Parcel lost").category == "shipping"
    assert len(lm.history) == 3
