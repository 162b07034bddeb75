"""A run's program taken out: JSON, standalone Python (`codegen`), prompts, spec, results
CSV (a program no fixed prompt holds, through its optimizer's export hook), a fine-tuned run's
model file, and an Ensemble of its top candidates.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.export._ensemble import export_ensemble_json, top_candidates
from engine.runs.export._files import (
    export_program_json, export_prompts, export_python, export_results_csv, export_run,
    export_spec_yaml, load_program, program_state, rebuild, render_prompts, run_spec, stored_run,
)
from engine.runs.export._model import (
    export_model_python, model_file, run_model_files, size_words, step_model,
)
from engine.runs.export._matrix import (
    expected_labels, matrix_candidates, matrix_csv, other_run_results,
)
from engine.runs.export.codegen import generate_python

__all__ = [
    "expected_labels", "export_ensemble_json", "export_model_python", "export_program_json",
    "export_prompts", "export_python", "export_results_csv", "export_run", "export_spec_yaml",
    "generate_python", "load_program", "matrix_candidates", "matrix_csv", "model_file",
    "other_run_results", "program_state", "rebuild", "render_prompts", "run_model_files",
    "run_spec", "size_words", "step_model", "stored_run", "top_candidates",
]  # fmt: skip
