"""The project spec: what to build (steps, fields), on what data, scored how, tuned by what;
its YAML, its names, and the secrets it must never hold.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.spec._many import MCC_M, SAMPLED_MODULES
from engine.runs.spec._names import LLM_METRIC_KINDS
from engine.runs.spec._redact import redact, redact_data, redact_std_streams
from engine.runs.spec._retriever import check_embedder, embedder_model
from engine.runs.spec._signature import class_name, field_annotation, step_signature
from engine.runs.spec._parts import FieldSpec, ModelSpec, StepSpec
from engine.runs.spec._spec import load_spec, ProjectSpec, save_spec, spec_from_dict, spec_from_text
from engine.runs.spec._steps import attempts_key, CorpusSpec, ToolSpec
from engine.runs.spec._yaml import load_yaml

__all__ = [
    "attempts_key", "check_embedder", "class_name", "CorpusSpec", "embedder_model",
    "field_annotation", "FieldSpec", "LLM_METRIC_KINDS", "load_spec", "load_yaml", "MCC_M",
    "ModelSpec", "ProjectSpec", "redact", "redact_data", "redact_std_streams", "SAMPLED_MODULES",
    "save_spec", "spec_from_dict", "spec_from_text", "step_signature", "StepSpec", "ToolSpec",
]  # fmt: skip
