"""Choice scores from a provider's log-probabilities: how sure a served or hosted model was at a
closed choice, in the shape the embedded model reports (`engine.lm.choice_scores`).

The adapter asks a provider that takes them (`LM.supports_logprobs`) for `logprobs` and
`top_logprobs`, and names the closed choices (`engine.core.SCORE_CHOICES`: {header line:
values}). In the reply, the token where a choice's value starts is found (after its
`[[ ## f ## ]]` line in the text format, after `"f":` in a JSON reply); each alternative the
provider lists there that begins one value only (after the part of the token before the value,
such as a quote) adds its probability to that value. Values are normalised over those found. A
choice with fewer than two values among the alternatives gets no scores: calibration leaves such
a row as it is.

The probabilities are the provider's own: llama.cpp's server reports them before the grammar
of a reply schema, so an answer on the list competes with text off it; only the values'
shares are kept.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NAME = re.compile(r"\[\[ ## (.+?) ## \]\]")

Tokens = list[tuple[str, list[tuple[str, float]]]]  # (token, [(alternative, logprob), ...])


def scores_from_logprobs(choice: Any, closed: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """{header line: {value: normalised logprob}} for each closed choice the reply of `choice`
    (a response choice with `logprobs.content`) lets us score; {} when none."""
    tokens = _tokens(choice)
    text = "".join(token for token, _ in tokens)
    out: dict[str, dict[str, float]] = {}
    for line, values in closed.items():
        start = _value_start(text, line)
        scores = _scores_at(tokens, start, [str(v) for v in values]) if start is not None else {}
        if len(scores) >= 2:
            out[line] = scores
    return out


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _tokens(choice: Any) -> Tokens:
    content = _get(_get(choice, "logprobs") or {}, "content") or []
    out: Tokens = []
    for item in content:
        alternatives = [(str(_get(a, "token")), float(_get(a, "logprob")))
                        for a in _get(item, "top_logprobs") or []]  # fmt: skip
        out.append((str(_get(item, "token") or ""), alternatives))
    return out


def _value_start(text: str, line: str) -> int | None:
    """Where the value after `line` starts in the reply: after the line itself (text format)
    or after its field's `"name":` and an opening quote (JSON), whichever comes first."""
    match = _NAME.fullmatch(line.strip())
    if match is None:
        return None
    text_format = re.search(re.escape(line.strip()) + r"\s*", text)
    json_format = re.search(rf'"{re.escape(match.group(1))}"\s*:\s*"?', text)
    found = [m.end() for m in (text_format, json_format) if m]
    return min(found) if found else None


def _scores_at(tokens: Tokens, start: int, values: list[str]) -> dict[str, float]:
    """The values' normalised log-probabilities at the token holding character `start`."""
    offset = 0
    for token, alternatives in tokens:
        if offset + len(token) > start:
            before = token[: start - offset]
            probabilities: dict[str, float] = {}
            for alternative, logprob in alternatives:
                value = _begun(alternative, before, values)
                if value is not None:
                    probabilities[value] = probabilities.get(value, 0.0) + math.exp(logprob)
            total = sum(probabilities.values())
            return {v: math.log(p / total) for v, p in probabilities.items() if p > 0}
        offset += len(token)
    return {}


def _begun(alternative: str, before: str, values: list[str]) -> str | None:
    """The one value `alternative` (a token written where `before` was) begins, else None;
    the space it may open with is not part of the value (a grammar may have written the space
    as a token of its own: ' True' where the reply reads ': true')."""
    if not alternative.startswith(before):
        return None
    rest = alternative[len(before) :].lstrip().casefold()
    if not rest:
        return None
    hits = [v for v in values if v.casefold().startswith(rest) or _whole(rest, v.casefold())]
    return hits[0] if len(hits) == 1 else None


def _whole(rest: str, value: str) -> bool:
    """`rest` is the whole `value` followed by something that is not part of a word."""
    return rest.startswith(value) and not rest[len(value) : len(value) + 1].isalnum()
