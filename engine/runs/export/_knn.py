"""Export of a KNNFewShot run: its program picks demos per input, so no fixed prompt holds it.

The stored state is `KNNFewShotProgram.dump_state()`: the student's predictors under
`program.<path>` (no demos) and `knn: {k, trainset: [example ids], bootstrap: {...}}`. It is
rebuilt from the run's spec and train split (the ids must still match: same data, same split),
so the JSON loads back into it, and the .py export writes the training rows and
`KNNFewShot(k, trainset, metric, **bootstrap).compile(Program())`: the same per-input behaviour
(docs/design/knn_fewshot.md).
"""

from __future__ import annotations

import json
from typing import Any

from engine.errors import TunesmithError
from engine.optimizers import KNNFewShot
from engine.optimizers.spine import example_id
from engine.runs.data import load_data
from engine.runs.export.codegen import py_literal, render_program
from engine.runs.pipeline import build_metric, build_program
from engine.runs.spec import ProjectSpec

KNN_KEY = "knn"


def is_knn_state(state: dict[str, Any]) -> bool:
    """Whether a stored program state is a KNNFewShot program's."""
    part = state.get(KNN_KEY)
    return isinstance(part, dict) and "trainset" in part and "k" in part


def knn_trainset(spec: ProjectSpec, state: dict[str, Any]) -> list[Any]:
    """The run's training examples, in the order the state lists their ids; a TunesmithError
    when the data or split no longer gives those examples."""
    train = load_data(spec).train
    by_id = {example_id(ex): ex for ex in train}
    ids = list(state[KNN_KEY]["trainset"])
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise TunesmithError(
            f"{len(missing)} of the run's {len(ids)} training rows are no longer in the data "
            "(the CSV or the split changed since the run), so its per-input demos cannot be "
            "rebuilt; run KNNFewShot again on the current data"
        )
    return [by_id[i] for i in ids]


def knn_program(spec: ProjectSpec, state: dict[str, Any]) -> Any:
    """The run's KNNFewShot program rebuilt from spec and training rows, its state loaded
    (no LM call)."""
    part = state[KNN_KEY]
    optimizer = KNNFewShot(
        k=int(part["k"]), trainset=knn_trainset(spec, state), metric=build_metric(spec),
        **dict(part.get("bootstrap") or {}),
    )  # fmt: skip
    return optimizer.compile(build_program(spec)).load_state(state)


def _metric_call(spec: ProjectSpec) -> str:
    params = dict(spec.metric.params)
    field = spec.metric.field or (spec.label_fields[0] if len(spec.label_fields) == 1 else None)
    if field:
        params["field"] = field
    if spec.metric.criteria:
        params["criteria"] = spec.metric.criteria
    if spec.metric.scale:
        params["scale"] = spec.metric.scale
    params = json.loads(json.dumps(params, default=str))
    return f"make_metric({spec.metric.kind!r}, **{py_literal(params)})"


def knn_code(spec: ProjectSpec, state: dict[str, Any]) -> str:
    """Standalone Python for the run's KNNFewShot program (see the module docstring)."""
    train = knn_trainset(spec, state)
    part = state[KNN_KEY]
    k = int(part["k"])
    rows = json.loads(json.dumps([dict(ex.items()) for ex in train], default=str))
    inputs = sorted(train[0].input_keys) if train else spec.input_fields
    bootstrap = json.loads(json.dumps(dict(part.get("bootstrap") or {}), default=str))
    tail = [
        "",
        f"# KNNFewShot: for each input, demos are bootstrapped from its {k} nearest",
        f"# training rows ({len(rows)} rows of the run's train split below); the metric checks",
        "# the teacher's answers. No fixed prompt holds this: the demos differ per input.",
        "from engine.evaluate.metrics import make_metric  # noqa: E402",
        f"TRAIN_ROWS = {py_literal(rows)}",
        f"TRAINSET = [dspy.Example(**row).with_inputs(*{inputs!r}) for row in TRAIN_ROWS]",
        f"METRIC = {_metric_call(spec)}",
        f"BOOTSTRAP = {py_literal(bootstrap, width=80)}",
        f"program = dspy.KNNFewShot(k={k}, trainset=TRAINSET, metric=METRIC,",
        "                           **BOOTSTRAP).compile(Program())",
        f"STATE = {py_literal(json.loads(json.dumps(state, default=str)))}",
        "program.load_state(STATE)  # instructions, k and the training rows' ids",
    ]
    return render_program(spec, configure_lm=True, tail=tail)
