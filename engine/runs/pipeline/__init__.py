"""From a spec to engine objects: the program (its steps and their options), the models and
the metric, and the optimizer a run is built with.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.pipeline._models import build_lm, build_metric, lm_kwargs
from engine.runs.pipeline._program import build_program, Pipeline
from engine.runs.pipeline._run_setup import LMFactory, make_optimizer, task_lm, use_run_cache
from engine.runs.pipeline._structure import (
    STRUCTURE,
    choose_shape,
    extra_calls,
    shape_choice,
    shape_rows,
)
from engine.runs.pipeline._tools import server_tools

__all__ = [
    "build_lm", "build_metric", "build_program", "choose_shape", "extra_calls", "lm_kwargs",
    "LMFactory", "make_optimizer", "Pipeline", "server_tools", "shape_choice", "shape_rows",
    "STRUCTURE", "task_lm", "use_run_cache",
]  # fmt: skip
