"""The GEPA seeds report says where a held-out change comes from when no rewrite was kept:
Tunesmith's end-of-compile choice calibration when its score moved, the zero-shot programs when
it did not."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# what bench.core.common.isolate_caches() sets for the process when a bench script is imported
BENCH_ENV = ("DSPY_CACHEDIR", "TUNESMITH_CACHE_DIR", "LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_LOG")


@pytest.fixture(scope="module")
def learning_lines() -> Iterator[Callable[[list[Path]], list[str]]]:
    """The report's function; importing it points this process's caches at a temp folder
    (`isolate_caches`), which is undone after these tests: left in place, every later test in
    this worker would share one LM cache folder."""
    saved = {name: os.environ.get(name) for name in BENCH_ENV}
    from bench.gepa.seeds import learning_lines

    yield learning_lines
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _saved(tmp_path: Path, seed: int, zero: float, tuned: float) -> Path:
    outcomes = [
        {"framework": "Tunesmith", "setup": "zero-shot", "accuracy": zero, "candidates": 0},
        {"framework": "Tunesmith", "setup": "same", "accuracy": tuned, "candidates": 1},
        {"framework": "DSPy 3.4.1", "setup": "same", "accuracy": 5.0, "candidates": 1},
    ]
    path = tmp_path / f"gepa_seed{seed}.json"
    path.write_text(json.dumps({"settings": {"seed": seed}, "outcomes": outcomes,
                                "baselines": [0]}))  # fmt: skip
    return path


def test_a_score_that_moved_without_a_rewrite_is_put_down_to_calibration(
    tmp_path, learning_lines
) -> None:
    text = "\n".join(learning_lines([_saved(tmp_path, 0, 57.5, 72.5), _saved(tmp_path, 1, 45, 45)]))
    assert "57.5% → 72.5% on seed 0" in text and "45.0% → 45.0%" not in text
    assert "choice calibration" in text and "not GEPA's search" in text


def test_an_unmoved_score_is_the_zero_shot_program(tmp_path, learning_lines) -> None:
    text = "\n".join(learning_lines([_saved(tmp_path, 0, 57.5, 57.5)]))
    assert "calibration" not in text
    assert "The held-out gap is each framework's zero-shot program" in text
