"""Plain-text values never open like the format section: its `{name}` placeholder is not copied.

The chat adapter's system message shows each output as its header and a placeholder
(`[[ ## request ## ]]` then `{request}`). Asked for an open `str` output after that header,
SmolLM2-135M copies the placeholder: zero-shot, 6 of 6 banking messages were restated as
`{request}` and 2 of 2 tickets extracted as `{product}` / `{problem}` (bench/shapes chains at
b0913c7), and bootstrapped demos then teach the copy to the next step. With `{` ruled out it
wrote `[# request]` or `[#]`, so every mark the format section opens a line with is ruled out:
then it wrote the message again or a sentence about it (6 of 6 rows text, 2 of 6 a copy).

The adapter marks a value that is plain text (`reply_text`, and a later section's `text`:
`engine.core._reply_hints`); its first token is picked among the tokens that do not open (after
spaces) with one of `TEMPLATE_MARKS`, nor are blank. A value that opens otherwise is unchanged
(the pick is the same). JSON-valued outputs (lists, models, dicts) are never marked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# how a line of the format section opens: a placeholder, a header, a heading, a tag, code
TEMPLATE_MARKS = ("{", "[", "#", "<", "`")


def template_tokens(llama: Any) -> np.ndarray:
    """The vocabulary's tokens a plain-text value may not open with: blank ones (a line break,
    a special token) and those opening with a template mark (SmolLM2: a scan of 49152 pieces,
    ~0.1 s)."""
    found = []
    for token in range(llama.n_vocab()):
        piece = llama.detokenize([token]).decode("utf-8", errors="ignore").lstrip()
        if not piece or piece[0] in TEMPLATE_MARKS:
            found.append(token)
    return np.asarray(found, dtype=np.int64)


def best_allowed(logits: np.ndarray, ruled_out: np.ndarray) -> int:
    """The best-scored token that is not one of `ruled_out`."""
    masked = logits.astype(np.float64, copy=True)
    masked[ruled_out] = -np.inf
    return int(masked.argmax())


def first_token_processor(ruled_out: np.ndarray, prompt_length: int) -> Any:
    """A llama-cpp logits processor that rules out those tokens for the first generated token (the
    sampled or plain completions' path)."""

    def process(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if len(input_ids) == prompt_length:
            scores = scores.copy()
            scores[ruled_out] = -np.inf
        return scores

    return process
