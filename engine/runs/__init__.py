"""Runs: the project spec, its data and pipeline, the run store, the worker, export.

Public API for the CLI and the dashboard:

- spec: `ProjectSpec`, `load_spec`, `save_spec`, `spec_from_dict`, `spec_from_text`
- data: `load_data`, `validate_spec_against_data`, `choose_optimizer`
- pipeline: `build_program`, `Pipeline`; models: `build_metric`, `build_lm`
- codegen: `generate_python` (the program as standalone Python)
- store: `RunStore` and fresh-connection readers `list_runs`, `get_run`, `trials`,
  `candidates`, `example_results`, `events`, `usage`, `lm_calls`, `request_cancel`
- launch: `create_run`, `launch_run`, `is_alive`, `reconcile_run`; `preflight` (estimate)
- worker: `run_worker`
- predict: `predict_table` (label every row of a CSV with a run's program), `try_input`
- export: `export_program_json`, `export_python`, `export_prompts`, `export_spec_yaml`,
  `export_results_csv`, `export_run`, `load_program`, `render_prompts`; a fine-tuned run's
  model file: `run_model_files`, `export_model_python` (export_model)
- results: `run_outcome` (the held-out verdict and what changed, for every report),
  `summary_html` (the one-page stakeholder summary), `verdict` (one wording of a comparison)

It is the dashboard's door to the engine (with `engine` and `engine.optimizers.registry`):
the names above plus the store, data, spec and scoring helpers its pages show, listed in
`_EXPORTS`. Submodules are imported lazily so that `import engine.runs.spec` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ProjectSpec": "spec", "load_spec": "spec", "save_spec": "spec", "spec_from_dict": "spec",
    "spec_from_text": "spec", "load_data": "data", "validate_spec_against_data": "data",
    "DataSplit": "data", "DataReport": "data",
    "build_program": "pipeline", "build_metric": "models", "generate_python": "codegen",
    "build_lm": "models", "Pipeline": "pipeline", "RunStore": "store", "list_runs": "store",
    "get_run": "store", "trials": "store", "candidates": "store", "example_results": "store",
    "events": "store", "usage": "store", "lm_calls": "store", "request_cancel": "store",
    "default_db_path": "store_schema", "store_location": "store_schema",
    "local_dir": "store_schema", "create_run": "launch", "launch_run": "launch",
    "is_alive": "liveness", "reconcile_run": "liveness", "run_worker": "worker",
    "export_program_json": "export", "export_python": "export", "export_prompts": "export",
    "export_spec_yaml": "export", "export_results_csv": "export", "export_run": "export",
    "load_program": "export", "render_prompts": "export", "preflight": "plan",
    "fitting_budget": "plan", "budget_warnings": "plan", "forecast_line": "plan",
    "range_words": "plan",
    "ended_words": "status_words",
    "run_outcome": "outcome", "outcome_of": "outcome", "is_calibration": "outcome",
    "summary_html": "summary_page",
    "run_model_files": "export_model", "export_model_python": "export_model",
    "step_model": "export_model", "model_file": "export_model", "size_words": "export_model",
    # what the dashboard reads besides: the store, data and spec helpers
    "fault_summary": "store", "resolve_path": "data", "task_lm": "run_setup",
    "attempts_key": "spec_steps", "MCC_M": "spec_many", "SAMPLED_MODULES": "spec_many",
    "load_yaml": "safe_yaml", "check_embedder": "retriever_choice",
    "embedder_model": "retriever_choice", "redact_data": "redact",
    "export_ensemble_json": "ensemble", "top_candidates": "ensemble", "read_table": "csvfile",
    "parse_table": "csvfile", "MAX_ROWS": "csvfile", "CsvProblem": "csvfile",
    "predict_table": "predict", "read_input_csv": "predict", "estimate_calls": "predict",
    "try_input": "predict", "input_fields": "predict", "match_inputs": "predict",
    "check_rows": "csvfile", "max_bytes": "csvfile", "read_passages": "corpus",
    # engine pieces a run's pages show (absolute module paths)
    "choose_optimizer": "engine.optimizers.auto",
    "latest_proposals": "engine.optimizers.proposing", "locate": "engine.optimizers.proposing",
    "text_problem": "engine.secret_shapes", "url_problem": "engine.secret_shapes",
    "paired_comparison": "engine.evaluate.statistics", "verdict": "engine.evaluate.statistics",
    "paired_by_id": "engine.evaluate.statistics", "points": "engine.evaluate.statistics",
    "call_metric": "engine.evaluate.scoring", "score_of": "engine.evaluate.scoring",
    "is_constraint_failure": "engine.modules.assertions",
    "CONSTRAINT_FAILED": "engine.modules.assertions",
    "default_normalize": "engine.modules.aggregation",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = _EXPORTS[name]
        module = module if module.startswith("engine.") else f"engine.runs.{module}"
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'engine.runs' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
