"""The project spec: what to build (pipeline), on what data, scored how, tuned by what.

A spec is plain data (pydantic v2), saved and loaded as YAML or JSON. The dashboard edits one,
the CLI and the worker run one. It never holds an API key: keys come from the environment (or
are passed in memory to the LM).

    spec = load_spec("sample_data/support_tickets.yaml")
    spec.optimizer.name          # "auto", "LabeledFewShot", ...
    save_spec(spec, "copy.json")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from engine.errors import SpecError
from engine.runs.spec_names import (
    FIELD_TYPES,
    METRIC_KINDS,
    MODULE_TYPES,
    OPTIMIZER_CHOICES,
    canonical_optimizer,
    check_identifier,
)

_FORBID = ConfigDict(extra="forbid")
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
        return check_identifier(value, "field name")

    @model_validator(mode="after")
    def _choices(self) -> FieldSpec:
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
    """One pipeline step: a Predict or ChainOfThought over a signature."""

    model_config = _FORBID
    name: str
    module: Literal["Predict", "ChainOfThought"] = "Predict"
    instructions: str = ""
    fields: list[FieldSpec]

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
        if self.module == "ChainOfThought" and "reasoning" in names:
            raise ValueError(
                f"step {self.name!r}: 'reasoning' is added by ChainOfThought; rename that field"
            )
        return self

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
    """How a prediction is scored against the labels."""

    model_config = _FORBID
    kind: str = "exact"
    field: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in METRIC_KINDS:
            raise ValueError(f"unknown metric {value!r}; choose one of {', '.join(METRIC_KINDS)}")
        return value


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
        if not value.strip() or "/" not in value:
            raise ValueError(
                f"model {value!r} should look like 'provider/name', e.g. local/smollm2-135m"
            )
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

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        name = canonical_optimizer(value)
        if name is None:
            raise ValueError(
                f"unknown optimizer {value!r}; choose one of {', '.join(OPTIMIZER_CHOICES)}"
            )
        return name


class ProjectSpec(BaseModel):
    """The whole project. `base_dir` (not saved) anchors relative CSV paths."""

    model_config = _FORBID
    name: str
    description: str = ""
    pipeline: list[StepSpec]
    data: DataSpec
    metric: MetricSpec = Field(default_factory=MetricSpec)
    models: ModelsSpec = Field(default_factory=ModelsSpec)
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    _base_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _wiring(self) -> ProjectSpec:
        if not self.pipeline:
            raise ValueError("pipeline: add at least one step")
        names = [s.name for s in self.pipeline]
        if len(set(names)) != len(names):
            raise ValueError(f"pipeline: step names must be unique, got {names}")
        produced: dict[str, str] = {}
        for step in self.pipeline:
            for f in step.outputs:
                if f.name in produced:
                    raise ValueError(
                        f"pipeline: output {f.name!r} of step {step.name!r} is already produced by "
                        f"step {produced[f.name]!r}; give it another name"
                    )
                if f.name in self.input_fields:
                    raise ValueError(
                        f"pipeline: {f.name!r} is both a data input and an output of "
                        f"step {step.name!r}"
                    )
                produced[f.name] = step.name
        if self.metric.field and self.metric.field not in self.label_fields:
            raise ValueError(
                f"metric.field: {self.metric.field!r} is not an output of the last step; "
                f"choose one of {self.label_fields}"
            )
        mapped = list(self.data.columns.values())
        unknown = [f for f in mapped if f not in self.input_fields + self.label_fields]
        if unknown:
            raise ValueError(
                f"data.columns: field(s) {unknown} are neither pipeline inputs {self.input_fields} "
                f"nor labels {self.label_fields}"
            )
        return self

    # derived views ------------------------------------------------------------------------
    @property
    def input_fields(self) -> list[str]:
        """Inputs the data must provide: step inputs not produced by an earlier step."""
        produced: set[str] = set()
        out: list[str] = []
        for step in self.pipeline:
            out += [f.name for f in step.inputs if f.name not in produced and f.name not in out]
            produced |= {f.name for f in step.outputs}
        return out

    @property
    def label_fields(self) -> list[str]:
        """The outputs of the last step: what the data's label columns hold."""
        return [f.name for f in self.pipeline[-1].outputs]

    @property
    def base_dir(self) -> Path:
        return self._base_dir or Path.cwd()

    def with_base_dir(self, base_dir: str | Path | None) -> ProjectSpec:
        self._base_dir = Path(base_dir).resolve() if base_dir is not None else None
        return self

    # serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def spec_from_dict(data: Any, base_dir: str | Path | None = None) -> ProjectSpec:
    """Validate a dict into a spec; errors become one SpecError naming each field and problem."""
    if not isinstance(data, dict):
        raise SpecError(
            "a spec must be a mapping of sections (name, pipeline, data, ...), "
            f"got {type(data).__name__}"
        )
    try:
        spec = ProjectSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc)) from None
    return spec.with_base_dir(base_dir)


def spec_from_text(text: str, base_dir: str | Path | None = None) -> ProjectSpec:
    """Parse YAML or JSON text (JSON is valid YAML) into a spec."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"the spec is not valid YAML/JSON: {exc}") from None
    return spec_from_dict(data, base_dir)


def load_spec(path: str | Path) -> ProjectSpec:
    """Read a .yaml/.yml/.json spec; relative data paths resolve against its folder."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file not found: {path}")
    return spec_from_text(path.read_text(encoding="utf-8"), base_dir=path.resolve().parent)


def save_spec(spec: ProjectSpec, path: str | Path) -> Path:
    """Write the spec as JSON (for .json) or YAML (anything else)."""
    path = Path(path)
    text = spec.to_json() if path.suffix.lower() == ".json" else spec.to_yaml()
    path.write_text(text, encoding="utf-8")
    return path


def format_validation_error(exc: ValidationError) -> str:
    """'optimizer.name: unknown optimizer ...' lines, one per problem."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "spec"
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif err["type"] == "missing":
            message = "required, but missing"
        lines.append(f"{loc}: {message}")
    return "\n".join(lines)


__all__ = [
    "BudgetSpec", "DataSpec", "FIELD_TYPES", "FieldSpec", "MODULE_TYPES", "MetricSpec", "ModelSpec",
    "ModelsSpec", "OptimizerSpec", "ProjectSpec", "StepSpec", "format_validation_error",
    "load_spec",
    "save_spec", "spec_from_dict", "spec_from_text",
]  # fmt: skip
