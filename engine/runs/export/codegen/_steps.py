"""Codegen for the step types with files (Retrieve corpus, ReAct tools) and options."""

from __future__ import annotations

from engine.runs.export.codegen._many import many_call
from engine.runs.export.codegen._names import StepNames, step_names
from engine.runs.export.codegen._refine import wrap_call
from engine.runs.spec import ProjectSpec, StepSpec, embedder_model


def module_call(step: StepSpec, names: StepNames) -> str:
    """The constructor call of a step's module in the exported code (in BestOfN / Refine when
    the step has `refine`); `names`: the code's names of the step's parts (_names.py)."""
    return many_call(step, wrap_call(step, _inner_call(step, names), names), names)


def _inner_call(step: StepSpec, names: StepNames) -> str:
    sig = names.signature
    if step.module == "Retrieve":
        return f"dspy.Retrieve(k={step.k or 3})"
    if step.module == "ReAct":
        return f"dspy.ReAct({sig}, tools={names.tools}, max_iters={step.max_iters or 5})"
    if step.module == "ProgramOfThought":
        return f"dspy.ProgramOfThought({sig}, max_iters={step.max_iters or 3})"
    return f"dspy.{step.module}({sig})"


def step_resources(spec: ProjectSpec) -> list[str]:
    """Module-level lines that read corpora and build tools (empty for Predict-only specs)."""
    needed = [s for s in spec.pipeline if s.module in ("Retrieve", "ReAct")]
    if not needed:
        return []
    names = step_names(spec)
    lines = [
        "# The project folder: corpus files and tool tables are read from it.",
        f"PROJECT_DIR = Path({str(spec.base_dir)!r})",
    ]
    for step in needed:
        if step.module == "Retrieve" and step.corpus is not None:
            c = step.corpus
            where = f"PROJECT_DIR / {c.path!r}"
            read = f"read_passages({where}, column={c.column!r}, split={c.split!r})"
            lines.append(f"{names[step.name].rm} = {_retriever(step, read)}")
        elif step.module == "ReAct":
            tools = [t.model_dump(exclude_defaults=True) for t in step.tools]
            lines.append(f"{names[step.name].tools} = tools_at(PROJECT_DIR, {tools!r})")
    return lines


def _retriever(step: StepSpec, read: str) -> str:
    """The retriever over `read` (passages): BM25, or embeddings by the step's embedder."""
    if step.retriever == "embeddings" and step.embedder:
        model = embedder_model(step.embedder)
        return f"dspy.retrievers.Embeddings({read}, dspy.Embedder({model!r}), k={step.k or 3})"
    return f"dspy.retrievers.BM25({read})"
