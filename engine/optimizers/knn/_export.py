"""KNNFewShot's own export (its registry entry's `export`): its program picks demos per input,
so no fixed prompt holds it.

The stored state is `KNNFewShotProgram.dump_state()`: the student's predictors under
`program.<path>` (no demos) and `knn: {k, trainset: [example ids], bootstrap: {...}}`. It is
rebuilt from the run's train split, which the runs layer passes in (the ids must still match:
same data, same split), so the JSON loads back into it, and the .py export writes the training
rows and `KNNFewShot(k, trainset, metric, **bootstrap).compile(Program())`: the same per-input
behaviour (docs/design/knn_fewshot.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from engine.core import TunesmithError
from engine.optimizers.knn._knn_fewshot import KNNFewShot
from engine.optimizers.registry import ExportHook
from engine.optimizers.spine import example_id

KNN_KEY = "knn"


def is_knn_state(state: dict[str, Any]) -> bool:
    """Whether a stored program state is a KNNFewShot program's."""
    part = state.get(KNN_KEY)
    return isinstance(part, dict) and "trainset" in part and "k" in part


def knn_trainset(state: dict[str, Any], train: list[Any]) -> list[Any]:
    """The run's training examples among `train`, in the order the state lists their ids; a
    TunesmithError when the data or split no longer gives those examples."""
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


def knn_program(state: dict[str, Any], train: list[Any], metric: Any, student: Any) -> Any:
    """The run's KNNFewShot program rebuilt from its training rows, its state loaded (no LM
    call)."""
    part = state[KNN_KEY]
    optimizer = KNNFewShot(
        k=int(part["k"]), trainset=knn_trainset(state, train), metric=metric,
        **dict(part.get("bootstrap") or {}),
    )  # fmt: skip
    return optimizer.compile(student).load_state(state)


def knn_code(
    state: dict[str, Any], train: list[Any], metric_code: str, literal: Callable[..., str]
) -> list[str]:
    """The .py export's lines that make the run's KNNFewShot program (module docstring)."""
    rows_in = knn_trainset(state, train)
    part = state[KNN_KEY]
    k = int(part["k"])
    rows = json.loads(json.dumps([dict(ex.items()) for ex in rows_in], default=str))
    inputs = sorted((rows_in or train)[0].input_keys)
    bootstrap = json.loads(json.dumps(dict(part.get("bootstrap") or {}), default=str))
    return [
        "",
        f"# KNNFewShot: for each input, demos are bootstrapped from its {k} nearest",
        f"# training rows ({len(rows)} rows of the run's train split below); the metric checks",
        "# the teacher's answers. No fixed prompt holds this: the demos differ per input.",
        "from engine.evaluate.metrics import make_metric  # noqa: E402",
        f"TRAIN_ROWS = {literal(rows)}",
        f"TRAINSET = [dspy.Example(**row).with_inputs(*{inputs!r}) for row in TRAIN_ROWS]",
        f"METRIC = {metric_code}",
        f"BOOTSTRAP = {literal(bootstrap, width=80)}",
        f"program = dspy.KNNFewShot(k={k}, trainset=TRAINSET, metric=METRIC,",
        "                           **BOOTSTRAP).compile(Program())",
        f"STATE = {literal(json.loads(json.dumps(state, default=str)))}",
        "program.load_state(STATE)  # instructions, k and the training rows' ids",
    ]


def knn_note(state: dict[str, Any]) -> str:
    """What the Export page says of a KNNFewShot run's downloads."""
    k, rows = state[KNN_KEY]["k"], len(state[KNN_KEY]["trainset"])
    return (
        f"**Demos chosen per input (KNNFewShot, k={k}).** For each input this program "
        f"bootstraps its demos from the {k} nearest of the run's {rows} training rows, so no "
        "fixed prompt holds it. The Python export re-creates it: it holds those training rows "
        "and calls `dspy.KNNFewShot(k, trainset, metric).compile(Program())` (it runs with "
        "`import engine`: the default nearest-row search is Tunesmith's offline BM25). The "
        "JSON holds the instructions, k and the training rows' ids, not the rows: load it into "
        "that compiled program. The prompt text shows the prompt without its per-input demos."
    )


KNN_EXPORT = ExportHook(owns=is_knn_state, program=knn_program, code=knn_code, note=knn_note)
