"""The sections of a project spec: fields, steps, data, metric, models, budget, optimizer.

`engine.runs.spec._spec.ProjectSpec` puts them together; import them from there.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from engine.core import text_problem, url_problem
from engine.evaluate.judge_parse import parse_scale
from engine.optimizers import registry
from engine.runs.spec._many import SamplesSpec, check_many
from engine.runs.spec._names import METRIC_KINDS, check_field_name, check_identifier
from engine.runs.spec._steps import CorpusSpec, RefineSpec, ToolSpec, check_step_options

_FORBID = ConfigDict(extra="forbid", allow_inf_nan=False)  # .nan / .inf: no setting takes them
_SECRET_KEYS = ("api_key", "apikey", "key", "token", "secret")


class FieldSpec(BaseModel):
    """One field of a step's signature."""

    model_config = _FORBID
    name: str
    role: Literal["input", "output"]
    type: Literal["str", "int", "float", "bool", "list[str]", "literal"] = "str"
    choices: list[str] = Field(default_factory=list)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_field_name(value)

    @model_validator(mode="after")
    def _choices(self) -> FieldSpec:
        check_field_name(self.name, self.role)
        if self.type == "literal" and not self.choices:
            raise ValueError(
                f"field {self.name!r} has type literal but no choices; list the allowed values"
            )
        if self.type != "literal" and self.choices:
            raise ValueError(
                f"field {self.name!r}: choices are only allowed with type literal "
                f"(type is {self.type})"
            )
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"field {self.name!r}: duplicate choices {self.choices}")
        return self


class StepSpec(BaseModel):
    """One pipeline step: a module over a signature (options: engine/runs/spec/_steps.py)."""

    model_config = _FORBID
    name: str
    module: Literal[
        "Predict", "ChainOfThought", "Retrieve", "ReAct", "ProgramOfThought", "MultiChainComparison"
    ] = "Predict"
    instructions: str = ""
    fields: list[FieldSpec]
    corpus: CorpusSpec | None = None
    k: int | None = None
    tools: list[ToolSpec] = Field(default_factory=list)
    max_iters: int | None = None
    refine: RefineSpec | None = None
    m: int | None = None  # MultiChainComparison: attempts compared (default MCC_M's)
    samples: SamplesSpec | None = None
    retriever: Literal["bm25", "embeddings"] | None = None  # Retrieve: None is bm25
    embedder: str | None = None  # with retriever embeddings: 'local' or a litellm model
    demos: list[dict[str, Any]] = Field(default_factory=list)  # starting demos (Predict, CoT)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_identifier(value, "step name", step=True)

    @model_validator(mode="after")
    def _fields(self) -> StepSpec:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"step {self.name!r}: duplicate field name(s) {dupes}")
        if not self.inputs:
            raise ValueError(f"step {self.name!r} needs at least one input field")
        if not self.outputs:
            raise ValueError(f"step {self.name!r} needs at least one output field")
        if self.module in ("ChainOfThought", "MultiChainComparison") and "reasoning" in names:
            raise ValueError(
                f"step {self.name!r}: 'reasoning' is added by {self.module}; rename that field"
            )
        check_step_options(self)
        check_many(self)
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        optional = ("corpus", "k", "tools", "max_iters", "refine", "m", "samples", "retriever",
                    "embedder", "demos")  # fmt: skip
        return {k: v for k, v in handler(self).items() if k not in optional or v not in (None, [])}

    @property
    def inputs(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.role == "input"]

    @property
    def outputs(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.role == "output"]


class DataSpec(BaseModel):
    """Where the examples come from and how they are split."""

    model_config = _FORBID
    csv: str
    columns: dict[str, str] = Field(default_factory=dict, description="CSV column -> field name")
    train_size: int | None = None
    val_size: int | None = None
    test_size: int | None = None
    seed: int = 0
    test_csv: str | None = None

    @field_validator("train_size", "val_size", "test_size")
    @classmethod
    def _size(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("must be 0 or more (leave it out for the default split)")
        return value


class MetricSpec(BaseModel):
    """How a prediction is scored against the labels.

    `kind: judge` grades with an LM (`models.judge`, else the task model) against `criteria`
    on `scale` ("1-5" by default, any "low-high", or "pass/fail").
    """

    model_config = _FORBID
    kind: str = "exact"
    field: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    criteria: str | None = Field(default=None, validate_default=True)
    scale: str | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in METRIC_KINDS:
            raise ValueError(f"unknown metric {value!r}; choose one of {', '.join(METRIC_KINDS)}")
        return value

    @field_validator("criteria")
    @classmethod
    def _criteria(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        text = (value or "").strip()
        if kind == "judge" and not text:
            raise ValueError(
                "an LLM judge needs criteria: describe in a sentence or two what a good answer "
                "looks like, e.g. 'names the right team and is polite'"
            )
        if text and kind is not None and kind != "judge":
            raise ValueError(f"criteria are only used by kind judge (kind is {kind})")
        return text or None

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, value: Any, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            return None
        kind = info.data.get("kind")
        if kind is not None and kind != "judge":
            raise ValueError(f"scale is only used by kind judge (kind is {kind})")
        return parse_scale(value).to_spec()

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)  # criteria and scale: judge metrics only; others stay as before
        return {k: v for k, v in data.items() if k not in ("criteria", "scale") or v is not None}


class ModelSpec(BaseModel):
    """One LM. Keys are never part of a spec: set them in the environment."""

    model_config = _FORBID
    model: str = "local/smollm2-135m"
    temperature: float = 0.0
    max_tokens: int | None = None
    api_base: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            found = [k for k in data if str(k).lower() in _SECRET_KEYS]
            if found:
                raise ValueError(
                    f"{found[0]!r} is not allowed in a spec: API keys are never saved. Set the "
                    "provider's key in the environment (e.g. OPENAI_API_KEY) instead"
                )
        return data

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        problem = text_problem(value)
        if problem is not None:  # never echo it
            raise ValueError(f"the model name {problem}")
        if not value.strip() or "/" not in value:
            raise ValueError(
                f"model {value!r} should look like 'provider/name', e.g. local/smollm2-135m"
            )
        return value.strip()

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        """An endpoint URL only: a key in it (user:KEY@host, ?api_key=) is refused."""
        if value is None or not value.strip():
            return None
        problem = url_problem(value, "the endpoint URL")
        if problem is not None:
            raise ValueError(problem)
        return value.strip()


class ModelsSpec(BaseModel):
    model_config = _FORBID
    task: ModelSpec = Field(default_factory=ModelSpec)
    proposer: ModelSpec | None = None
    judge: ModelSpec | None = None


class BudgetSpec(BaseModel):
    """Limits for the optimization; leave a limit out (null) for none."""

    model_config = _FORBID
    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    max_minutes: float | None = None

    @field_validator("max_calls", "max_tokens", "max_cost", "max_minutes")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError(f"must be greater than 0, got {value} (leave it out for no limit)")
        return value


class OptimizerSpec(BaseModel):
    model_config = _FORBID
    name: str = "auto"
    params: dict[str, Any] = Field(default_factory=dict)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    # "worse": the starting program comes back when every candidate scores below it on
    # validation; "unreliable": also when the best one's gain is within its noise
    keep_start: Literal["worse", "unreliable"] = "worse"
    # stop the search when this many validation scorings in a row did not beat the best one
    stop_when_flat: int | None = Field(default=None, ge=1, le=100_000)
    # stop the search when the rest of the call budget has less than this chance of beating the
    # best validation score, given the spread of the scorings so far (needs budget.max_calls)
    stop_when_out_of_reach: float | None = Field(default=None, allow_inf_nan=False)
    # score simpler shapes of the program first and tune the best (engine.runs.pipeline._structure)
    try_shapes: bool = registry.TRY_SHAPES.default

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        name = registry.canonical_name(value)
        if name is None:
            raise ValueError(
                f"unknown optimizer {value!r}; choose one of {', '.join(registry.names())}"
            )
        return name

    @field_validator("stop_when_out_of_reach")
    @classmethod
    def _chance(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value < 0.5:
            raise ValueError(
                f"must be a chance above 0 and below 0.5 (0.05 is 5%), got {value:g} (leave it "
                "out to turn this stop off)"
            )
        return value

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)  # try_shapes only when on: specs written before it stay as they were
        return {k: v for k, v in data.items() if k != "try_shapes" or v}

    @model_validator(mode="after")
    def _wait_fits(self) -> OptimizerSpec:
        """A plateau wait the call limit can never reach is refused: each scoring takes at least
        one call, and the wait starts after the first."""
        wait, calls = self.stop_when_flat, self.budget.max_calls
        if wait is not None and calls is not None and wait >= calls:
            raise ValueError(
                f"stop_when_flat: waiting for {wait:,} scorings in a row without a better score "
                f"can never end a search limited to {calls:,} LM calls (each scoring takes at "
                f"least one): wait fewer than {calls:,} scorings, raise budget.max_calls, or "
                "leave the wait out"
            )
        return self

    @model_validator(mode="after")
    def _params(self) -> OptimizerSpec:
        entry = registry.get(self.name)
        problems = entry.check_params(self.params) if entry is not None else []
        if problems:
            raise ValueError(f"params of {self.name}: " + "; ".join(problems))
        return self
