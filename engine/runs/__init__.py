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
- export: `export_program_json`, `export_python`, `export_prompts`, `export_spec_yaml`,
  `export_results_csv`, `export_run`, `load_program`, `render_prompts`

Submodules are imported lazily so that `import engine.runs.spec` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ProjectSpec": "spec", "load_spec": "spec", "save_spec": "spec", "spec_from_dict": "spec",
    "spec_from_text": "spec", "load_data": "data", "validate_spec_against_data": "data",
    "DataSplit": "data", "DataReport": "data", "choose_optimizer": "spec_names",
    "build_program": "pipeline", "build_metric": "models", "generate_python": "codegen",
    "build_lm": "models", "Pipeline": "pipeline", "RunStore": "store", "list_runs": "store",
    "get_run": "store", "trials": "store", "candidates": "store", "example_results": "store",
    "events": "store", "usage": "store", "lm_calls": "store", "request_cancel": "store",
    "default_db_path": "store_schema", "create_run": "launch", "launch_run": "launch",
    "is_alive": "launch", "reconcile_run": "launch", "run_worker": "worker",
    "export_program_json": "export", "export_python": "export", "export_prompts": "export",
    "export_spec_yaml": "export", "export_results_csv": "export", "export_run": "export",
    "load_program": "export", "render_prompts": "export", "preflight": "plan",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"engine.runs.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'engine.runs' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
