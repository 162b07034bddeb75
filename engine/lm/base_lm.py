"""`BaseLM`: DSPy 3.x's base class for a custom LM. Implement `forward(prompt, messages,
**kwargs)` returning an OpenAI-shaped chat completion; the engine's LM machinery (usage
ledgers, budgets, retries, history, callbacks) wraps every call."""

from __future__ import annotations

from typing import Any

from engine.core import LMError, reply_from_message
from engine.lm.lm import LM, Usage


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """`obj[name]` for a dict, `obj.name` otherwise."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def read_response(response: Any) -> tuple[list[str], Usage]:
    """The texts and usage of an OpenAI-shaped response (a dict or an object).

    `choices[i].message.content` (chat) or `choices[i].text` (text completion); `usage` gives
    prompt/completion tokens, `_hidden_params["response_cost"]` the cost when present."""
    choices = _get(response, "choices")
    if not choices:
        raise LMError(
            "BaseLM.forward must return an OpenAI-shaped response with a non-empty `choices` "
            f"list; got {type(response).__name__}"
        )
    texts = []
    for choice in choices:
        message = _get(choice, "message")
        if message is not None:  # its tool calls and reasoning too (engine.core._native_reply)
            texts.append(reply_from_message(message))
            continue
        text = _get(choice, "text")
        texts.append("" if text is None else str(text))
    usage = _get(response, "usage") or {}
    hidden = _get(response, "_hidden_params") or {}
    return texts, {
        "prompt_tokens": int(_get(usage, "prompt_tokens", 0) or 0),
        "completion_tokens": int(_get(usage, "completion_tokens", 0) or 0),
        "cost": hidden.get("response_cost") if isinstance(hidden, dict) else None,
    }


class BaseLM(LM):
    """Subclass and implement `forward` (DSPy 3.x's custom-LM shape):

        class MyLM(dspy.BaseLM):
            def forward(self, prompt=None, messages=None, **kwargs):
                return {"choices": [{"message": {"content": "..."}}], "usage": {...}}

    Calling it returns the list of completion texts, like any LM. `forward` receives the
    messages (a `prompt` call arrives as one user message) and the merged sampling kwargs.
    The engine's request cache is not used: caching is up to `forward`, as in DSPy.
    """

    caches_requests = False

    @property
    def supports_function_calling(self) -> bool:
        return False

    @property
    def supports_reasoning(self) -> bool:
        return False

    @property
    def supports_response_schema(self) -> bool:
        return False

    @property
    def supported_params(self) -> set[str]:
        return set()

    def forward(
        self, prompt: str | None = None, messages: list[dict] | None = None, **kwargs: Any
    ) -> Any:
        """Return an OpenAI-shaped response for one request."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    async def aforward(
        self, prompt: str | None = None, messages: list[dict] | None = None, **kwargs: Any
    ) -> Any:
        """Async `forward`; by default the sync one."""
        return self.forward(prompt=prompt, messages=messages, **kwargs)

    def _complete(
        self, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[str], Usage]:
        return read_response(self.forward(prompt=None, messages=messages, **params))
