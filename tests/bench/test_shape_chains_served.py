"""The shape matrix's `--server` leg against a real llama.cpp server on 127.0.0.1: a multi-step
case compiled (BootstrapFewShot) and scored by Tunesmith, every call sent to the server (the
in-process model's meter sees none), the calls counted, the step view kept; DSPy's runner sends
its calls to the same server (one call checked: its whole leg is the bench's, at 215 s the
suite's second-slowest test when it ran here). Skipped, saying what is missing, where
llama-cpp-python's `server` extra is absent."""

from __future__ import annotations

import argparse

import pytest

from bench.core.common import REPO
from bench.core.llama_server import LlamaServer, missing_packages
from bench.shapes.cases import BY_NAME, split
from bench.shapes.meter import SplitMeter
from bench.shapes.runners import DSPyShapes, TunesmithShapes

pytestmark = [pytest.mark.real_lm, pytest.mark.slow, pytest.mark.timeout(600)]

MISSING = missing_packages()


def arguments(served: tuple[str, str, str]) -> argparse.Namespace:
    return argparse.Namespace(
        served=served, max_tokens=48, threads=1, optimizer="bootstrap", max_bootstrapped=1,
        max_labeled=1, proposer_temperature=1.0, proposer_max_tokens=64,
    )  # fmt: skip


def test_a_chain_runs_on_the_served_model_and_dspys_calls_go_there_too():
    if MISSING:
        pytest.skip(f"llama.cpp's server cannot run here: missing {', '.join(MISSING)}")
    case = BY_NAME["classify_explain"]
    rows = split(case, REPO / "sample_data", (1, 1, 1), seed=0)
    meter = SplitMeter()  # not installed: nothing of the in-process model is counted
    with LlamaServer(n_ctx=1024) as server:
        args = arguments((server.model, server.api_base, server.api_key))
        peer = DSPyShapes(args, meter)
        assert peer.lm.model == server.model
        peer.lm("Say yes.", max_tokens=2)
        assert peer.counters()[0] == 1  # the call reached the server and came back
        runner = TunesmithShapes(args, meter)
        assert runner.lm.model == server.model
        runner.setup(case, rows)
        leg = runner.leg(0, meter)
        assert leg.error_type == "", leg.error
        assert leg.accuracy is not None and len(leg.rows) == 1
        # a held-out row through two steps at least, all of them the server's
        assert leg.calls == leg.framework_calls >= 2
        assert [entry["step"] for entry in leg.steps] == ["classify", "explain"]
        assert leg.steps[0]["accuracy"] is not None
    assert meter.read().calls == 0
