"""The project spec: what to build (pipeline), on what data, scored how, tuned by what.

A spec is plain data (pydantic v2), saved and loaded as YAML or JSON. The dashboard edits one,
the CLI and the worker run one. It never holds an API key: keys come from the environment (or
are passed in memory to the LM). A key typed into any field (a name, an instruction, an
endpoint URL such as ``http://user:KEY@host``) is refused with a message saying where keys go
(`engine.core._secret_shapes`); `to_dict` masks any that got past validation, as a last defence.

    spec = load_spec("sample_data/support_tickets.yaml")
    spec.optimizer.name          # "auto", "LabeledFewShot", ...
    save_spec(spec, "copy.json")
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from engine.core import SpecError, secret_problems
from engine.runs.spec._parts import DataSpec, MetricSpec, ModelsSpec, OptimizerSpec, StepSpec
from engine.runs.spec._redact import redact_data
from engine.runs.spec._steps import check_refine_reward
from engine.runs.spec._yaml import load_yaml

_FORBID = ConfigDict(extra="forbid")


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
        check_refine_reward(self)
        problems = secret_problems(self.model_dump(mode="json"))
        if problems:  # e.g. a model_validate() that skipped spec_from_dict's check
            raise ValueError("\n".join(problems))
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
        """The spec as JSON data, with anything key-shaped masked (validation refuses keys;
        this catches one set on a field after it, before it is stored or exported)."""
        return redact_data(self.model_dump(mode="json"), [], tokens=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_yaml(self) -> str:
        return yaml.dump(self.to_dict(), Dumper=_SpecDumper, sort_keys=False, allow_unicode=True)


class _SpecDumper(yaml.SafeDumper):
    """safe_dump, with text holding the line breaks YAML folds when unquoted (NEL U+0085, LS
    U+2028, PS U+2029) written double-quoted (as \\N \\L \\P), so it loads back as written."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = '"' if any(c in text for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_SpecDumper.add_representer(str, _represent_text)


def spec_from_dict(data: Any, base_dir: str | Path | None = None) -> ProjectSpec:
    """Validate a dict into a spec; errors become one SpecError naming each field and problem."""
    if not isinstance(data, dict):
        raise SpecError(
            "a spec must be a mapping of sections (name, pipeline, data, ...), "
            f"got {type(data).__name__}"
        )
    problems = secret_problems(data) + unstorable_values(data)
    if problems:  # refused before anything else: the messages never quote the value
        raise SpecError("\n".join(problems))
    try:
        spec = ProjectSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc)) from None
    return spec.with_base_dir(base_dir)


def unstorable_values(data: Any, path: str = "") -> list[str]:
    """``"path: problem"`` for each value no run can hold: a number that is not finite (.nan,
    .inf) and text with a lone surrogate (half of a UTF-16 pair, e.g. from a \\ud800 escape),
    which no file or database can store."""
    where = path or "spec"
    if isinstance(data, float) and not math.isfinite(data):
        return [f"{where}: {data} is not a finite number; write a number or leave it out"]
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = ascii(data[exc.start])
            return [f"{where}: the text holds {char}, half of a UTF-16 pair, which no file can "
                    "store; remove it (or write the whole character)"]  # fmt: skip
        return []
    if not isinstance(data, dict | list | tuple):
        return []
    out: list[str] = []
    for key, value in data.items() if isinstance(data, dict) else enumerate(data):
        name = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
        out += unstorable_values(key, f"{where} (a key)") if isinstance(key, str) else []
        out += unstorable_values(value, f"{path}.{name}" if path else name)
    return out


def spec_from_text(text: str, base_dir: str | Path | None = None) -> ProjectSpec:
    """Parse YAML or JSON text (JSON is valid YAML) into a spec."""
    return spec_from_dict(load_yaml(text), base_dir)


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

