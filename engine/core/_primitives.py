"""Example and Prediction: dict-like records with attribute access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic


def _plain(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class Example:
    """A data record. `with_inputs(...)` marks which keys are inputs; the rest are labels."""

    def __init__(self, base: Example | dict[str, Any] | None = None, **kwargs: Any) -> None:
        store: dict[str, Any] = {}
        input_keys: frozenset[str] | None = None
        if isinstance(base, Example):
            store.update(base._store)
            input_keys = base._input_keys
        elif isinstance(base, dict):
            store.update(base)
        elif base is not None:
            raise TypeError(f"Example() takes a dict or an Example, not {type(base).__name__}")
        store.update(kwargs)
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_input_keys", input_keys)

    # dict / attribute access ------------------------------------------------------------
    def __getattr__(self, key: str) -> Any:
        if key.startswith("__") and key.endswith("__"):
            raise AttributeError(key)
        try:
            return self._store[key]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no field {key!r}; fields: {list(self._store)}"
            ) from None

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_"):
            object.__setattr__(self, key, value)
        else:
            self._store[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._store[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._store[key] = value

    def __delitem__(self, key: str) -> None:
        del self._store[key]

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def __len__(self) -> int:
        """The number of fields, leaving out DSPy's hidden `dspy_*` ones."""
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        """Equal to an Example with the same fields, or to a plain dict of them (a demo loaded
        from a saved state equals the dict it was saved from)."""
        if isinstance(other, Example):
            return self._store == other._store
        return isinstance(other, dict) and self._store == other

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self._store.items())))

    def __repr__(self) -> str:
        """DSPy's form: `Example({...}) (input_keys={...})`, without hidden `dspy_*` fields."""
        shown = dict(self.items())
        return f"{type(self).__name__}({shown!r}) (input_keys={self._input_keys!r})"

    def keys(self, include_dspy: bool = False) -> list[str]:
        """Field names; names starting `dspy_` (DSPy's hidden fields) only if asked."""
        return [k for k in self._store if include_dspy or not k.startswith("dspy_")]

    def values(self, include_dspy: bool = False) -> list[Any]:
        return [self._store[k] for k in self.keys(include_dspy)]

    def items(self, include_dspy: bool = False) -> list[tuple[str, Any]]:
        return [(k, self._store[k]) for k in self.keys(include_dspy)]

    def get(self, key: str, default: Any = None) -> Any:
        return self._store.get(key, default)

    def toDict(self) -> dict[str, Any]:  # noqa: N802  (DSPy's name)
        """The fields as a plain dict; pydantic values (a History, a model) become dicts, also
        inside lists and dicts, so the result is ready for JSON."""
        return {key: _plain(value) for key, value in self._store.items()}

    to_dict = toDict

    # inputs / labels --------------------------------------------------------------------
    def with_inputs(self, *keys: str) -> Example:
        copy = self.copy()
        object.__setattr__(copy, "_input_keys", frozenset(keys))
        return copy

    @property
    def input_keys(self) -> frozenset[str] | None:
        return self._input_keys

    def inputs(self) -> Example:
        if self._input_keys is None:
            raise ValueError(
                "this Example has no input keys; call .with_inputs('field', ...) first"
            )
        return Example({k: v for k, v in self._store.items() if k in self._input_keys}).with_inputs(
            *self._input_keys
        )

    def labels(self) -> Example:
        keys = self._input_keys or frozenset()
        return Example({k: v for k, v in self._store.items() if k not in keys})

    def copy(self, **kwargs: Any) -> Example:
        new = type(self)(dict(self._store), **kwargs)
        object.__setattr__(new, "_input_keys", self._input_keys)
        return new

    def without(self, *keys: str) -> Example:
        new = self.copy()
        for key in keys:
            new._store.pop(key, None)
        return new


class Prediction(Example):
    """What a module returns: the output fields, all completions, and the LM usage spent."""

    def __init__(self, base: Example | dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(base, **kwargs)
        object.__setattr__(self, "_completions", None)
        object.__setattr__(self, "_usage", None)
        object.__setattr__(self, "_choice_scores", {})
        object.__setattr__(self, "_reply", None)

    @classmethod
    def from_completions(
        cls, list_or_dict: list[dict[str, Any]] | dict[str, list[Any]], signature: Any = None
    ) -> Prediction:
        """A prediction holding the first completion's fields and all of them in `completions`
        (a list of dicts, or DSPy's {field: [values]} form)."""
        completions = Completions(list_or_dict, signature=signature)
        pred = cls({k: v[0] for k, v in completions.items() if v})
        object.__setattr__(pred, "_completions", completions)
        return pred

    @property
    def completions(self) -> Completions:
        """Every completion (DSPy's `Completions`: `pred.completions.answer` is the list of
        answers). A prediction built by hand holds one: its own fields (DSPy: None)."""
        if self._completions is not None:
            return self._completions
        return Completions([dict(self._store)])

    def get_lm_usage(self) -> dict[str, Any] | None:
        return self._usage

    # a prediction with a `score` field acts as that number (DSPy's feedback metrics) --------
    def __float__(self) -> float:
        if "score" not in self._store:
            raise ValueError("Prediction object does not have a 'score' field to convert to float.")
        return float(self._store["score"])

    def _number(self, other: Any, operation: str) -> float:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return float(other)
        if isinstance(other, Prediction):
            return float(other)
        raise TypeError(f"Unsupported type for {operation}: {type(other)}")

    def __add__(self, other: Any) -> float:
        return float(self) + self._number(other, "addition")

    def __radd__(self, other: Any) -> float:
        return self._number(other, "addition") + float(self)

    def __truediv__(self, other: Any) -> float:
        return float(self) / self._number(other, "division")

    def __rtruediv__(self, other: Any) -> float:
        return self._number(other, "division") / float(self)

    def __lt__(self, other: Any) -> bool:
        return float(self) < self._number(other, "comparison")

    def __le__(self, other: Any) -> bool:
        return float(self) <= self._number(other, "comparison")

    def __gt__(self, other: Any) -> bool:
        return float(self) > self._number(other, "comparison")

    def __ge__(self, other: Any) -> bool:
        return float(self) >= self._number(other, "comparison")

    def set_lm_usage(self, usage: dict[str, Any] | None) -> None:
        object.__setattr__(self, "_usage", usage)

    @property
    def choice_scores(self) -> dict[str, dict[str, float]]:
        """The model's log-probabilities at each closed choice it made, {field: {value: lp}}
        ({} when it reported none: `engine.lm.choice_scores`)."""
        return self._choice_scores

    def set_choice_scores(self, scores: dict[str, dict[str, float]]) -> None:
        object.__setattr__(self, "_choice_scores", dict(scores))

    @property
    def reply(self) -> str | None:
        """The model's reply as it wrote it, before parsing (a `Predict` call's; else None)."""
        return self._reply

    def set_reply(self, text: str | None) -> None:
        object.__setattr__(self, "_reply", text)

    def __repr__(self) -> str:
        body = ",\n    ".join(f"{k}={v!r}" for k, v in self._store.items())
        if self._completions is None or len(self._completions) <= 1:
            return f"Prediction(\n    {body}\n)"
        omitted = len(self._completions) - 1
        return (
            f"Prediction(\n    {body},\n    completions=Completions(...)\n) "
            f"({omitted} completions omitted)"
        )


class Completions:
    """All completions of one call, by field: `c.answer` / `c["answer"]` is the list of that
    field's values, `c[0]` the first completion as a Prediction, `len(c)` how many."""

    def __init__(
        self, list_or_dict: list[Any] | dict[str, list[Any]], signature: Any = None
    ) -> None:
        self.signature = signature
        if isinstance(list_or_dict, (list, tuple)):
            by_field: dict[str, list[Any]] = {}
            for position, completion in enumerate(list_or_dict):
                if not hasattr(completion, "items"):
                    raise TypeError(
                        f"Completions takes dicts (or Predictions); item {position} is a "
                        f"{type(completion).__name__}"
                    )
                for key, value in completion.items():
                    by_field.setdefault(key, [None] * position).append(value)
                for values in by_field.values():  # a field this completion lacks
                    if len(values) < position + 1:
                        values.append(None)
        elif isinstance(list_or_dict, dict):
            by_field = {k: list(v) for k, v in list_or_dict.items() if _is_list(v, k)}
        else:
            raise TypeError(
                "Completions takes a list of dicts or a {field: [values]} dict, not "
                f"{type(list_or_dict).__name__}"
            )
        lengths = {len(v) for v in by_field.values()}
        if len(lengths) > 1:
            raise ValueError(
                f"Completions: every field needs as many values; got {sorted(lengths)}"
            )
        object.__setattr__(self, "_completions", by_field)

    def items(self) -> Any:
        return self._completions.items()

    def keys(self) -> Any:
        return self._completions.keys()

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            if key < 0:
                key += len(self)
            if not 0 <= key < len(self):
                raise IndexError(f"completion {key} out of range ({len(self)} completions)")
            return Prediction({k: v[key] for k, v in self._completions.items()})
        return self._completions[key]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_completions":
            raise AttributeError(name)
        if name in self._completions:
            return self._completions[name]
        raise AttributeError(
            f"Completions has no field {name!r}; fields: {list(self._completions)}"
        )

    def __iter__(self) -> Iterator[Prediction]:
        """Each completion as a Prediction (as DSPy's integer indexing yields them)."""
        return (self[i] for i in range(len(self)))

    def __len__(self) -> int:
        return len(next(iter(self._completions.values()), []))

    def __contains__(self, key: object) -> bool:
        return key in self._completions

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Completions) and self._completions == other._completions

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        body = ",\n    ".join(f"{k}={v!r}" for k, v in self._completions.items())
        return f"Completions(\n    {body}\n)"


def _is_list(value: Any, key: str) -> bool:
    if not isinstance(value, list):
        raise TypeError(f"Completions: the values of {key!r} must be a list")
    return True


def total_lm_usage(predictions: list[Any]) -> dict[str, Any] | None:
    """The summed `get_lm_usage()` of predictions (numbers only), None when none has any."""
    total: dict[str, Any] = {}
    for prediction in predictions:
        usage = prediction.get_lm_usage() if hasattr(prediction, "get_lm_usage") else None
        for key, value in (usage or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total or None
