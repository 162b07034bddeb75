"""The FailureBreaker stops every run, not only the worker's: a plain `optimizer.compile(...)`
and a plain `Evaluate(...)` from Python stop after 5 consecutive failed LM calls (or at the
first authentication error) instead of asking the failing model about every example."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fault_lm import FaultLM  # noqa: E402
from reliability_log import observe  # noqa: E402

import engine  # noqa: E402
from engine.lm.calls import retry  # noqa: E402
from engine.lm.calls.breaker import MAX_CONSECUTIVE_FAILURES  # noqa: E402

pytest.importorskip("litellm")


@pytest.fixture(autouse=True)
def _no_waits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)


def _answer(messages: list[dict]) -> dict:
    return {"answer": "forty-two"}


def _examples(n: int) -> list[engine.Example]:
    return [
        engine.Example(question=f"What is {i} + {i}?", answer=str(2 * i)).with_inputs("question")
        for i in range(n)
    ]


def _metric(example: engine.Example, prediction: engine.Prediction, trace: object = None) -> bool:
    return str(getattr(prediction, "answer", "")) == example.answer


@pytest.mark.parametrize("kind", ["service_unavailable_503", "auth"])
def test_a_plain_evaluate_stops_when_every_call_fails(kind: str) -> None:
    lm = FaultLM(_answer, rate=1.0, kinds=[kind], name=f"br-eval-{kind}", num_retries=1)
    program = engine.Predict("question -> answer")
    with observe("fault", fault=kind, check="breaker stops a plain Evaluate") as seen:
        with engine.context(lm=lm):
            result = engine.Evaluate(devset=_examples(20), metric=_metric, num_threads=1)(
                program
            )
        seen.note(injected=lm.injector.injected[kind])
        failed = [r for r in lm.ledger.records if r.error]
        expected = 1 if kind == "auth" else MAX_CONSECUTIVE_FAILURES
        assert len(failed) == expected, len(failed)  # not 20: the breaker stopped the evaluation
        assert result.score == 0 and result.stopped == "budget"


def test_a_plain_compile_stops_when_every_call_fails() -> None:
    lm = FaultLM(_answer, rate=1.0, kinds=["server_error_500"], name="br-compile", num_retries=1)
    optimizer = engine.BootstrapFewShotWithRandomSearch(
        metric=_metric, max_bootstrapped_demos=2, num_candidate_programs=3, num_threads=1
    )
    with observe("fault", fault="server_error_500", check="breaker stops a compile") as seen:
        with engine.context(lm=lm):
            compiled = optimizer.compile(
                engine.Predict("question -> answer"), trainset=_examples(10), valset=_examples(12)
            )
        seen.note(injected=lm.injector.injected["server_error_500"])
        failed = [r for r in lm.ledger.records if r.error]
        assert len(failed) == MAX_CONSECUTIVE_FAILURES, len(failed)
        assert compiled.result.status == "stopped: budget"


def test_failures_with_successes_between_them_do_not_stop_an_evaluate() -> None:
    lm = FaultLM(_answer, rate=0.3, seed=1, kinds=["server_error_500"], name="br-mixed",
                 num_retries=0)  # fmt: skip
    with engine.context(lm=lm):
        result = engine.Evaluate(devset=_examples(30), metric=_metric, num_threads=1)(
            engine.Predict("question -> answer")
        )
    assert result.stopped is None and len(lm.ledger.records) == 30
    assert any(r.error for r in lm.ledger.records) and any(not r.error for r in lm.ledger.records)
