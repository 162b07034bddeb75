"""Every optimizer tunes a MultiChainComparison step through the worker (scripted LM): the run
finishes, the tuned program has both predictors (`classify.attempt.predict`,
`classify.compare.predict`), and the instruction optimizers propose for both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scripted_lms import instruction_oracle_lm

from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.runs import RunStore, create_run, load_spec
from engine.runs.process.worker import run_worker

PATHS = ["classify.attempt.predict", "classify.compare.predict"]
SMALL = {
    "BootstrapFewShot": {"max_bootstrapped_demos": 2, "max_labeled_demos": 1},
    "BootstrapFewShotWithRandomSearch": {"num_candidate_programs": 2, "max_bootstrapped_demos": 1},
    "LabeledFewShot": {"k": 2},
    "KNNFewShot": {"k": 2},
    "COPRO": {"breadth": 2, "depth": 1, "race": False},
    "MIPROv2": {"auto": None, "num_candidates": 2, "num_trials": 3, "minibatch": False,
                "max_bootstrapped_demos": 1, "max_labeled_demos": 1},
    "GEPA": {"max_metric_calls": 40, "reflection_minibatch_size": 2},
    "SIMBA": {"bsize": 4, "num_candidates": 2, "max_steps": 1, "max_demos": 1},
}  # fmt: skip


def _thinking_oracle(spec: Any) -> ScriptedLM:
    """The instruction oracle, with the attempts' reasoning and the comparison's rationale."""
    base = instruction_oracle_lm(spec).by_input

    def reply(messages: list[dict[str, Any]]) -> Any:
        answer = base(messages)
        if not isinstance(answer, dict):  # a proposal or a reflection
            return answer
        compare = "reasoning_attempt_1" in input_fields(messages[-1]["content"])
        return {("rationale" if compare else "reasoning"): "scripted", **answer}

    return ScriptedLM(by_input=reply, name="oracle")


@pytest.mark.parametrize("name", list(SMALL))
def test_optimizer_tunes_a_multi_chain_step(db_path: Path, project: Path, name: str) -> None:
    spec = load_spec(project / "support_tickets.yaml")
    spec.pipeline[0].module, spec.pipeline[0].m = "MultiChainComparison", 2
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 8, 6, 4
    spec.optimizer.name, spec.optimizer.params = name, dict(SMALL[name])
    spec.optimizer.budget.max_calls = None
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=_thinking_oracle) == "finished"
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
        proposals = [e["data"] for e in store.events(run_id) if e["type"] == "proposals"]
    tuned = [key for key in run["program"] if key.endswith(tuple(PATHS))]  # KNN: under its own
    assert len(tuned) == 2, list(run["program"])
    if name in ("COPRO", "MIPROv2"):
        proposed_for = {p.get("predictor") for p in proposals}
        assert set(PATHS) <= proposed_for, proposed_for
