"""The litellm provider `local`: `litellm.completion(model="local/...")` answered by the
in-process embedded model (`LocalModel.chat`), with no server. Registered once
litellm is imported (`engine.lm._litellm`)."""

from __future__ import annotations

import time
import uuid
from types import ModuleType
from typing import Any

from engine.core import LMConfigError
from engine.lm.local._model import load_local_model
from engine.lm.local.runtime import PROVIDER


def register_local_provider(litellm: ModuleType) -> None:
    """Register the `local` provider in litellm (idempotent)."""
    handler = _make_handler(litellm)
    others = [
        entry for entry in (litellm.custom_provider_map or []) if entry.get("provider") != PROVIDER
    ]
    litellm.custom_provider_map = [*others, {"provider": PROVIDER, "custom_handler": handler}]
    litellm.utils.custom_llm_setup()


def _make_handler(litellm: ModuleType) -> Any:
    """Build the litellm CustomLLM instance (its base class exists only once litellm is in)."""
    import asyncio

    class LocalLLM(litellm.CustomLLM):  # type: ignore[name-defined, misc]
        """litellm provider `local`: chat completions from an in-process GGUF model."""

        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            optional = dict(kwargs.get("optional_params") or {})
            try:
                loaded = load_local_model(model)
            except LMConfigError as exc:
                raise litellm.BadRequestError(
                    message=str(exc), model=f"{PROVIDER}/{model}", llm_provider=PROVIDER
                ) from exc
            try:
                result = loaded.chat(messages, optional)
            except ValueError as exc:  # llama-cpp: prompt longer than the context window
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise litellm.ContextWindowExceededError(
                        message=str(exc), model=f"{PROVIDER}/{model}", llm_provider=PROVIDER
                    ) from exc
                raise litellm.BadRequestError(
                    message=str(exc), model=f"{PROVIDER}/{model}", llm_provider=PROVIDER
                ) from exc
            return litellm.ModelResponse(
                id=f"local-{uuid.uuid4().hex[:12]}",
                created=int(time.time()),
                model=f"{PROVIDER}/{model}",
                choices=[
                    litellm.Choices(
                        index=index,
                        finish_reason=reason,
                        message=litellm.Message(role="assistant", content=text),
                        provider_specific_fields={"choice_scores": scores} if scores else None,
                    )
                    for index, (text, reason, scores) in enumerate(
                        zip(result["texts"], result["finish_reasons"], result["choice_scores"])
                    )
                ],
                usage=litellm.Usage(
                    prompt_tokens=result["prompt_tokens"],
                    completion_tokens=result["completion_tokens"],
                    total_tokens=result["prompt_tokens"] + result["completion_tokens"],
                ),
            )

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(self.completion, model, messages, *args, **kwargs)

    return LocalLLM()
