"""The structure stage (`optimizer.try_shapes`): before the search, the program's simpler
shapes are scored on the validation rows the search uses, and the best one is tuned.

Each shape is scored with the same `DEMOS_PER_STEP` labelled training rows as examples on
every step that has none of its own, as LabeledFewShot would give them: a step shows those
rows only where they hold its inputs and an output (a step reading another step's output shows
none). Untuned, the shapes of a small model's program scored alike (every shape answering
mostly one label); with the rows, a step that can learn from them is seen to.

A shape changes the spec as written in one or more of these ways:
- a ChainOfThought step answers directly (Predict);
- a step is bypassed. The rule for what the later steps then read: only a Predict or
  ChainOfThought step that is not the last, with one input and text (`str`) fields only, may
  be bypassed; every later step that reads one of its outputs reads its input instead (the
  field takes the input's name, type and description; a step that already reads that input,
  or read another of the outputs, just loses the field: an extract step's product and problem
  become the ticket once). A step with an output that is a choice, a number, a list or a flag
  is never bypassed: no text can stand in for it.

Shapes are tried with the fewest changes first, at most `MAX_SHAPES` in all (the spec as
written first); a tie goes to the spec as written, then to the shape tried first. Scoring goes
through the run's ledger and budget (`RunContext`), and the chosen shape's rows are handed to the
run (a candidate the search makes again, the same rows as examples, costs no call again). The
choice is one "structure" event, with its sentence.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from engine.core import BudgetExhausted, SpecError
from engine.evaluate import TooManyErrors
from engine.optimizers import RunCancelled, RunContext, TrialRunner
from engine.optimizers.labeled import labeled_rng
from engine.optimizers.spine import calls_per_run, fit_one_line_outputs
from engine.runs.pipeline._program import build_program
from engine.runs.spec import ProjectSpec, spec_from_dict
from engine.runs.store import RunStore, StoreAt

MAX_SHAPES = 8  # the spec as written included
DEMOS_PER_STEP = 4  # labelled rows each shape is scored with
STRUCTURE = "structure"  # the event type
Change = tuple[str, str]  # ("bypass" | "predict", step name)


def step_options(spec: ProjectSpec) -> list[list[Change]]:
    """Per step, the changes it may take (the last step is never bypassed)."""
    out: list[list[Change]] = []
    for index, step in enumerate(spec.pipeline):
        options: list[Change] = []
        if step.module == "ChainOfThought":
            options.append(("predict", step.name))
        if index < len(spec.pipeline) - 1 and _bypassable(step):
            options.append(("bypass", step.name))
        out.append(options)
    return out


def _bypassable(step: Any) -> bool:
    text = [f.type == "str" for f in (*step.inputs, *step.outputs)]
    return step.module in ("Predict", "ChainOfThought") and len(step.inputs) == 1 and all(text)


def shapes(spec: ProjectSpec) -> list[tuple[tuple[Change, ...], ProjectSpec]]:
    """(changes, spec) of each shape to try: the spec as written first, fewest changes next."""
    per_step = [[None, *options] for options in step_options(spec)]
    combos = [tuple(c for c in combo if c) for combo in itertools.product(*per_step)]
    out: list[tuple[tuple[Change, ...], ProjectSpec]] = []
    for changes in sorted(combos, key=len):
        if len(out) == MAX_SHAPES:
            break
        shaped = reshaped(spec, changes)
        if shaped is not None:
            out.append((changes, shaped))
    return out


def reshaped(spec: ProjectSpec, changes: tuple[Change, ...]) -> ProjectSpec | None:
    """`spec` with `changes` made (None when the result is no valid spec)."""
    data = spec.model_dump(mode="json")
    for kind, name in changes:
        steps = data["pipeline"]
        index = next(i for i, s in enumerate(steps) if s["name"] == name)
        if kind == "predict":
            steps[index]["module"] = "Predict"
            continue
        step = steps.pop(index)
        given = next(f for f in step["fields"] if f["role"] == "input")
        for made in [f["name"] for f in step["fields"] if f["role"] == "output"]:
            for later in steps[index:]:
                _read_instead(later, made, given)
    try:
        return spec_from_dict(data, spec.base_dir)
    except SpecError:  # a shape the spec's own checks refuse is not tried
        return None


def _read_instead(step: dict[str, Any], made: str, given: dict[str, Any]) -> None:
    """Make `step` read the field `given` where it read `made`."""
    names = [f["name"] for f in step["fields"]]
    if made not in names:
        return
    if given["name"] in names:
        step["fields"] = [f for f in step["fields"] if f["name"] != made]
    else:
        step["fields"][names.index(made)] = copy.deepcopy(given)
    for demo in step.get("demos") or []:
        if made in demo:
            demo.setdefault(given["name"], demo.pop(made))


def shape_rows(optimizer: Any, train: list[Any], val: list[Any] | None) -> list[Any]:
    """The rows the stage scores shapes on: those the optimizer scores its candidates on (none
    for one that runs no trials, as LabeledFewShot: the stage then does nothing)."""
    if not getattr(optimizer, "uses_valset", True) or getattr(optimizer, "metric", None) is None:
        return []
    return optimizer.effective_valset(train, val)


def extra_calls(spec: ProjectSpec, rows: int) -> tuple[int, int]:
    """(shapes the stage scores, their task LM calls on `rows` rows): what it adds to a run's
    estimate ((0, 0) when it is off or the program has one shape). Scored with examples, the
    spec as written is not the run's untuned baseline, so it counts too."""
    tried = shapes(spec) if spec.optimizer.try_shapes else []
    if len(tried) < 2:
        return 0, 0
    return len(tried), sum(rows * calls_per_run(build_program(s)) for _, s in tried)


def with_labelled_rows(program: Any, train: list[Any], seed: int) -> Any:
    """`program` with `DEMOS_PER_STEP` training rows (drawn as LabeledFewShot draws them) as
    the examples of each step that has none; the same rows for every shape."""
    if not train:
        return program
    chosen = labeled_rng(seed).sample(train, min(DEMOS_PER_STEP, len(train)))
    for _, predictor in program.named_predictors():
        if not predictor.demos:
            predictor.demos = [example.copy() for example in chosen]
    return program


def choose_shape(
    spec: ProjectSpec, train: list[Any], val: list[Any], metric: Any, run: RunContext
) -> ProjectSpec:
    """The best-scoring shape of `spec` on `val` (the spec itself when the stage is off, the
    program has one shape, or there are no validation rows), said in a "structure" event."""
    tried = shapes(spec) if spec.optimizer.try_shapes and val else []
    if len(tried) < 2:
        return spec
    scratch = RunContext(ledger=run.ledger, budget=run.budget, should_cancel=run.should_cancel,
                         seed=run.seed)  # fmt: skip
    runner = TrialRunner(scratch, metric)
    shown = min(DEMOS_PER_STEP, len(train))
    run.recorder.phase("program shapes", f"the program's {len(tried)} shapes, with {shown} "
                       f"labelled rows as examples, on {len(val)} validation rows; the best one "
                       "is tuned")  # fmt: skip
    scores: list[float] = []
    hashes: list[str] = []
    try:
        with scratch.activate():
            for changes, shaped in list(tried):
                program = fit_one_line_outputs(build_program(shaped), train)
                program = with_labelled_rows(program, train, run.seed)
                try:
                    trial = runner.evaluate(program, val, subset="val", track_best=False)
                except TooManyErrors as exc:  # the spec as written: the search would fail too
                    if not changes:
                        raise
                    run.recorder.log(f"{change_words(changes)}: not tried ({exc})", "warning")
                    tried.remove((changes, shaped))
                    continue
                scores.append(trial.score)
                hashes.append(trial.candidate)
    except (BudgetExhausted, RunCancelled) as exc:
        run.recorder.log(f"program shapes not compared ({exc}): the spec as written is tuned",
                         level="warning")  # fmt: skip
        return spec
    if len(tried) < 2:
        return spec
    best = max(range(len(tried)), key=lambda i: (scores[i], -i))  # ties: the earlier shape
    run.results.update({k: v for k, v in scratch.results.items() if k[0] == hashes[best]})
    message = shape_sentence([c for c, _ in tried], scores, best, len(val), shown)
    chosen = tried[best][1]
    run.recorder.emit(
        STRUCTURE, message=message, rows=len(val), chosen=best, spec=chosen.to_dict(),
        shapes=[{"changes": [list(c) for c in changes], "score": score}
                for (changes, _), score in zip(tried, scores)],
    )  # fmt: skip
    run.recorder.log(message)
    return chosen


def shape_sentence(changes: list[tuple[Change, ...]], scores: list[float], best: int,
                   rows: int, examples: int = 0) -> str:  # fmt: skip
    """What the stage chose, in words: "the step 'restate' was dropped: the program scores 71%
    without it, 20% as written (4 shapes tried on 30 validation rows, each with the same 4
    labelled rows as examples where its steps can show them)"."""
    shown = (f", each with the same {examples} labelled rows as examples where its steps can "
             "show them") if examples else ""  # fmt: skip
    tried = f"({len(changes)} shapes tried on {rows} validation rows{shown})"
    if best == 0:
        runner_up = max(range(1, len(scores)), key=lambda i: (scores[i], -i))
        return (
            f"the program was kept as written: it scores {scores[0]:.0%}, the best shape; next "
            f"was {change_words(changes[runner_up])} at {scores[runner_up]:.0%} {tried}"
        )
    return (
        f"{change_words(changes[best])}: the program scores {scores[best]:.0%} that way, "
        f"{scores[0]:.0%} as written {tried}"
    )


def change_words(changes: tuple[Change, ...]) -> str:
    """'the step 'restate' was dropped and the step 'classify' answers without reasoning'."""
    said = {"bypass": "was dropped", "predict": "answers without reasoning first"}
    return " and ".join(f"the step '{name}' {said[kind]}" for kind, name in changes)


def shape_choice(run_id: str, db_path: StoreAt | None = None) -> str | None:
    """What a run's structure stage chose, as a sentence starting with a capital (None: the
    stage did not run)."""
    with RunStore(db_path) as store:
        found = store.events(run_id, types=[STRUCTURE])
    message = str((found[-1].get("data") or {}).get("message") or "") if found else ""
    return message[:1].upper() + message[1:] or None
