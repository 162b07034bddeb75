"""Build one spec step as an engine module: Predict, ChainOfThought, Retrieve, ReAct, PoT,
MultiChainComparison (engine.runs.pipeline._multi_chain); a step with `refine` is wrapped in
BestOfN / Refine (engine.runs.pipeline._refine), one with `samples` in StepSamples
(engine.runs.pipeline._samples).

Files a step names (corpus, tool tables) are read now, inside the project folder only, so a
bad path fails before any LM call with the spec key in the message.
"""

from __future__ import annotations

from typing import Any

from engine.core import Example, Prediction, settings
from engine.modules import ChainOfThought, Module, Predict, ProgramOfThought, ReAct
from engine.retrievers.retrieve import Retrieve
from engine.runs.pipeline._corpus_index import corpus_index
from engine.runs.pipeline._multi_chain import StepMultiChain
from engine.runs.pipeline._refine import wrap_refine
from engine.runs.pipeline._samples import StepSamples
from engine.runs.pipeline._tools import build_tools
from engine.runs.spec import MCC_M, ProjectSpec, StepSpec, attempts_key, step_signature


class CorpusRetrieve(Retrieve):
    """`Retrieve(k)` over its own corpus index `rm` (BM25 or embeddings), reading its one input
    as the query and returning its one output: the passages (a list, or joined when the output
    is a str).

    Its saved state is Retrieve's (`{"k": k}`), so the program's state loads in dspy.
    """

    def __init__(self, rm: Any, k: int, query: str, output: str, join: bool) -> None:
        super().__init__(k=k)
        self._rm = rm
        self._fields = (query, output, join)

    def forward(self, query: Any = None, k: int | None = None, **kwargs: Any) -> Prediction:
        name, output, join = self._fields
        text = kwargs.pop(name, query)
        with settings.context(rm=self._rm):
            passages = super().forward(text, k=k).passages
        return Prediction(**{output: "\n".join(passages) if join else passages})


def build_step(spec: ProjectSpec, index: int) -> Module:
    """The module of `spec.pipeline[index]`."""
    step: StepSpec = spec.pipeline[index]
    module = wrap_refine(spec, step, _step_module(spec, index))
    if step.samples is not None:
        last = step.outputs[-1].name
        module = StepSamples(module, step.samples.n, last, attempts_key(step.name))
    return module


def _step_module(spec: ProjectSpec, index: int) -> Module:
    step: StepSpec = spec.pipeline[index]
    key = f"pipeline.{index}"
    if step.module == "Retrieve":
        rm = corpus_index(spec, step.corpus, step.retriever, step.embedder, key)  # type: ignore[arg-type]
        query, output = step.inputs[0].name, step.outputs[0]
        return CorpusRetrieve(rm, step.k or 3, query, output.name, output.type == "str")
    signature = step_signature(step)
    if step.module == "ReAct":
        tools = build_tools(spec, step.tools, key)
        return ReAct(signature, tools=tools, max_iters=step.max_iters or 5)
    if step.module == "ProgramOfThought":
        return ProgramOfThought(signature, max_iters=step.max_iters or 3)
    if step.module == "MultiChainComparison":
        return StepMultiChain(signature, step.m or MCC_M[2], attempts_key(step.name))
    module = {"Predict": Predict, "ChainOfThought": ChainOfThought}[step.module](signature)
    for _, predictor in module.named_predictors():  # the step's starting demos, if any
        predictor.demos = [Example(**demo) for demo in step.demos]
    return module
