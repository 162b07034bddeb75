"""Export a run: program JSON, standalone Python, prompt text, spec YAML, per-example CSV.

Each `export_*` function takes a run id (and optionally the store path) and returns text, ready
for a file or a download button. Nothing exported holds an API key. A program whose state no
fixed prompt holds (demos per input) is rebuilt and written by its optimizer's own export hook
(`registry.export_hook`), given the run's training rows and metric.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.adapters.chat import ChatAdapter
from engine.core import TunesmithError
from engine.modules.saving import save_metadata
from engine.optimizers.registry import export_hook
from engine.runs.data import load_data, safe_cell
from engine.runs.export.codegen import generate_python, py_literal, render_program
from engine.runs.pipeline import build_metric, build_program
from engine.runs.spec import ProjectSpec, spec_from_dict
from engine.runs.store import RunStore

FORMATS = ("json", "py", "prompt", "spec", "csv")


def stored_run(run_id: str, db_path: str | Path | None) -> dict[str, Any]:
    """The stored run `run_id` (its row as a dict); a TunesmithError when there is none."""
    with RunStore(db_path) as store:
        run = store.get_run(run_id)
    if run is None:
        raise TunesmithError(
            f"no run {run_id!r} in the store; list runs with `python -m engine runs`"
        )
    return run


def run_spec(run: dict[str, Any]) -> ProjectSpec:
    return spec_from_dict(run["spec"], run.get("base_dir"))


def program_state(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> dict[str, Any]:
    """The state of the run's best program, or of one candidate (by hash)."""
    run = stored_run(run_id, db_path)
    if candidate is not None:
        with RunStore(db_path) as store:
            found = [c for c in store.candidates(run_id) if c["hash"] == candidate]
        if not found:
            raise TunesmithError(f"run {run_id} has no candidate {candidate!r}")
        return found[0]["state"]
    if run.get("program"):
        return run["program"]
    if run.get("best_candidate"):
        return program_state(run_id, db_path, run["best_candidate"])
    raise TunesmithError(f"run {run_id} has no program yet (status: {run['status']})")


def load_program(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> Any:
    """The run's best (or a candidate's) program, rebuilt from the spec with its state loaded."""
    run = stored_run(run_id, db_path)
    return rebuild(run_spec(run), program_state(run_id, db_path, candidate))


def rebuild(spec: ProjectSpec, state: dict[str, Any]) -> Any:
    """The program of `spec` with `state` loaded (its optimizer's own, when a hook owns it)."""
    hook = export_hook(state)
    if hook is not None:
        return hook.program(state, load_data(spec).train, build_metric(spec), build_program(spec))
    return build_program(spec).load_state(state)


def program_json(spec: ProjectSpec, state: dict[str, Any]) -> str:
    """The JSON `Module.save()` writes (DSPy's save() shape), for this spec and state."""
    program = rebuild(spec, state)
    return json.dumps(
        {**program.dump_state(), "metadata": save_metadata()},
        indent=2,
        ensure_ascii=False,
        default=str,
    )


def export_program_json(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> str:
    """Program state JSON: `program.load(path)` in the engine, or in DSPy for the same structure."""
    spec = run_spec(stored_run(run_id, db_path))
    return program_json(spec, program_state(run_id, db_path, candidate))


def export_python(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> str:
    """A standalone script: rebuilds the pipeline, configures the model, loads the tuned state."""
    spec = run_spec(stored_run(run_id, db_path))
    return python_code(spec, program_state(run_id, db_path, candidate))


def python_code(spec: ProjectSpec, state: dict[str, Any]) -> str:
    """The standalone script of `spec` with `state` (its optimizer's own lines, when a hook
    owns the state)."""
    hook = export_hook(state)
    if hook is None:
        return generate_python(spec, state=state, configure_lm=True)
    tail = hook.code(state, load_data(spec).train, metric_code(spec), py_literal)
    return render_program(spec, configure_lm=True, tail=tail)


def metric_code(spec: ProjectSpec) -> str:
    """The spec's metric as a call in generated code: `make_metric(kind, **params)`."""
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


def render_prompts(program: Any, values: dict[str, Any] | None = None) -> str:
    """Each predictor's final prompt (system, demos, inputs) as the chat adapter formats it,
    with `values` (one row's inputs) in place of the inputs they name and placeholders such as
    `{ticket}` for the rest."""
    adapter = ChatAdapter(use_json_fallback=False)
    values = values or {}
    blocks = []
    for path, predictor in program.named_predictors():
        signature = predictor.signature
        placeholders = {name: values.get(name, f"{{{name}}}") for name in signature.input_fields}
        messages = adapter.format(signature, predictor.demos, placeholders)
        lines = [f"===== {path}: {signature.signature} ({len(predictor.demos)} demos) ====="]
        demo_turn = 0
        for i, message in enumerate(messages):
            role = message["role"]
            label = role
            if role == "user" and i < len(messages) - 1:
                demo_turn += 1
                label = f"user (demo {demo_turn})"
            elif role == "assistant":
                label = f"assistant (demo {demo_turn})"
            lines += [f"--- {label} ---", str(message["content"]), ""]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks).rstrip() + "\n"


def export_prompts(
    run_id: str, db_path: str | Path | None = None, candidate: str | None = None
) -> str:
    """The final prompt text of every predictor of the run's best (or a candidate's) program."""
    return render_prompts(load_program(run_id, db_path, candidate))


def export_spec_yaml(run_id: str, db_path: str | Path | None = None) -> str:
    """The run's spec as YAML (relative data paths as written; keys never included)."""
    return run_spec(stored_run(run_id, db_path)).to_yaml()


def export_results_csv(
    run_id: str,
    db_path: str | Path | None = None,
    candidate: str | None = None,
    subset: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """Per-example results as CSV: candidate name, candidate, subset, trial, example, inputs,
    outputs, score, the metric's feedback, error. `names` maps candidate hashes to the names a
    caller shows (the dashboard's); without one, a candidate is named by how it was made."""
    with RunStore(db_path) as store:
        rows = store.example_results(run_id, candidate=candidate, subset=subset)
        if names is None:
            names = {c["hash"]: c.get("origin") or "" for c in store.candidates(run_id)}
    input_keys = _keys(r["inputs"] for r in rows)
    output_keys = _keys(r["outputs"] for r in rows)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(
        [
            "candidate_name",
            "candidate",
            "subset",
            "trial",
            "example_id",
            "index",
            *[f"input.{k}" for k in input_keys],
            *[f"output.{k}" for k in output_keys],
            "score",
            "feedback",
            "error",
        ]
    )
    for r in rows:
        inputs, outputs = r["inputs"] or {}, r["outputs"] or {}
        writer.writerow([names.get(r["candidate"], ""), r["candidate"], r["subset"], r["trial"],
                         r["example_id"], r["idx"],
                         *[_cell(inputs.get(k)) for k in input_keys],
                         *[_cell(outputs.get(k)) for k in output_keys],
                         r["score"], r.get("feedback") or "", r["error"] or ""])  # fmt: skip
    return out.getvalue()


class SafeWriter:
    """csv.writer whose text cells are neutralised against formula injection (csvfile.safe_cell)."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: list[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])


def _keys(dicts: Any) -> list[str]:
    return list(dict.fromkeys(k for d in dicts for k in d or {}))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def export_run(
    run_id: str,
    fmt: str,
    db_path: str | Path | None = None,
    candidate: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """Dispatch on a format name (json, py, prompt, spec, csv); `names`: the results CSV's
    candidate names (see export_results_csv)."""
    handlers = {"json": export_program_json, "py": export_python, "prompt": export_prompts}
    if fmt in handlers:
        return handlers[fmt](run_id, db_path, candidate)
    if fmt == "spec":
        return export_spec_yaml(run_id, db_path)
    if fmt == "csv":
        return export_results_csv(run_id, db_path, candidate, names=names)
    raise TunesmithError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
