"""The default `LM._complete`: one request through litellm (any provider, incl. `local/...`)."""

from __future__ import annotations

import logging
from typing import Any

from engine.core import SCORE_CHOICES, reply_from_message
from engine.lm._litellm import get_litellm
from engine.lm._logprob_scores import scores_from_logprobs
from engine.lm.local import PROVIDER as LOCAL_PROVIDER
from engine.lm.local import ensure_local_ready, refuse_media

logger = logging.getLogger(__name__)


def _texts(response: Any, model_type: str) -> list[str]:
    out = []
    for choice in response.choices:
        if model_type == "text":
            out.append(getattr(choice, "text", "") or "")
        else:
            out.append(reply_from_message(choice.message))  # its tool calls, reasoning too
    return out


def _choice_scores(response: Any, closed: dict[str, list[str]] | None) -> list[dict[str, Any]]:
    """Each choice's scores at its closed choices (`engine.lm.choice_scores`): the embedded
    model's own, else read from the provider's log-probabilities at the `closed` choices
    (`engine.lm._logprob_scores`); [] when none has any."""
    scores = []
    for choice in response.choices:
        fields = getattr(choice, "provider_specific_fields", None)
        own = (fields or {}).get("choice_scores")
        scores.append(own or (scores_from_logprobs(choice, closed) if closed else {}))
    return scores if any(scores) else []


def _cost(litellm: Any, response: Any, model: str) -> float | None:
    if model.startswith(LOCAL_PROVIDER + "/"):
        return 0.0  # runs in this process: free
    hidden = getattr(response, "_hidden_params", None)
    if isinstance(hidden, dict) and "response_cost" in hidden:
        # litellm priced it (or found no price) while logging the call: no second lookup,
        # which costs about a third of a millisecond on an unpriced model such as a local server
        known = hidden["response_cost"]
        return (float(known) or None) if isinstance(known, (int, float)) else None
    try:
        cost = litellm.completion_cost(completion_response=response)
    except Exception:  # unpriced model: litellm raises
        return None
    return float(cost) if cost else None


def litellm_complete(
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    model_type: str = "chat",
    api_key: str | None = None,
    api_base: str | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Send one request without retries (the LM retries); returns texts and usage."""
    local = model.startswith(LOCAL_PROVIDER + "/")
    if local:
        refuse_media(model, messages)  # text only: a clear error, before the model loads
        ensure_local_ready(model)  # a clear LMConfigError before litellm wraps it
    litellm = get_litellm()
    # The LM retries; litellm and the provider SDKs must not retry on their own.
    request: dict[str, Any] = {**params, "num_retries": 0}
    closed = request.pop(SCORE_CHOICES, None)
    if not local:
        request["max_retries"] = 0
    if api_key is not None:
        request["api_key"] = api_key
    if api_base is not None:
        request["api_base"] = api_base
    if model_type == "text":
        prompt = "\n\n".join(str(m.get("content", "")) for m in messages)
        response = litellm.text_completion(model=model, prompt=prompt, **request)
    else:
        response = litellm.completion(model=model, messages=messages, **request)
    usage = getattr(response, "usage", None)
    return _texts(response, model_type), {
        "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
        "cost": _cost(litellm, response, model),
        "finish_reasons": [getattr(c, "finish_reason", None) for c in response.choices],
        "choice_scores": _choice_scores(response, closed),
    }
