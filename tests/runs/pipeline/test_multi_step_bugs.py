"""What a program of two steps meets, built the way the dashboard builds it (a spec, run by the
worker) on a scripted LM: demos for every step bootstrapped from traces whose final answer
matched the label (the first step has no label); a choice of step 1 reaching step 2 as the
label chosen; a retry or a parse fallback in step 2 counted once, without step 1 run again; a
row whose step 2 fails kept with step 1's trace and scored as a miss with its reason; and
choice calibration of a program of several steps refused in the run's log, not silently."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from engine.lm.calls import retry
from engine.lm.scripted import ScriptedLM, input_fields
from engine.runs import create_run, load_spec
from engine.runs.export import program_state
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict
from engine.runs.store import RunStore

CHOICES = ["billing", "technical", "shipping"]
_ASKED = re.compile(r"Your output fields are:\n1\. `(\w+)`")


def restate_then_classify(project: Path, optimizer: dict[str, Any]) -> dict[str, Any]:
    """restate (ticket -> request), then classify (ticket, request -> category: a choice);
    the label is the last step's only."""
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    restate = {"name": "restate", "module": "Predict", "instructions": "Restate the ticket.",
               "fields": [{"name": "ticket", "role": "input"},
                          {"name": "request", "role": "output"}]}  # fmt: skip
    classify["fields"].insert(1, {"name": "request", "role": "input"})
    spec["pipeline"] = [restate, classify]
    spec["data"].update(train_size=6, val_size=6, test_size=6)
    spec["optimizer"] = optimizer
    return spec


AREAS = {"money": "billing", "software": "technical", "delivery": "shipping"}


def triage_then_classify(project: Path, optimizer: dict[str, Any]) -> dict[str, Any]:
    """triage (ticket -> area: a choice), then classify (ticket, area -> category: a choice);
    the label is the last step's only, step 1's choice has none."""
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    area = {"name": "area", "type": "literal", "choices": list(AREAS)}
    fields = [{"name": "ticket", "role": "input"}, {**area, "role": "output"}]
    triage = {"name": "triage", "module": "Predict", "instructions": "Name the area."}
    triage["fields"] = fields
    classify["fields"].insert(1, {**area, "role": "input"})
    spec["pipeline"] = [triage, classify]
    spec["data"].update(train_size=6, val_size=6, test_size=6)
    spec["optimizer"] = optimizer
    return spec


def read_truth(project: Path) -> dict[str, str]:
    """{ticket: its team} of the project's CSV."""
    with open(project / "support_tickets.csv", newline="", encoding="utf-8") as fh:
        return {r["ticket"].strip(): r["category"].strip() for r in csv.DictReader(fh)}


@pytest.fixture
def truth(project: Path) -> dict[str, str]:
    return read_truth(project)


def asked(messages: list[dict[str, Any]]) -> str:
    """The step's first output field (the system message names it)."""
    found = _ASKED.search(messages[0]["content"])
    return found.group(1) if found else ""


class StepwiseLM:
    """A scripted LM for both shapes: restate says the same for every ticket; triage answers
    the true area with examples in its prompt, else "money"; classify answers the team of the
    area it is given, or without one, the true team with examples in its prompt, else
    "billing". `seen` keeps each step's inputs, `replies` lets a test change one step's reply.
    It takes decoding arguments as the embedded model does (`supports_stop`)."""

    def __init__(self, truth: dict[str, str]) -> None:
        self.truth = truth
        self.seen: dict[str, list[dict[str, str]]] = {}
        self.replies: dict[str, Any] = {}

    def answer(self, messages: list[dict[str, Any]]) -> Any:
        step = asked(messages)
        fields = input_fields(messages[-1]["content"])
        self.seen.setdefault(step, []).append(fields)
        if step in self.replies:
            reply = self.replies[step](fields)
            if reply is not None:
                return reply
        if step == "request":
            return {"request": "the customer asks for help"}
        shown = any(m.get("role") == "assistant" for m in messages)
        team = self.truth.get(fields["ticket"].strip(), "billing")
        if step == "area":
            return {"area": {v: k for k, v in AREAS.items()}[team] if shown else "money"}
        if "area" in fields:
            return {"category": AREAS.get(fields["area"].strip(), "unknown")}
        return {"category": self.truth.get(fields["ticket"].strip(), "billing") if shown
                else "billing"}  # fmt: skip

    def factory(self, spec: Any) -> ScriptedLM:
        return DecodingLM(by_input=self.answer, name="stepwise")


class DecodingLM(ScriptedLM):
    @property
    def supports_stop(self) -> bool:
        return True


def run(spec: dict[str, Any], project: Path, db_path: Path, lm: StepwiseLM) -> tuple[str, str]:
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    return run_id, run_worker(run_id, db_path, lm_factory=lm.factory)


def demos_of(run_id: str, db_path: Path) -> dict[str, list[dict[str, Any]]]:
    state = program_state(run_id, db_path)
    return {path.split(".")[0]: part["demos"] for path, part in state.items()}


BOOTSTRAP = {"name": "BootstrapFewShot",
             "params": {"max_bootstrapped_demos": 2, "max_labeled_demos": 0}}  # fmt: skip


# 1. bootstrapping with labels on the last step only ------------------------------------------
def test_both_steps_get_demos_from_traces_whose_answer_matched(project, db_path, truth) -> None:
    lm = StepwiseLM(truth)
    run_id, status = run(restate_then_classify(project, BOOTSTRAP), project, db_path, lm)
    assert status == "finished"
    demos = demos_of(run_id, db_path)
    assert set(demos) == {"restate", "classify"}
    assert [len(demos["restate"]), len(demos["classify"])] == [2, 2]
    for demo in demos["classify"]:  # the teacher's answer matched the label
        assert demo["augmented"] and demo["category"] == truth[demo["ticket"].strip()]
    # step 1's demos come from the same traces: the same tickets, with what step 1 wrote
    assert [d["ticket"] for d in demos["restate"]] == [d["ticket"] for d in demos["classify"]]
    assert all(d["request"] == "the customer asks for help" for d in demos["restate"])
    assert all("category" not in d for d in demos["restate"])


@pytest.mark.parametrize("shape", [restate_then_classify, triage_then_classify])
def test_the_default_optimizer_bootstraps_every_step(project, db_path, truth, shape) -> None:
    """`auto` (BootstrapFewShot on 6 training rows, labeled demos filling up): each step's
    bootstrapped demos are the same traces', the last step's matching the label."""
    lm = StepwiseLM(truth)
    run_id, status = run(shape(project, {"name": "auto", "params": {}}), project, db_path, lm)
    assert status == "finished"
    first, last = demos_of(run_id, db_path).values()
    booted = [[d for d in demos if d.get("augmented")] for demos in (first, last)]
    assert booted[0] and [d["ticket"] for d in booted[0]] == [d["ticket"] for d in booted[1]]
    assert all(d["category"] == truth[d["ticket"].strip()] for d in booted[1])
    assert all("category" not in d for d in booted[0])


# 2. a choice of step 1 fed to step 2 ---------------------------------------------------------
def test_a_choice_reaches_the_next_step_as_the_label_chosen(project, db_path, truth) -> None:
    lm = StepwiseLM(truth)
    run_id, status = run(triage_then_classify(project, BOOTSTRAP), project, db_path, lm)
    assert status == "finished"
    assert {seen["area"] for seen in lm.seen["category"]} <= set(AREAS)
    with RunStore(db_path) as store:
        run_row, rows = store.get_run(run_id), store.example_results(run_id, subset="test")
    assert run_row["test_best"] == 1.0  # step 2 is right on every row step 1's demos got right
    for row in rows:
        triage, classify = row["trace"]
        assert classify["inputs"]["area"] == triage["outputs"]["area"] in AREAS
        assert row["outputs"]["category"] == AREAS[triage["outputs"]["area"]]
    demos = demos_of(run_id, db_path)
    assert [len(demos["triage"]), len(demos["classify"])] == [2, 2]
    for demo in demos["classify"]:
        assert demo["area"] in AREAS and demo["category"] == truth[demo["ticket"].strip()]


# 3. retries and budget across steps ----------------------------------------------------------
class RateLimitError(Exception):
    """Named like litellm's: the LM retries it."""


def test_a_retry_in_step_two_is_counted_once_and_step_one_is_not_run_again(
    project, db_path, truth, monkeypatch
) -> None:
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)
    lm, failed = StepwiseLM(truth), set()

    def once_then_fine(fields: dict[str, str]) -> Any:
        ticket = fields["ticket"]
        if ticket not in failed:  # every ticket's first classify call: a rate limit
            failed.add(ticket)
            raise RateLimitError("429 slow down")
        return None

    lm.replies["category"] = once_then_fine
    spec = restate_then_classify(project, {"name": "LabeledFewShot", "params": {"k": 2}})
    run_id, status = run(spec, project, db_path, lm)
    assert status == "finished"
    with RunStore(db_path) as store:
        calls, rows = store.lm_calls(run_id), store.example_results(run_id)
    # step 1 ran once per row scored: the retry did not run it again
    assert len(lm.seen["request"]) == len(rows) and all(r["error"] is None for r in rows)
    # step 2 was asked once more per ticket (the retry) ...
    assert len(lm.seen["category"]) == len(rows) + len(failed)
    # ... and each call is one record (its retry noted on it), one call against the budget
    assert len(calls) == 2 * len(rows)
    retried = [json.loads(c["retried"]) for c in calls if c["retried"]]
    assert len(retried) == len(failed) and all(r == {"rate_limit": 1} for r in retried)


def test_a_parse_fallback_in_step_two_counts_against_the_budget(project, db_path, truth) -> None:
    lm = StepwiseLM(truth)
    lm.replies["category"] = lambda fields: "I think it is about money."  # no sections
    spec = restate_then_classify(project, {"name": "LabeledFewShot", "params": {"k": 2}})
    spec["optimizer"]["budget"] = {"max_calls": 10}
    spec["data"]["test_size"] = 0  # held-out scoring is outside the budget
    run_id, status = run(spec, project, db_path, lm)
    assert status == "stopped: budget"
    with RunStore(db_path) as store:
        calls = store.lm_calls(run_id)
    made = sum(len(v) for v in lm.seen.values())
    assert len(calls) == made == 10  # every call made, fallbacks too, is one against the budget
    restated = [seen["ticket"] for seen in lm.seen["request"]]
    assert len(restated) == len(set(restated))  # step 1 once per row, however step 2 went


# 4. partial traces when one step fails -------------------------------------------------------
def test_a_row_whose_second_step_fails_keeps_step_one_and_is_a_miss(
    project, db_path, truth
) -> None:
    lm = StepwiseLM(truth)
    bad = sorted(truth)[0]
    lm.replies["category"] = lambda f: "no sections here" if f["ticket"].strip() == bad else None
    spec = restate_then_classify(project, {"name": "LabeledFewShot", "params": {"k": 2}})
    spec["data"].update(train_size=6, val_size=len(truth) - 12, test_size=6)
    run_id, status = run(spec, project, db_path, lm)
    assert status == "finished"
    with RunStore(db_path) as store:
        rows = [r for r in store.example_results(run_id) if r["inputs"]["ticket"].strip() == bad]
    assert rows
    for row in rows:
        assert row["score"] == 0.0 and row["error"]
        assert row["trace"][0]["predictor"] == "restate"
        assert row["trace"][0]["outputs"] == {"request": "the customer asks for help"}


# 5. calibration of a choice that is not the last step ----------------------------------------
def test_calibration_of_a_program_of_several_steps_is_refused_in_the_log(
    project, db_path, truth
) -> None:
    lm = StepwiseLM(truth)
    run_id, status = run(triage_then_classify(project, BOOTSTRAP), project, db_path, lm)
    assert status == "finished"
    with RunStore(db_path) as store:
        logs = [e["data"].get("message", "") for e in store.events(run_id, types=["log"])]
    skipped = [line for line in logs if line.startswith("choice calibration skipped")]
    assert skipped == [
        "choice calibration skipped: it tunes a program of one step, and this one has 2; the "
        "choices of triage, classify are still picked from the allowed values, uncalibrated"
    ]
    with RunStore(db_path) as store:
        assert "several steps" in store.get_run(run_id)["estimate"]["notes"]
