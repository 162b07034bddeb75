"""The few-shot bench's data and programs: the banking77 split, the metric, the signatures.

Imported by bench/fewshot/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
"""

import csv
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dspy

import engine as ts
from bench.core.common import REPO

# the embedded model both frameworks call (TUNESMITH_BENCH_MODEL=local/smollm2-135m-q4_1: the
# shipped Q4_1 file rather than its Q8_0 copy, engine/lm/local/runtime/_requant.py)
MODEL = os.environ.get("TUNESMITH_BENCH_MODEL", "local/smollm2-135m")
# the shared benchmark data beside the checkout (../shared/benchmarks); `--data` elsewhere
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "banking77"
INSTRUCTIONS = "Classify the intent of a banking customer's message."


# -- data ------------------------------------------------------------------------------------
@dataclass
class Split:
    """Rows (text, category) of the train/val/test sets and the label set."""

    train: list[dict[str, str]]
    val: list[dict[str, str]]
    test: list[dict[str, str]]
    labels: list[str]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return [{"text": r["text"], "category": r["category"]} for r in csv.DictReader(handle)]


def load_split(data: Path, n_train: int, n_val: int, n_test: int, seed: int) -> Split:
    """Seeded train/val from train.csv and a seeded test sample from test.csv."""
    train_csv, test_csv = data / "train.csv", data / "test.csv"
    if not train_csv.is_file() or not test_csv.is_file():
        raise SystemExit(
            f"banking77 data not found: expected {train_csv} and {test_csv} "
            "(pass --data DIR with train.csv and test.csv, columns text,category)"
        )
    pool, test_pool = read_rows(train_csv), read_rows(test_csv)
    if n_train + n_val > len(pool) or n_test > len(test_pool):
        raise SystemExit(
            f"asked for {n_train}+{n_val} of {len(pool)} train rows, "
            f"{n_test} of {len(test_pool)} test rows"
        )
    rng = random.Random(seed)
    rng.shuffle(pool)
    test = random.Random(seed + 1).sample(test_pool, n_test)
    labels = sorted({r["category"] for r in pool})
    return Split(pool[:n_train], pool[n_train : n_train + n_val], test, labels)


def exact_match(example: Any, prediction: Any, trace: Any = None) -> bool:
    """1 if the predicted category equals the gold one."""
    return str(getattr(prediction, "category", "")).strip() == example.category


# -- the two programs ------------------------------------------------------------------------
def make_signatures(labels: list[str], instructions: str = INSTRUCTIONS) -> tuple[type, type]:
    """The same class signature in Tunesmith and DSPy: text -> category: Literal[labels], with
    `instructions` (banking77's by default) in both."""
    intent = Literal[tuple(labels)]  # type: ignore[valid-type]

    class TsIntent(ts.Signature):
        """Classify the intent of a banking customer's message."""

        text: str = ts.InputField()
        category: intent = ts.OutputField()  # type: ignore[valid-type]

    class DspyIntent(dspy.Signature):
        """Classify the intent of a banking customer's message."""

        text: str = dspy.InputField()
        category: intent = dspy.OutputField()  # type: ignore[valid-type]

    assert TsIntent.instructions == DspyIntent.instructions == INSTRUCTIONS
    if instructions != INSTRUCTIONS:
        return TsIntent.with_instructions(instructions), DspyIntent.with_instructions(instructions)
    return TsIntent, DspyIntent


def examples(module: Any, rows: list[dict[str, str]]) -> list[Any]:
    return [module.Example(**row).with_inputs("text") for row in rows]
