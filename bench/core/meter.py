"""The few-shot bench's model meter and phase records: calls, tokens, prompt tokens evaluated.

Imported by bench/fewshot/__main__.py after
`bench.core.common.isolate_caches()`; import it the same way elsewhere.
"""

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.core.data import MODEL
from bench.core.parsing import ParseCounts, counts_from
from engine.lm.local import load_local_model
from engine.lm.local._prefixes import common_prefix_length


# -- the model meter -------------------------------------------------------------------------
@dataclass
class MeterReading:
    """What the model did: calls, tokens as reported, prompt tokens really evaluated, seconds."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    evaluated_prompt_tokens: int = 0
    model_seconds: float = 0.0

    def __sub__(self, other: "MeterReading") -> "MeterReading":
        return MeterReading(*(a - b for a, b in zip(astuple(self), astuple(other))))


def astuple(reading: MeterReading) -> tuple:
    return tuple(asdict(reading).values())


class ModelMeter:
    """Wraps the loaded model's `chat`, which every call of either framework goes through
    (calls, tokens as reported), and its `generate` (called under the lock, drafted or not),
    where prompt tokens are evaluated and the model's seconds are spent. A chat call may run
    `generate` more than once: a later output continued from its header
    (`engine.lm.local._sections`) is a pass of the same call, not another call."""

    def __init__(self) -> None:
        self.total = MeterReading()
        self._lock = threading.Lock()

    def install(self) -> None:
        model = load_local_model(MODEL)
        llama = model.llama
        original = model.generate
        original_chat = model.chat

        def metered_chat(*args: Any, **kwargs: Any) -> Any:
            out = original_chat(*args, **kwargs)
            with self._lock:
                self.total.calls += 1
                self.total.prompt_tokens += int(out.get("prompt_tokens", 0))
                self.total.completion_tokens += int(out.get("completion_tokens", 0))
            return out

        def metered(*args: Any, **kwargs: Any) -> Any:
            had_state = llama.n_tokens > 0
            before = llama._input_ids.copy()  # what llama.cpp compares the new prompt against
            restored_before = restored_tokens(model)
            start = time.perf_counter()
            out = original(*args, **kwargs)
            seconds = time.perf_counter() - start
            prompt = int(out.get("prompt_tokens", 0))
            try:
                reused = common_prefix(before, llama._input_ids, prompt) if had_state else 0
            except Exception:  # noqa: BLE001 - the meter must never fail a call
                reused = 0
            # A saved prefix copied back (engine.lm.local._prefixes) was not evaluated either,
            # as far as it matches this prompt (the rest of it was cut and read again).
            if restored_tokens(model) > restored_before:
                reused = max(reused, restored_match(model, llama._input_ids[:prompt]))
            with self._lock:
                t = self.total
                t.evaluated_prompt_tokens += prompt - reused
                t.model_seconds += seconds
            return out

        model.generate = metered  # type: ignore[method-assign]
        model.chat = metered_chat  # type: ignore[method-assign]

    def read(self) -> MeterReading:
        with self._lock:
            return MeterReading(*astuple(self.total))


def restored_tokens(model: Any) -> int:
    """Tokens the model's saved prefixes have copied back so far."""
    return model.prefixes.stats.restored_tokens if model.prefixes else 0


def restored_match(model: Any, prompt: Any) -> int:
    """The prompt tokens a restored saved prefix held: the longest match among the saved
    prefixes (the one restored is the best match), one token short of a full match."""
    best = max((common_prefix_length(s.tokens, prompt) for s in model.prefixes.saved), default=0)
    return min(best, len(prompt) - 1)


def common_prefix(before: Any, after: Any, prompt: int) -> int:
    """Prompt tokens llama.cpp reused: the common prefix of the old and new token arrays
    (the new prompt sits at the start of `after`), minus the one token it replays when the
    whole prompt matched."""
    n = min(prompt, len(before), len(after))
    match = common_prefix_length(before[:n], after[:n])
    return match - 1 if match == prompt and prompt > 0 else match


# -- one framework's run ---------------------------------------------------------------------
@dataclass
class Phase:
    """Wall time, framework-reported calls/tokens and the model meter for one phase."""

    wall: float = 0.0
    calls: int = 0
    tokens: int = 0
    meter: MeterReading = field(default_factory=MeterReading)
    load: tuple[float, float] = (0.0, 0.0)  # 1-min load average at start and end (other processes)
    parse: dict[str, ParseCounts] = field(default_factory=dict)  # DSPy's replies, by LM role


def phase_from(d: dict[str, Any]) -> Phase:
    """A Phase back from its saved dict (runs saved before `parse` existed have none)."""
    return Phase(
        d["wall"], d["calls"], d["tokens"], MeterReading(**d["meter"]), tuple(d["load"]),
        counts_from(d.get("parse")),
    )  # fmt: skip


@dataclass
class Outcome:
    framework: str
    optimizer: str
    accuracy: float  # held-out, percent
    compile: Phase
    evaluate: Phase
    demos: int
    notes: str = ""
    peer: str = ""  # DSPy's configuration (bench/core/peer.py); "" for Tunesmith
    rows: list[list[float]] = field(default_factory=list)  # held-out [parsed, score] per row
