"""Runs: the project spec, its data and pipeline, the run store, the run's process, export.

The dashboard's and the CLI's door to the engine (with `engine` and
`engine.optimizers.registry`): the names below are what the pages use, plus the documented
API (spec, data, pipeline, store, launch, export, results). Each comes from its room, a
subpackage with its own public names: `spec`, `data`, `pipeline`, `store`, `process` (launch,
worker, supervisor, liveness), `cluster` (Ray), `estimate` (plan, forecast), `results`
(outcome, summary), `export` (with `codegen`), `label` (a CSV labelled by a run's program),
`from_dspy` (a program saved by DSPy brought in as a spec), `versions` (a project's prompt
versions, one in use).
Code inside the engine imports the rooms, never this facade.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.evaluate.scoring import call_metric, score_of
from engine.evaluate.statistics import paired_by_id, points, verdict
from engine.modules.attempts.aggregation import default_normalize
from engine.lm import schema_form
from engine.modules.assertions import CONSTRAINT_FAILED, is_constraint_failure
from engine.optimizers.auto import choose_optimizer
from engine.optimizers.proposing import latest_proposals, locate, predictor_states
from engine.runs.data import (
    check_rows, CsvProblem, load_data, max_bytes, MAX_ROWS, parse_table, read_passages, read_table,
    resolve_path, validate_spec_against_data,
)
from engine.runs.estimate import fitting_budget, preflight, range_words
from engine.runs.export import (
    expected_labels, export_ensemble_json, export_model_python, export_run, generate_python,
    load_program, matrix_candidates, matrix_csv, other_run_results,
    model_file, program_state, render_prompts, run_model_files, size_words, step_model,
    top_candidates,
)
from engine.runs.from_dspy import import_dspy
from engine.runs.label import (
    estimate_calls, input_fields, match_inputs, predict_rows, predict_table, read_input_csv,
    try_input,
)
from engine.runs.pipeline import (
    build_lm, build_metric, build_program, server_tools, shape_choice, task_lm,
)
from engine.runs.process import create_run, launch_run, reconcile_run
from engine.runs.results import ended_words, is_calibration, percent, run_outcome, summary_html
from engine.runs.results import (
    changed_steps, leaderboard, model_answers, note_retune, retune_spec, retunes, save_leaderboard,
    save_step_credit, saved_leaderboard, saved_step_credit, step_credit,
)
from engine.runs.spec import (
    attempts_key, check_embedder, embedder_model, load_spec, load_yaml, MCC_M, ProjectSpec,
    redact_data, SAMPLED_MODULES, save_spec, spec_from_dict, spec_from_text,
)
from engine.runs.store import (
    candidates, events, example_results, fault_summary, get_run, list_runs, local_dir,
    request_cancel, RunStore, store_location, trials, usage,
)
from engine.runs.versions import (
    add_version, list_versions, THIS_MACHINE, use_version, Version, version_in_use, VersionError,
)
from engine.core import is_off_list, text_problem, url_problem

__all__ = [
    "attempts_key", "build_lm", "build_metric", "build_program", "call_metric", "candidates",
    "check_embedder", "check_rows", "choose_optimizer", "CONSTRAINT_FAILED", "create_run",
    "CsvProblem", "default_normalize", "embedder_model", "ended_words", "changed_steps",
    "leaderboard", "model_answers", "save_step_credit", "saved_step_credit", "step_credit",
    "note_retune",
    "retune_spec", "retunes", "save_leaderboard", "saved_leaderboard", "estimate_calls", "events",
    "example_results", "expected_labels", "export_ensemble_json", "export_model_python",
    "export_run", "fault_summary", "fitting_budget", "generate_python", "get_run", "input_fields",
    "import_dspy", "is_calibration", "is_constraint_failure", "is_off_list", "latest_proposals",
    "launch_run", "list_runs", "load_data", "load_program", "load_spec", "load_yaml", "local_dir",
    "locate", "match_inputs", "matrix_candidates", "matrix_csv", "max_bytes", "MAX_ROWS", "MCC_M",
    "model_file", "other_run_results",
    "paired_by_id", "parse_table", "percent", "points", "predict_table", "predictor_states",
    "preflight", "program_state", "ProjectSpec", "range_words", "read_input_csv", "read_passages",
    "read_table", "reconcile_run", "redact_data", "render_prompts", "request_cancel",
    "resolve_path", "run_model_files", "run_outcome", "RunStore", "SAMPLED_MODULES", "schema_form",
    "save_spec", "score_of", "server_tools", "shape_choice", "size_words", "spec_from_dict",
    "spec_from_text", "step_model", "store_location", "summary_html", "task_lm", "text_problem",
    "top_candidates", "trials", "try_input", "url_problem", "usage", "validate_spec_against_data",
    "verdict", "predict_rows", "add_version", "list_versions", "THIS_MACHINE", "use_version",
    "Version", "version_in_use", "VersionError",
]  # fmt: skip
