"""The structure stage (`optimizer.try_shapes`): a restate -> classify program on a scripted LM
whose restating step loses the ticket (it is dropped, and the run says so), keeps it (it stays),
or whose classify step goes wrong when it reasons first (it answers directly). The estimate
counts the shapes' calls; a one-step program and a step no text can stand in for are left
alone."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from engine.core import LMError, settings
from engine.lm.scripted import ScriptedLM, input_fields
from engine.optimizers import RunContext
from engine.optimizers.spine import Event
from engine.runs import create_run, get_run, load_spec, shape_choice, summary_html
from engine.runs.data import load_data
from engine.runs.estimate import preflight
from engine.runs.pipeline import STRUCTURE, build_metric, build_program, choose_shape, extra_calls
from engine.runs.pipeline._structure import shapes, step_options
from engine.runs.process.worker import run_worker
from engine.runs.spec import spec_from_dict
from engine.runs.store import RunStore

SEARCH = {"name": "BootstrapFewShotWithRandomSearch",
          "params": {"num_candidate_programs": 2, "max_bootstrapped_demos": 1,
                     "max_labeled_demos": 1, "race": False}}  # fmt: skip
MARK = "RESTATED: "


def two_steps(project: Path, classify_module: str = "Predict", **optimizer: Any) -> Any:
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    restate = {"name": "restate", "module": "Predict", "instructions": "Restate the ticket.",
               "fields": [{"name": "ticket", "role": "input"},
                          {"name": "request", "role": "output"}]}  # fmt: skip
    classify["fields"][0] = {"name": "request", "role": "input"}
    classify["module"] = classify_module
    spec["pipeline"] = [restate, classify]
    spec["data"].update(train_size=6, val_size=8, test_size=6)
    spec["optimizer"] = {**SEARCH, "try_shapes": True, **optimizer}
    return spec_from_dict(spec, base_dir=project)


def scripted(truth: dict[str, str], restate: str, cot_right: bool = True):
    """restate: "loses" (a fixed sentence), "marks" (the ticket, marked: classify is right
    only on a marked ticket) or "copies" (the ticket as it is)."""

    def factory(spec: Any) -> ScriptedLM:
        def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
            system = messages[0]["content"]
            text = next(iter(input_fields(messages[-1]["content"]).values()), "").strip()
            if "category" not in system:  # the restating step
                said = {"loses": "the customer asks for help", "marks": MARK + text}
                return {"request": said.get(restate, text)}
            reasons = "reasoning" in system
            if restate == "marks" and not text.startswith(MARK):
                label = "billing"
            else:
                label = truth.get(text.removeprefix(MARK), "billing")
            if reasons and not cot_right:
                label = "billing"
            return {"reasoning": "scripted", "category": label} if reasons else {"category": label}

        return ScriptedLM(by_input=answer, name="shapes")

    return factory


@pytest.fixture
def truth(project: Path) -> dict[str, str]:
    with open(project / "support_tickets.csv", newline="", encoding="utf-8") as fh:
        return {r["ticket"].strip(): r["category"].strip() for r in csv.DictReader(fh)}


def structure_event(run_id: str, db_path: Path) -> dict[str, Any] | None:
    with RunStore(db_path) as store:
        found = store.events(run_id, types=[STRUCTURE])
        logs = [e["data"]["message"] for e in store.events(run_id, types=["log"])]
        phases = [e["data"]["name"] for e in store.events(run_id, types=["phase"])]
    if not found:
        assert "program shapes" not in phases
        return None
    assert phases[0] == "program shapes"  # the Run page says what happens before the search
    assert len(found) == 1 and found[0]["data"]["message"] in logs  # the log says it too
    return found[0]["data"]


def test_a_restating_step_that_loses_the_ticket_is_dropped(project, db_path, truth) -> None:
    run_id = create_run(two_steps(project), db_path)
    assert run_worker(run_id, db_path, lm_factory=scripted(truth, "loses")) == "finished"
    event = structure_event(run_id, db_path)
    by_changes = {tuple(map(tuple, s["changes"])): s["score"] for s in event["shapes"]}
    assert by_changes[(("bypass", "restate"),)] == 1.0
    assert by_changes[()] < 0.6  # as written: "billing" for every ticket
    assert event["message"].startswith("the step 'restate' was dropped: the program scores "
                                       "100% that way, ")  # fmt: skip
    assert event["message"].endswith("as written (2 shapes tried on 8 validation rows, each "
                                     "with the same 4 labelled rows as examples where its steps "
                                     "can show them)")  # fmt: skip
    run = get_run(run_id, db_path=db_path)
    assert [s["name"] for s in run["spec"]["pipeline"]] == ["classify"]  # tuned and exported
    assert run["best_score"] == 1.0
    assert "restate" not in run["program"]
    said = shape_choice(run_id, db_path)
    assert said == "T" + event["message"][1:]
    shown = said.replace("'", "&#x27;")  # escaped as the page's text
    assert f"<dt>Program shape</dt><dd>{shown}</dd>" in summary_html(run_id, db_path)


def test_a_restating_step_that_helps_is_kept(project, db_path, truth) -> None:
    run_id = create_run(two_steps(project), db_path)
    assert run_worker(run_id, db_path, lm_factory=scripted(truth, "marks")) == "finished"
    event = structure_event(run_id, db_path)
    assert event["chosen"] == 0 and event["shapes"][0]["score"] == 1.0
    assert event["shapes"][1]["score"] < 0.6
    assert event["message"].startswith("the program was kept as written: it scores 100%")
    run = get_run(run_id, db_path=db_path)
    assert [s["name"] for s in run["spec"]["pipeline"]] == ["restate", "classify"]


def test_reasoning_that_hurts_gives_way_to_a_direct_answer(project, db_path, truth) -> None:
    spec = two_steps(project, "ChainOfThought")
    run_id = create_run(spec, db_path)
    lm = scripted(truth, "copies", cot_right=False)
    assert run_worker(run_id, db_path, lm_factory=lm) == "finished"
    event = structure_event(run_id, db_path)
    changes = [tuple(map(tuple, s["changes"])) for s in event["shapes"]]
    assert changes[0] == () and len(changes) == 4  # CoT or not, restate kept or not
    chosen = event["shapes"][event["chosen"]]
    # direct answers score 100% with or without the restating step: the tie goes to the
    # shape with fewer changes, tried first
    assert chosen["changes"] == [["predict", "classify"]] and chosen["score"] == 1.0
    assert "the step 'classify' answers without reasoning first" in event["message"]
    run = get_run(run_id, db_path=db_path)
    assert [s["module"] for s in run["spec"]["pipeline"]] == ["Predict", "Predict"]


def test_the_estimate_counts_the_other_shapes(project, truth) -> None:
    spec = two_steps(project, "ChainOfThought")
    off = spec.model_copy(update={"optimizer": spec.optimizer.model_copy(
        update={"try_shapes": False})})  # fmt: skip
    with_stage, without = preflight(spec)["estimate"], preflight(off)["estimate"]
    # each shape with examples, the spec as written too: CoT+Predict and Predict+Predict (2
    # calls a row), CoT alone and Predict alone (1 each), on 8 rows
    assert extra_calls(spec, 8) == (4, 8 * (2 + 2 + 1 + 1))
    assert with_stage["calls"]["task"] - without["calls"]["task"] == 48
    assert "4 program shapes scored first on 8 rows: 48 calls" in with_stage["notes"]


def test_the_stage_costs_what_the_estimate_says(project, db_path, truth) -> None:
    """The calls of a run with the stage, less those without it, are the shapes' calls less
    the chosen shape's (its rows are the run's baseline, scored once)."""
    calls = {}
    for on in (True, False):
        spec = two_steps(project, "ChainOfThought", try_shapes=on)
        run_id = create_run(spec, db_path)
        lm = scripted(truth, "copies", cot_right=True)  # every shape scores 100%: kept
        assert run_worker(run_id, db_path, lm_factory=lm) == "finished"
        calls[on] = get_run(run_id, db_path=db_path)["usage"]["calls"]
        assert (structure_event(run_id, db_path) is not None) == on
    assert calls[True] - calls[False] == extra_calls(two_steps(project, "ChainOfThought"), 8)[1]


def test_a_one_step_program_is_left_alone(project, db_path, truth, tickets_spec) -> None:
    data = tickets_spec.to_dict()
    data["data"].update(train_size=6, val_size=8, test_size=6)
    data["optimizer"] = {**SEARCH, "try_shapes": True}
    spec = spec_from_dict(data, base_dir=project)
    assert step_options(spec) == [[]] and len(shapes(spec)) == 1
    assert extra_calls(spec, 8) == (0, 0)
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=scripted(truth, "copies")) == "finished"
    assert structure_event(run_id, db_path) is None
    assert shape_choice(run_id, db_path) is None
    assert "Program shape" not in summary_html(run_id, db_path)
    assert "try_shapes" not in load_spec(project / "support_tickets.yaml").to_dict()["optimizer"]


def test_a_step_no_text_can_stand_in_for_is_never_bypassed(project) -> None:
    """extract (ticket -> a choice of urgency) feeds classify: a choice is not text, so extract
    is never bypassed; a ChainOfThought extract may still answer directly."""
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    extract = {"name": "extract", "module": "ChainOfThought",
               "fields": [{"name": "ticket", "role": "input"},
                          {"name": "urgency", "role": "output", "type": "literal",
                           "choices": ["low", "high"]}]}  # fmt: skip
    classify["fields"].insert(1, {"name": "urgency", "role": "input"})
    spec["pipeline"] = [extract, classify]
    spec["optimizer"] = {"try_shapes": True}
    shaped = spec_from_dict(spec, base_dir=project)
    assert step_options(shaped) == [[("predict", "extract")], []]
    assert [c for c, _ in shapes(shaped)] == [(), (("predict", "extract"),)]


def test_a_bypassed_step_hands_its_input_on(project) -> None:
    """A later step that reads both the step's input and its output just loses the output."""
    spec = two_steps(project)
    both = spec.to_dict()
    both["pipeline"][1]["fields"].insert(0, {"name": "ticket", "role": "input"})
    tried = shapes(spec_from_dict(both, base_dir=project))
    dropped = dict(tried)[(("bypass", "restate"),)]
    assert [f.name for f in dropped.pipeline[0].fields] == ["ticket", "category"]
    program = build_program(dict(shapes(spec))[(("bypass", "restate"),)])
    assert program.step_names == ["classify"]


def test_a_step_of_several_text_outputs_is_bypassed_to_its_one_input(project) -> None:
    """extract (ticket -> product, problem) feeds classify both: bypassed, classify reads the
    ticket once; with a choice among its outputs it stays (no text stands in for a choice)."""
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    classify = spec["pipeline"][0]
    extract = {"name": "extract", "module": "Predict",
               "fields": [{"name": "ticket", "role": "input"},
                          {"name": "product", "role": "output"},
                          {"name": "problem", "role": "output"}]}  # fmt: skip
    classify["fields"][0:1] = [{"name": "product", "role": "input"},
                               {"name": "problem", "role": "input"}]  # fmt: skip
    spec["pipeline"] = [extract, classify]
    spec["optimizer"] = {"try_shapes": True}
    shaped = spec_from_dict(spec, base_dir=project)
    assert step_options(shaped) == [[("bypass", "extract")], []]
    bypassed = dict(shapes(shaped))[(("bypass", "extract"),)]
    assert [s.name for s in bypassed.pipeline] == ["classify"]
    assert [f.name for f in bypassed.pipeline[0].inputs] == ["ticket"]
    assert build_program(bypassed).step_names == ["classify"]

    extract["fields"][2] = {"name": "urgency", "role": "output", "type": "literal",
                            "choices": ["low", "high"]}  # fmt: skip
    classify["fields"][1] = {"name": "urgency", "role": "input"}
    assert step_options(spec_from_dict(spec, base_dir=project)) == [[], []]


def test_a_resumed_run_takes_the_stored_choice(project, db_path, truth) -> None:
    """A worker started again after the stage chose keeps that choice and scores no shape."""
    spec = two_steps(project)
    run_id = create_run(spec, db_path)
    kept = dict(shapes(spec))[(("bypass", "restate"),)]
    with RunStore(db_path) as store:
        store.record_event(run_id, Event(1, STRUCTURE, 0.0, {"message": "kept", "spec":
                                                              kept.to_dict()}))  # fmt: skip
    assert run_worker(run_id, db_path, lm_factory=scripted(truth, "marks")) == "finished"
    run = get_run(run_id, db_path=db_path)
    assert [s["name"] for s in run["spec"]["pipeline"]] == ["classify"]
    with RunStore(db_path) as store:
        phases = store.events(run_id, types=["phase"])
    assert "program shapes" not in [e["data"]["name"] for e in phases]


def test_a_shape_that_fails_on_too_many_rows_is_not_tried(project, truth) -> None:
    """With max_errors 0, the shapes whose classify step gets the raw ticket (the model fails
    on one of them) are left out with a warning; the others are compared."""
    spec = two_steps(project, "ChainOfThought")
    answer = scripted(truth, "marks")(spec).by_input

    data, run = load_data(spec), RunContext()
    broken = data.val[0].ticket.strip()

    def failing(messages: list[dict[str, Any]]) -> Any:
        text = next(iter(input_fields(messages[-1]["content"]).values()), "").strip()
        if "category" in messages[0]["content"] and text == broken:  # raw, not restated
            raise LMError("the model broke")
        return answer(messages)

    lm = ScriptedLM(by_input=failing, name="failing")
    with settings.context(lm=lm, max_errors=0):
        chosen = choose_shape(spec, data.train, data.val, build_metric(spec), run)
    [event] = run.recorder.of_type(STRUCTURE)
    assert [s["changes"] for s in event.data["shapes"]] == [[], [["predict", "classify"]]]
    warned = [e.data["message"] for e in run.recorder.of_type("log")
              if e.data.get("level") == "warning"]  # fmt: skip
    assert any(m.startswith("the step 'restate' was dropped: not tried") for m in warned)
    assert [s.name for s in chosen.pipeline] == ["restate", "classify"]


def test_shapes_are_scored_with_the_same_labelled_rows(project, db_path, truth) -> None:
    """A classify step that answers right only with examples in its prompt: reading the
    restated ticket it has none (no row holds a restatement), reading the ticket it has the
    labelled rows. Untuned, both shapes would answer "billing" alike and the chain be kept."""
    seen: list[int] = []

    def factory(spec: Any) -> ScriptedLM:
        def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
            text = next(iter(input_fields(messages[-1]["content"]).values()), "").strip()
            if "category" not in messages[0]["content"]:  # the restating step copies
                return {"request": text}
            examples = sum(m["role"] == "assistant" for m in messages)
            seen.append(examples)
            return {"category": truth.get(text, "billing") if examples else "billing"}

        return ScriptedLM(by_input=answer, name="needs-examples")

    run_id = create_run(two_steps(project), db_path)
    assert run_worker(run_id, db_path, lm_factory=factory) == "finished"
    event = structure_event(run_id, db_path)
    by_changes = {tuple(map(tuple, s["changes"])): s["score"] for s in event["shapes"]}
    assert by_changes[(("bypass", "restate"),)] == 1.0 and by_changes[()] < 0.6
    assert event["message"].startswith("the step 'restate' was dropped")
    assert seen[:8] == [0] * 8 and seen[8:16] == [4] * 8  # as written, then without restate
