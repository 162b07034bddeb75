"""`Evaluate(save_as_json=path, save_as_csv=path)`: one record per example, as DSPy writes
them: the example's fields, the program's outputs and the score under the metric's name.
Pydantic values (a History, a model) are written as their JSON data."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pydantic


def metric_name(metric: Callable[..., Any] | None) -> str:
    """The column the scores go under: the metric's function or class name."""
    if metric is None:
        return "score"
    return getattr(metric, "__name__", None) or type(metric).__name__


def _plain(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def result_records(results: Sequence[tuple[Any, Any, float]], name: str) -> list[dict[str, Any]]:
    """(example, outputs, score) triples as flat records ready for JSON."""
    records = []
    for example, outputs, score in results:
        record = {key: _plain(value) for key, value in dict(example.items()).items()}
        if isinstance(outputs, dict) or hasattr(outputs, "items"):
            record.update({key: _plain(value) for key, value in dict(outputs.items()).items()})
        elif outputs is not None:
            record["prediction"] = _plain(outputs)
        record[name] = score
        records.append(record)
    return records


def save_results(
    results: Sequence[tuple[Any, Any, float]],
    metric: Callable[..., Any] | None,
    json_path: str | Path | None = None,
    csv_path: str | Path | None = None,
) -> None:
    """Write the records to `json_path` (a JSON list) and/or `csv_path` (one row each; nested
    values as JSON text)."""
    records = result_records(results, metric_name(metric))
    if json_path:
        Path(json_path).write_text(json.dumps(records, indent=2, ensure_ascii=False, default=str))
    if csv_path:
        columns = list(dict.fromkeys(key for record in records for key in record))
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for record in records:
                writer.writerow({
                    key: json.dumps(value, ensure_ascii=False, default=str)
                    if isinstance(value, dict | list) else value
                    for key, value in record.items()
                })  # fmt: skip
