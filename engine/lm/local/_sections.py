"""Reply sections: when a reply ends before a later output's header, write the header in.

The chat adapter sends `reply_sections` (`engine.core._reply_hints.Section`) to the embedded model
with a signature of several outputs (ChainOfThought's `reasoning` then `answer`): the headers of
the outputs after the first, in order, each with the values it may take when it is a closed
choice, and a token budget. A small model often spends its whole reply on the first output
(SmolLM2 repeats "The answer is:" until `max_tokens`) or stops without the next header. The
reply then lacks a field, and the adapter would pay a fallback call in another format, which
re-writes the reasoning and usually fails the same way. Instead, within the same call, the model
continues its own reply from the missing header (its prompt and reply stay in the KV cache, so
this costs the new header and the value's tokens), with the field's choices as closed drafts.

Each continuation generates at most its section's budget, on top of the call's `max_tokens`
(which bounds the model's own writing); the budgets are small and fixed by the adapter. An open
section may also use what the call's `max_tokens` has left: the model's own writing ends where a
line opens a header (the adapter's stops), so an answer written after its reasoning gets the
room it had when the model wrote the header itself. Hosted models never get this parameter
(they cannot be made to continue a reply), see `ChatAdapter.decoding_kwargs`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.core import Scores, Section


def next_missing(text: str, sections: list[Section]) -> Section | None:
    """The section to write next: the one after the last header the reply has, if any is left."""
    lowered = text.lower()
    present = [s.header.strip().lower() in lowered for s in sections]
    last = max((i for i, here in enumerate(present) if here), default=-1)
    return sections[last + 1] if last + 1 < len(sections) else None


def _trim(text: str) -> str:
    """The reply without trailing space or a header cut off half-written ("... [[ ## ans")."""
    cut = text.rfind("[[")
    if cut != -1 and "]]" not in text[cut:]:
        text = text[:cut]
    return text.rstrip()


Generate = Callable[..., dict[str, Any]]  # LocalModel.generate's shape


def complete_sections(
    generate: Generate,
    messages: list[dict[str, Any]],
    request: dict[str, Any],
    result: dict[str, Any],
    sections: list[Section],
    seed: int,
    until: Callable[[str], bool] | None = None,
    keep: Callable[[str], str] | None = None,
    bias: Scores | None = None,
) -> dict[str, Any]:
    """`result` (texts of one call) with the missing later headers written in and continued;
    a continuation stops, and is kept, by the call's reply rule (`until`, `keep`) as the
    model's own writing is; a closed value is picked with the call's choice `bias`, and its
    choice scores join the text's (`engine.lm.choice_scores`)."""
    texts = list(result["texts"])
    scores = [dict(s) for s in result.get("choice_scores") or [{} for _ in texts]]
    completion_tokens = int(result["completion_tokens"])
    reasons = list(result["finish_reasons"])
    spent = list(result.get("completion_counts") or [completion_tokens] * len(texts))
    for index, text in enumerate(texts):
        for _ in sections:
            section = next_missing(text, sections)
            if section is None:
                break
            kept = _trim(text) if keep is None else keep(_trim(text)).rstrip()
            start = f"{kept}\n\n{section.header}"
            drafts = [f"{start}{value}\n" for value in section.values] or [start]
            stop = list(request["stop"]) + (["\n"] if section.values else [])
            budget = section.max_tokens
            if not section.values and section.number is None:
                # open text: the room the call's own budget has left
                budget = max(budget, int(request.get("max_tokens") or 0) - spent[index])
            more = generate(
                messages,
                {**request, "max_tokens": budget, "stop": stop},
                n=1,
                seed=seed + index,
                drafts=drafts,
                start=start,
                closed=bool(section.values),
                number=section.number,
                until=until,
                bias=bias,
                text=section.text,
            )
            text = more["texts"][0] if keep is None else keep(more["texts"][0])
            scores[index].update((more.get("choice_scores") or [{}])[0])
            completion_tokens += int(more["completion_tokens"])
            spent[index] += int(more["completion_tokens"])
            reasons[index] = more["finish_reasons"][0]
        texts[index] = text
    return {**result, "texts": texts, "finish_reasons": reasons, "completion_counts": spent,
            "completion_tokens": completion_tokens, "choice_scores": scores}  # fmt: skip
