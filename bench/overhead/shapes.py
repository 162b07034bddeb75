"""The overhead bench's module shapes and instant LMs (Tunesmith, DSPy, litellm provider).

Imported by bench/overhead/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import dspy

import engine as ts
from engine.lm._litellm import get_litellm

SIMPLE_TEXT = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
TYPED_TEXT = (
    "[[ ## category ## ]]\nbilling\n\n[[ ## urgency ## ]]\n3\n\n"
    "[[ ## needs_human ## ]]\nTrue\n\n[[ ## completed ## ]]"
)


# -- the module shapes ---------------------------------------------------------------------
class TsTriage(ts.Signature):
    """Triage a support ticket."""

    ticket: str = ts.InputField()
    history: list[str] = ts.InputField(desc="earlier messages from the customer")
    category: Literal["billing", "bug", "other"] = ts.OutputField()
    urgency: int = ts.OutputField(desc="1 (low) to 5 (high)")
    needs_human: bool = ts.OutputField()


class DspyTriage(dspy.Signature):
    """Triage a support ticket."""

    ticket: str = dspy.InputField()
    history: list[str] = dspy.InputField(desc="earlier messages from the customer")
    category: Literal["billing", "bug", "other"] = dspy.OutputField()
    urgency: int = dspy.OutputField(desc="1 (low) to 5 (high)")
    needs_human: bool = dspy.OutputField()


@dataclass(frozen=True)
class Shape:
    """One module shape: how to build it in each framework, its inputs and the LM's answer."""

    name: str
    model: str  # model name used with the instant litellm provider
    text: str
    ts_module: Callable[[], Any]
    dspy_module: Callable[[], Any]
    inputs: Callable[[int], dict[str, Any]]
    check: Callable[[Any], bool]


SHAPES = [
    Shape(
        name='Predict("question -> answer")',
        model="instant/qa",
        text=SIMPLE_TEXT,
        ts_module=lambda: ts.Predict("question -> answer"),
        dspy_module=lambda: dspy.Predict("question -> answer"),
        inputs=lambda i: {"question": f"What is the capital of France? ({i})"},
        check=lambda p: p.answer == "Paris",
    ),
    Shape(
        name="Predict(typed: 2 inputs, 3 typed outputs)",
        model="instant/triage",
        text=TYPED_TEXT,
        ts_module=lambda: ts.Predict(TsTriage),
        dspy_module=lambda: dspy.Predict(DspyTriage),
        inputs=lambda i: {
            "ticket": f"I was charged twice for order {i}.",
            "history": ["Hello?", "Any news on my refund?"],
        },
        check=lambda p: p.category == "billing" and p.urgency == 3 and p.needs_human is True,
    ),
]


# -- instant LMs -----------------------------------------------------------------------------
class TsInstantLM(ts.LM):
    """Tunesmith LM whose provider call returns a fixed text at once."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__("instant/direct", **kwargs)
        self.text = text
        self.calls = 0

    def _complete(self, messages: list[dict], params: dict) -> tuple[list[str], dict]:
        self.calls += 1
        return [self.text], {"prompt_tokens": 10, "completion_tokens": 5, "cost": 0.0}


class DspyInstantBaseLM(dspy.BaseLM):
    """DSPy legacy plugin: `forward` returns an OpenAI-shaped response object."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__("instant/direct", **kwargs)
        self.text = text
        self.calls = 0

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
        self.calls += 1
        message = types.SimpleNamespace(content=self.text, role="assistant")
        choice = types.SimpleNamespace(message=message, finish_reason="stop", index=0)
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        return types.SimpleNamespace(choices=[choice], usage=usage, model=self.model)


class DspyInstantEngine:
    """DSPy 3.4 canonical custom engine: `complete(Request) -> Response`, answered at once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import Message, Response, TextPart, Usage

        self.calls += 1
        return Response(
            id=None,
            model=request.model,
            message=Message.assistant([TextPart(self.text)]),
            finish_reason="stop",
            usage=Usage(input_tokens=10, output_tokens=5, total_tokens=15),
        )

    def close(self) -> None:
        pass


def register_instant_provider() -> Callable[[], int]:
    """Register litellm provider `instant` (answers by model name); returns a call counter."""
    litellm = get_litellm()  # Tunesmith's import: offline, quiet, `local` registered
    texts = {shape.model.split("/", 1)[1]: shape.text for shape in SHAPES}
    counter = {"calls": 0}

    class InstantLLM(litellm.CustomLLM):  # type: ignore[misc, name-defined]
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            counter["calls"] += 1
            name = model.split("/", 1)[-1]
            return litellm.ModelResponse(
                model=f"instant/{name}",
                choices=[
                    litellm.Choices(
                        index=0,
                        finish_reason="stop",
                        message=litellm.Message(role="assistant", content=texts[name]),
                    )
                ],
                usage=litellm.Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
            )

    others = [e for e in (litellm.custom_provider_map or []) if e.get("provider") != "instant"]
    litellm.custom_provider_map = [*others, {"provider": "instant", "custom_handler": InstantLLM()}]
    litellm.utils.custom_llm_setup()
    return lambda: counter["calls"]
