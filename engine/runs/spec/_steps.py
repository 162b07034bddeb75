"""Options of the step types beyond Predict/ChainOfThought: a Retrieve corpus, ReAct tools,
a step's `refine` (BestOfN / Refine with a label-free reward: docs/design/refine_step.md);
`m` and `samples` are in spec_many.py (docs/design/step_types.md).

`StepSpec` (spec_parts.py) holds them; their files are read (and checked against the project
folder) when the program is built, see `engine.runs.pipeline._steps`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from engine.adapters.mcp import McpServerError, split_command
from engine.runs.spec._retriever import check_embedder_name

TOOL_NAMES = ("calculator", "search", "lookup", "mcp")
REFINE_MAX_N = 10  # each attempt is at least one LM call
LABEL_FREE_METRICS = ("judge",)  # graded from criteria and inputs alone when no label is given

_FORBID = ConfigDict(extra="forbid", allow_inf_nan=False)  # .nan / .inf: no setting takes them


class _Compact(BaseModel):
    """Saved without the options left at their defaults (specs stay short)."""

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        defaults = {k: f.default for k, f in type(self).model_fields.items()}
        return {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}


class CorpusSpec(_Compact):
    """Passages from a file in the project folder.

    txt/md: one passage per paragraph (blank-line separated), or per line when the file has no
    blank lines (`split: line` / `paragraph` forces one); csv: the `column`'s cells.
    """

    model_config = _FORBID
    path: str
    column: str | None = None
    split: Literal["auto", "paragraph", "line"] = "auto"

    @model_validator(mode="after")
    def _kind(self) -> CorpusSpec:
        suffix = self.path.lower().rsplit(".", 1)[-1] if "." in self.path else ""
        if suffix not in ("txt", "md", "csv"):
            raise ValueError(f"corpus {self.path!r}: use a .txt, .md or .csv file")
        if suffix == "csv" and not self.column:
            raise ValueError(f"corpus {self.path!r}: name the CSV column that holds the passages")
        if suffix != "csv" and self.column:
            raise ValueError(f"corpus {self.path!r}: column is only used with a .csv corpus")
        return self


class ToolSpec(_Compact):
    """A ReAct tool from the safe built-in set.

    calculator: arithmetic only; search: `corpus` ranked by `retriever` (bm25, or embeddings by
    `embedder`: engine.runs.spec._retriever), top `k`; lookup: the row of the CSV `table` whose
    `key` column equals the argument; mcp: the tools `pick` of the Model Context Protocol server
    started by `command` (in the project folder, over stdio) when the program is built.
    """

    model_config = _FORBID
    name: str
    corpus: CorpusSpec | None = None
    k: int = 3
    table: str | None = None
    key: str | None = None
    retriever: Literal["bm25", "embeddings"] = "bm25"
    embedder: str | None = None
    command: str | None = None
    pick: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value not in TOOL_NAMES:
            raise ValueError(f"unknown tool {value!r}; choose one of {', '.join(TOOL_NAMES)}")
        return value

    @model_validator(mode="after")
    def _options(self) -> ToolSpec:
        if self.name == "search" and self.corpus is None:
            raise ValueError("tool search needs a corpus (a .txt, .md or .csv file)")
        if self.name == "lookup" and not (self.table and self.key):
            raise ValueError("tool lookup needs a table (a .csv file) and its key column")
        if self.name == "lookup" and not self.table.lower().endswith(".csv"):  # type: ignore[union-attr]
            raise ValueError(f"tool lookup: table {self.table!r} must be a .csv file")
        if self.name != "search" and self.corpus is not None:
            raise ValueError(f"tool {self.name}: corpus is only used by search")
        if self.name != "lookup" and (self.table or self.key):
            raise ValueError(f"tool {self.name}: table and key are only used by lookup")
        if self.k < 1:
            raise ValueError(f"tool {self.name}: k must be 1 or more, got {self.k}")
        if self.name != "search" and (self.retriever != "bm25" or self.embedder is not None):
            raise ValueError(f"tool {self.name}: retriever and embedder are only used by search")
        check_embedder_name(self.embedder, self.retriever, f"tool {self.name}")
        if self.name != "mcp" and (self.command or self.pick):
            raise ValueError(f"tool {self.name}: command and pick are only used by mcp")
        if self.name == "mcp":
            _check_mcp(self.command, self.pick)
        return self


def _check_mcp(command: str | None, pick: list[str] | None) -> None:
    if not command:
        raise ValueError("tool mcp needs the command that starts its server")
    try:
        split_command(command)
    except McpServerError as exc:
        raise ValueError(f"tool mcp: {exc}") from None
    if not pick:
        raise ValueError("tool mcp: pick at least one of the server's tools")
    if len(set(pick)) != len(pick):
        raise ValueError("tool mcp: a tool is picked twice")


class RefineSpec(_Compact):
    """Up to `n` attempts at the step, the first whose reward reaches `threshold` kept (else
    the best). mode best_of_n: independent attempts (dspy.BestOfN); refine: a failed attempt
    becomes advice for the next (dspy.Refine). reward valid: the share of the step's outputs
    filled in (a choice output: one of its choices); metric: the spec's metric, only when it
    needs no label (an LLM judge grading from its criteria)."""

    model_config = _FORBID
    mode: Literal["best_of_n", "refine"] = "best_of_n"
    n: int = 3
    threshold: float = 1.0
    reward: Literal["valid", "metric"] = "valid"

    @field_validator("n")
    @classmethod
    def _n(cls, value: int) -> int:
        if not 2 <= value <= REFINE_MAX_N:
            raise ValueError(
                f"n must be from 2 to {REFINE_MAX_N} attempts, got {value} (1 attempt is the "
                "step itself; each attempt costs at least one LM call)"
            )
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"threshold is a reward from 0 to 1, got {value}")
        return value


def attempts_key(step_name: str) -> str:
    """The prediction key under which a step lists its attempts: a refined step's tries and
    rewards, a multi-chain step's attempts, a sampled step's samples and votes."""
    return f"{step_name}_attempts"


def check_refine_reward(spec: Any) -> None:
    """Raise ValueError when a step's `refine.reward: metric` would read the expected label."""
    kind = spec.metric.kind
    for index, step in enumerate(spec.pipeline):
        if step.refine is None or step.refine.reward != "metric":
            continue
        key = f"pipeline.{index}.refine.reward"
        if kind not in LABEL_FREE_METRICS:
            raise ValueError(
                f"{key}: the metric {kind!r} compares the answer with the expected label, which "
                "a step does not have while it runs (a deployed program never has it, and "
                "reading it here would inflate held-out scores). Use reward: valid, or an LLM "
                "judge metric (kind: judge), which can grade from its criteria alone"
            )
        if index != len(spec.pipeline) - 1:
            raise ValueError(
                f"{key}: the metric grades the last step's outputs; step {step.name!r} is not "
                "the last step, so use reward: valid there"
            )


def check_step_options(step: Any) -> None:
    """Raise ValueError when a step's options do not fit its module (the options that run a
    step several times are checked after these: spec_many.check_many)."""
    name, module = step.name, step.module
    if module == "Retrieve":
        if step.corpus is None:
            raise ValueError(f"step {name!r}: a Retrieve step needs a corpus file")
        if len(step.inputs) != 1 or len(step.outputs) != 1:
            raise ValueError(
                f"step {name!r}: a Retrieve step has one input (the query) and one output "
                "(the passages)"
            )
        if step.outputs[0].type not in ("list[str]", "str"):
            raise ValueError(f"step {name!r}: the passages output must be list[str] or str")
    elif step.corpus is not None:
        raise ValueError(f"step {name!r}: corpus is only used by a Retrieve step")
    if module != "Retrieve" and (step.retriever is not None or step.embedder is not None):
        raise ValueError(f"step {name!r}: retriever and embedder are only used by a Retrieve step")
    check_embedder_name(step.embedder, step.retriever, f"step {name!r}")
    if step.k is not None and module != "Retrieve":
        raise ValueError(f"step {name!r}: k is only used by a Retrieve step")
    if step.k is not None and step.k < 1:
        raise ValueError(f"step {name!r}: k must be 1 or more, got {step.k}")
    if step.demos and module not in ("Predict", "ChainOfThought"):
        raise ValueError(f"step {name!r}: demos are used by Predict and ChainOfThought steps only")
    if module == "ReAct" and not step.tools:
        raise ValueError(f"step {name!r}: a ReAct step needs at least one tool")
    if module != "ReAct" and step.tools:
        raise ValueError(f"step {name!r}: tools are only used by a ReAct step")
    if step.max_iters is not None:
        if module not in ("ReAct", "ProgramOfThought"):
            raise ValueError(f"step {name!r}: max_iters is only used by ReAct and ProgramOfThought")
        if step.max_iters < 1:
            raise ValueError(f"step {name!r}: max_iters must be 1 or more, got {step.max_iters}")
    if module == "ReAct" and "trajectory" in [f.name for f in step.fields]:
        raise ValueError(f"step {name!r}: 'trajectory' is added by ReAct; rename that field")
    if step.refine is not None and module == "Retrieve":
        raise ValueError(
            f"step {name!r}: refine is for steps that ask the model; a Retrieve step makes no "
            "LM call, so there is nothing to retry"
        )
    if module == "MultiChainComparison" and "rationale" in [f.name for f in step.fields]:
        raise ValueError(
            f"step {name!r}: 'rationale' is added by MultiChainComparison; rename that field"
        )
    if module == "MultiChainComparison" and "completions" in [f.name for f in step.fields]:
        raise ValueError(
            f"step {name!r}: 'completions' is passed by MultiChainComparison (the attempts it "
            "compares); rename that field"
        )
