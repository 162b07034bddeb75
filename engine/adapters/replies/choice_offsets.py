"""Choice offsets in the chat format: a predictor's learned shift of its closed choices, sent
to the embedded model as `reply_bias`, and the model's choice scores read back per field.

Both are keyed on the wire by the field's header line (`[[ ## positive ## ]]`, the line the
model writes just before the value) and in the program by field name: {field: {value: x}},
values written as the prompt writes them (`true`, `positive`). See `engine.core._reply_hints`
(`reply_bias`, `Scores`).
"""

from __future__ import annotations

from typing import Any

from engine.adapters.replies.section_header import HEADER
from engine.core import REPLY_BIAS, Scores, cast_value

OPTION = "choice_offsets"  # the Predict config key that carries the offsets to the adapter


def bias_kwargs(signature: Any, offsets: Scores) -> dict[str, Any]:
    """The `reply_bias` request parameter for `offsets` on `signature`'s outputs ({} when no
    offset names one of them)."""
    bias = {
        f"[[ ## {name} ## ]]": {str(v): float(o) for v, o in values.items()}
        for name, values in offsets.items()
        if name in signature.output_fields and values
    }
    return {REPLY_BIAS: bias} if bias else {}


def field_scores(signature: Any, raw: Scores) -> Scores:
    """The model's choice scores keyed by output field (lines that are no output's header are
    dropped)."""
    names = {name.lower(): name for name in signature.output_fields}
    out: Scores = {}
    for line, scores in raw.items():
        match = HEADER.fullmatch(line.strip())
        name = names.get(match.group(1).strip().lower()) if match else None
        if name is not None:
            out[name] = {str(v): float(s) for v, s in scores.items()}
    return out


def read_offsets(raw: Any) -> Scores:
    """Stored offsets as {field: {value: offset}}; a malformed entry raises ValueError."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError(f"choice_offsets must map fields to {{value: offset}}, got {raw!r}")
    try:
        return {str(f): {str(v): float(o) for v, o in vals.items()} for f, vals in raw.items()}
    except (TypeError, ValueError) as exc:
        raise ValueError(f"choice_offsets must hold numbers: {exc}") from None


def shifted_pick(signature: Any, outputs: dict[str, Any], scores: Scores, offsets: Scores) -> dict:
    """`outputs` with each scored choice re-picked after its offsets (the highest score less
    offset), for a model that reports scores but takes no `reply_bias` (a served or hosted
    one): the answer calibration fitted the offsets for."""
    shifted = dict(outputs)
    for name, values in scores.items():
        shift = offsets.get(name)
        if not shift or name not in signature.output_fields or len(values) < 2:
            continue
        pick = max(values, key=lambda v: values[v] - shift.get(v, 0.0))
        if str(outputs.get(name, "")).strip().casefold() != pick.casefold():
            shifted[name] = cast_value(pick, signature.output_fields[name].annotation)
    return shifted
