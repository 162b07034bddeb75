"""LM calls the dashboard itself makes (never an optimization): try the pipeline on a row, run
it on a few rows for the metric test, and time the model. litellm is imported only here, and
only when such a call happens. The session's API key goes to the LM object in memory only.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

from dashboard import safe, state
from dashboard.ui import describe_error
from engine import AdapterParseError, settings
from engine.runs import build_lm, build_program, load_data, schema_form


@dataclass
class RowRun:
    """One example run through the pipeline: what went in, came out, and what it cost."""

    inputs: dict[str, Any]
    expected: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    raw: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)  # LM history entries
    latency: float = 0.0

    @property
    def tokens(self) -> tuple[int, int]:
        prompt = sum(int(c["usage"]["prompt_tokens"]) for c in self.calls)
        completion = sum(int(c["usage"]["completion_tokens"]) for c in self.calls)
        return prompt, completion


def task_lm(spec: Any) -> Any:
    """The spec's task model, with this session's API key (in memory) and no request cache."""


    if os.environ.get("TUNESMITH_TEST_LM"):  # the worker's test hook: a scripted LM (tests only)
        from engine.runs import task_lm as hooked

        return hooked(spec)
    extras: dict[str, Any] = {"cache": False}
    if state.api_key() and not spec.models.task.model.startswith("local/"):
        extras["api_key"] = state.api_key()
    return build_lm(spec.models.task, **extras)


def examples(spec: Any) -> list[Any]:
    """Every usable example of the data (train, then validation, then test)."""

    split = load_data(spec)
    return split.train + split.val + split.test


_ASKED_HERE: set[str] = set()  # embedded models this process has already answered with


def asking_text(model: str) -> str:
    """The spinner's words while `model` answers; the first time this process uses an
    embedded model, they say it is loading (that first answer takes ~20 s)."""
    if model.startswith("local/") and model not in _ASKED_HERE:
        return (
            f"Loading the built-in model {safe.md(model.removeprefix('local/'))} (the first time "
            "only, about 20 seconds), then asking it…"
        )
    return f"Asking {safe.md(model)}…"


def asked(model: str) -> None:
    """Note that `model` has answered in this process (it is loaded now)."""
    _ASKED_HERE.add(model)


def searched_passages(spec: Any, program: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """For a row whose answer failed: what its Retrieve steps found (a search makes no LM
    call), so the passages still show next to the error."""
    found: dict[str, Any] = {}
    for step in spec.pipeline:
        query = step.inputs[0].name if step.inputs else None
        if step.module != "Retrieve" or query not in inputs:
            continue
        try:
            found[step.outputs[0].name] = getattr(program, step.name)(**{query: inputs[query]})[
                step.outputs[0].name
            ]
        except Exception:  # noqa: BLE001 (the row's own error is already shown)
            continue
    return found


def run_rows(spec: Any, rows: list[Any]) -> list[RowRun]:
    """Run the (untuned) pipeline on each example; errors are captured per row, not raised."""

    program = build_program(spec)
    lm = task_lm(spec)
    out: list[RowRun] = []
    with settings.context(lm=lm):
        for example in rows:
            run = RowRun(
                inputs=dict(example.inputs().items()), expected=dict(example.labels().items())
            )
            before = len(lm.history)
            start = time.perf_counter()
            try:
                prediction = program(**run.inputs)
                run.outputs = dict(prediction.items())
            except AdapterParseError as exc:
                run.error = "The model's answer did not follow the expected format."
                run.raw = exc.raw_text
            except Exception as exc:  # noqa: BLE001  (shown to the user, row by row)
                run.error = describe_error(exc)
            run.latency = time.perf_counter() - start
            run.calls = list(lm.history[before:])
            if run.error:
                run.outputs.update(searched_passages(spec, program, run.inputs))
            out.append(run)
    asked(spec.models.task.model)
    timed = [c["latency"] for r in out for c in r.calls if not c.get("cache_hit")]
    if timed:
        state.record_speed(spec.models.task.model, timed)
    return out


def random_rows(spec: Any, n: int, seed: int | None = None) -> list[Any]:
    pool = examples(spec)
    rng = random.Random(seed)
    return rng.sample(pool, min(n, len(pool)))


# -- API keys: which environment variable a provider reads ------------------------------------
KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "cohere": "COHERE_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "xai": "XAI_API_KEY",
    "azure": "AZURE_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
}


def key_env_var(model: str) -> str | None:
    """The environment variable holding the key for `provider/model` (None for local models)."""
    provider = model.split("/", 1)[0].strip().lower()
    if provider in ("local", "ollama", "ollama_chat", "lm_studio"):
        return None
    return KEY_ENV.get(provider, f"{provider.upper()}_API_KEY")


def run_key_env(models: dict[str, Any]) -> dict[str, str]:
    """{environment variable: key} for a run's worker: the keys typed in this session for the
    spec's hosted task and proposer models (a proposer of the task's provider shares its key)."""
    out: dict[str, str] = {}
    for role in ("task", "proposer"):
        model = (models.get(role) or {}).get("model") or ""
        env_var = key_env_var(model) if "/" in model else None
        if env_var and env_var not in out and state.api_key(role):
            out[env_var] = state.api_key(role)
    return out


def price_per_token(model: str) -> tuple[float, float] | None:
    """(input, output) USD per token from litellm's bundled price map, None if unpriced/local."""
    if model.startswith("local/"):
        return 0.0, 0.0
    try:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm  # here only: the dashboard loads litellm where it reads a model's prices

        info = litellm.get_model_info(model)
        return float(info.get("input_cost_per_token") or 0), float(
            info.get("output_cost_per_token") or 0
        )
    except Exception:  # noqa: BLE001  (unknown model: no price)
        return None


REPLY_WORDS = {
    "hints": "Answers are kept to your labels: the embedded model picks only from them.",
    "json_schema": "Answers are kept to your labels: this model's provider takes a reply "
    "schema that lists them.",
    "json_object": "Answers are kept to your labels: this server takes a reply schema that "
    "lists them.",
    "text": "This model may answer off the list: its provider takes no reply schema, so expect "
    "more misses before tuning (the run counts them as wrong answers).",
}
UNKNOWN_REPLY_WORDS = (
    "The first call finds out whether this server keeps answers to your labels (it is sent a "
    "reply schema that lists them); if it refuses, the model may answer off the list and the "
    "run's log says so. Finding out adds no LM call to the estimate: a refused form is the same "
    "call sent again (at most twice), counted once."
)


def reply_words(model: str, api_base: str | None) -> str:
    """Whether the model's answers to a closed choice are kept to the labels, in words."""
    return REPLY_WORDS.get(schema_form(model, api_base) or "", UNKNOWN_REPLY_WORDS)
