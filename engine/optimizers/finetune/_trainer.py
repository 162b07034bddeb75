"""Who fine-tunes a model: the `Trainer` protocol BootstrapFinetune hands its rows to, and
`LlamaTrainer`, which fine-tunes the embedded `local/...` models with llama.cpp's own training
API (`_llama_train`) and returns the tuned model's `local/<path>.gguf` name.

Every `train_kwargs` key is honoured or refused with a message, before any LM call.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from engine.core import FinetuneUnavailable, LMConfigError
from engine.lm.local import (
    PROVIDER,
    chat_formatter,
    import_llama_cpp,
    local_model_path,
    local_runtime_available,
    models_dir,
    quiet_llama,
    render_prompt,
    text_tokens,
)
from engine.optimizers.finetune._gguf_meta import read_metadata, tensor_types
from engine.optimizers.finetune._llama_train import (
    SCHEDULES,
    TokenRow,
    TrainStep,
    Window,
    epoch_windows,
    f32_copy,
    row_window,
    train,
)
from engine.optimizers.finetune._process import clear_partials, run_training

Messages = list[dict[str, str]]
ProgressCallback = Callable[[TrainStep], bool | None]

# The llama.cpp trainer's settings: key -> (default, what it is). llama.cpp makes its context a
# multiple of 256 tokens, so the window is too. The defaults are the recipe measured on the
# tickets, reviews and banking77 (docs/design/finetune.md, "A row a window"): each row alone,
# 8 passes at a low rate (a step is one row: a higher rate swings to each row's label).
LLAMA_KWARGS: dict[str, tuple[Any, str]] = {
    "num_train_epochs": (8, "passes over the training windows"),
    "learning_rate": (3e-5, "AdamW's step size"),
    "max_steps": (None, "a cap on optimizer steps (one window each)"),
    "n_ctx": (512, "tokens per training window (a multiple of 256)"),
    "num_threads": (1, "CPU threads"),
    "use_peft": (False, "LoRA adapter instead of full weights"),
    "per_device_train_batch_size": (1, "windows per optimizer step"),
    "loss_on": ("answer", "the tokens the loss counts: 'answer' (the reply) or 'all' (prompt too)"),
    "seed": (None, "shuffles the rows anew every epoch (None: every epoch in the rows' order)"),
    "packing": (False, "several rows to a window (True), or each row alone in a window of its "
                "own (False: packed rows read each other's answers)"),
    "lr_scheduler_type": ("constant", "the rate over the steps: 'constant', 'linear' or 'cosine'"),
    "warmup_ratio": (0.0, "the share of the steps the rate warms up over"),
}
LOSS_ON = ("answer", "all")


def setting(train_kwargs: Mapping[str, Any], key: str) -> Any:
    """`train_kwargs[key]`, else the llama.cpp trainer's default for it (`LLAMA_KWARGS`)."""
    return train_kwargs.get(key, LLAMA_KWARGS[key][0])


def packs_rows(train_kwargs: Mapping[str, Any]) -> bool:
    """Whether several rows share a training window (`packing`, default False)."""
    return bool(setting(train_kwargs, "packing"))


def answer_loss(train_kwargs: Mapping[str, Any]) -> bool:
    """Whether the loss counts the answers' tokens only (`loss_on`, default "answer"), so the
    rows are packed whole (`windows`)."""
    return setting(train_kwargs, "loss_on") == "answer"


class Trainer(Protocol):
    """Fine-tunes a model on chat rows. `problems` lists what it refuses before any call (one
    sentence each); `count_tokens` sizes a chat as training reads it; `context_length` is the
    longest row it trains on whole; `train` returns the tuned model's name, reporting each step
    to `on_step` (False: stop) and stopping when `should_stop()` says so (TrainingCancelled);
    `disk_bytes` is the disk a job on `model` needs at its peak."""

    def problems(self, model: str, train_kwargs: Mapping[str, Any]) -> list[str]: ...

    def count_tokens(self, model: str, messages: Messages) -> int: ...

    def context_length(self, train_kwargs: Mapping[str, Any]) -> int: ...

    def train(
        self,
        model: str,
        rows: Sequence[Messages],
        train_kwargs: Mapping[str, Any],
        on_step: ProgressCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> str: ...

    def disk_bytes(self, model: str) -> int: ...


@dataclass(frozen=True)
class TrainingPlan:
    """How many optimizer steps a run takes: windows per epoch times epochs, capped; and the
    tokens a window holds."""

    tokens: int
    windows: int
    epochs: int
    steps: int
    window: int


def plan_steps(
    tokens: int, n_ctx: int, epochs: int, max_steps: int | None, rows: int | None = None,
    packing: bool = True,
) -> TrainingPlan:
    """The steps of a run over `tokens` training tokens packed into windows of `n_ctx`: end to
    end, or, given the number of `rows`, whole rows to a window (the answer-only loss's packing,
    `windows`), as many of the average row as fit; without `packing`, a window per row of the
    average row's size (`row_window`)."""
    per_epoch, window = max(1, math.ceil(tokens / n_ctx)), n_ctx
    if rows and not packing:
        average = math.ceil(tokens / rows)
        window = row_window([TokenRow([0] * average)], n_ctx)
        per_epoch = rows * math.ceil(average / (window + 1))
    elif rows:
        per_window = max(1, (n_ctx + 1) // max(1, math.ceil(tokens / rows)))
        per_epoch = max(per_epoch, math.ceil(rows / per_window))
    steps = capped_steps(per_epoch, epochs, max_steps)
    return TrainingPlan(tokens, per_epoch, max(1, epochs), steps, window)


def capped_steps(windows_per_epoch: int, epochs: int, max_steps: int | None) -> int:
    """Optimizer steps: one per window, each epoch, at most `max_steps` (None: no cap)."""
    steps = windows_per_epoch * max(1, epochs)
    return steps if max_steps is None else min(steps, max_steps)


# ggml weight types the trainer reads back to F32 (llama.cpp's dequantizers; the shipped Q4_1
# and its Q8_0 copy measured): F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, the K-quants, BF16.
DEQUANTIZABLE = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 30: "BF16",
}  # fmt: skip
TRAINED_ARCHITECTURES = ("llama",)  # SmolLM2's; llama.cpp's training graph is tested on it


def gguf_problems(model: str, path: Path) -> list[str]:
    """Why the GGUF file behind `model` cannot be fine-tuned here (read from its header)."""
    try:
        metadata = read_metadata(path)
        types = tensor_types(path)
    except OSError as exc:
        return [f"The model {model!r} cannot be fine-tuned here: {path} is not a readable GGUF "
                f"file ({exc})."]  # fmt: skip
    if metadata.get("general.type") == "adapter":
        return [f"The model {model!r} is a LoRA adapter, not a model: fine-tune its base model."]
    out = []
    architecture = metadata.get("general.architecture")
    if architecture not in TRAINED_ARCHITECTURES:
        out.append(
            f"The model {model!r} cannot be fine-tuned here: its architecture is "
            f"{architecture!r}, and the embedded trainer is proven on "
            f"{', '.join(TRAINED_ARCHITECTURES)} models only (SmolLM2)."
        )
    unknown = sorted(f"type {t}" for t in types if t not in DEQUANTIZABLE)
    if unknown:
        out.append(
            f"The model {model!r} cannot be fine-tuned here: its weights are stored in a "
            f"quantized format the trainer cannot turn back into floats ({', '.join(unknown)}); "
            f"it reads {', '.join(DEQUANTIZABLE.values())}. Use a copy of the model in one of "
            "those."
        )
    return out


def llama_kwargs_problems(train_kwargs: Mapping[str, Any]) -> list[str]:
    """Why the llama.cpp trainer cannot take `train_kwargs` (empty: it can)."""
    out = []
    for key in sorted(set(train_kwargs) - set(LLAMA_KWARGS)):
        known = ", ".join(LLAMA_KWARGS)
        out.append(f"train_kwargs[{key!r}] is not a setting of the embedded trainer ({known}).")
    if train_kwargs.get("use_peft"):
        out.append(
            "train_kwargs['use_peft']=True asks for a LoRA adapter: llama.cpp loads LoRA "
            "adapters but its training API trains full weights only; leave use_peft out (the "
            "135M model is tuned whole) or set it to False."
        )
    batch = train_kwargs.get("per_device_train_batch_size", 1)
    if batch != 1:
        out.append(
            f"train_kwargs['per_device_train_batch_size']={batch!r}: the embedded trainer "
            "takes one window of n_ctx tokens per step; raise n_ctx to train on more tokens "
            "per step, or set it to 1."
        )
    n_ctx = setting(train_kwargs, "n_ctx")
    if not isinstance(n_ctx, int) or n_ctx <= 0 or n_ctx % 256:
        out.append(f"train_kwargs['n_ctx']={n_ctx!r} must be a positive multiple of 256.")
    for key in ("num_train_epochs", "num_threads"):
        value = train_kwargs.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            out.append(f"train_kwargs[{key!r}]={value!r} must be a whole number, 1 or more.")
    if not isinstance(train_kwargs.get("packing", False), bool):
        out.append(f"train_kwargs['packing']={train_kwargs['packing']!r} must be True or False.")
    seed = train_kwargs.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        out.append(f"train_kwargs['seed']={seed!r} must be a whole number or None.")
    steps = train_kwargs.get("max_steps")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        out.append(f"train_kwargs['max_steps']={steps!r} must be a whole number, 1 or more.")
    loss_on = setting(train_kwargs, "loss_on")
    if loss_on not in LOSS_ON:
        out.append(f"train_kwargs['loss_on']={loss_on!r} must be one of "
                   f"{', '.join(map(repr, LOSS_ON))}.")  # fmt: skip
    schedule = setting(train_kwargs, "lr_scheduler_type")
    if schedule not in SCHEDULES:
        out.append(f"train_kwargs['lr_scheduler_type']={schedule!r} must be one of "
                   f"{', '.join(map(repr, SCHEDULES))}.")  # fmt: skip
    warmup = setting(train_kwargs, "warmup_ratio")
    if not isinstance(warmup, int | float) or isinstance(warmup, bool) or not 0 <= warmup < 1:
        out.append(f"train_kwargs['warmup_ratio']={warmup!r} must be a number from 0 to below 1.")
    rate = setting(train_kwargs, "learning_rate")
    if not isinstance(rate, int | float) or not 0 < rate < 1:
        out.append(f"train_kwargs['learning_rate']={rate!r} must be a number between 0 and 1.")
    return out


class LlamaTrainer:
    """Fine-tunes `local/...` models (GGUF files) on this CPU, full weights, with llama.cpp.
    The tuned model is written under `folder` (default: the models folder's `finetuned/`; a
    run's worker passes the run's folder), named after the base model, the rows and the
    settings, so the same job reuses its file. Training runs in its own process
    (`_process.run_training`); the base's F32 copy is kept in the models folder's `finetuned/`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._vocab: dict[Path, Any] = {}

    def problems(self, model: str, train_kwargs: Mapping[str, Any]) -> list[str]:
        out = []
        if not model.startswith(PROVIDER + "/"):
            out.append(
                f"The model {model!r} cannot be fine-tuned here: the embedded trainer tunes "
                f"the built-in model ({PROVIDER}/smollm2-135m) or a {PROVIDER}/<file>.gguf, and "
                "a hosted model is tuned only through an OpenAI-compatible fine-tuning API "
                "(openai/<model>), which this one's provider does not offer."
            )
        elif not local_runtime_available():
            out.append(f"Fine-tuning {model!r} needs llama-cpp-python, which is not installed.")
        else:
            try:
                out += gguf_problems(model, local_model_path(model))
            except LMConfigError as exc:
                out.append(str(exc))
        return out + llama_kwargs_problems(train_kwargs)

    def context_length(self, train_kwargs: Mapping[str, Any]) -> int:
        return int(setting(train_kwargs, "n_ctx"))

    def count_tokens(self, model: str, messages: Messages) -> int:
        return len(self.tokens(model, messages).tokens)

    def tokens(self, model: str, messages: Messages, answer_only: bool = True) -> TokenRow:
        """The tokens a chat ending with the assistant's answer is trained as: the prompt as
        the embedded model renders it for the call, the answer, the end-of-turn marker; the
        loss counts the answer and the marker (`answer_only`) or every token."""
        llama, formatter = self._tokenizer(model)
        if messages[-1]["role"] != "assistant":
            raise ValueError("a training row ends with the assistant's answer")
        prompt = render_prompt(llama, formatter, messages[:-1])
        answer = text_tokens(llama, messages[-1]["content"])
        end = llama.tokenize((prompt.stops[0] if prompt.stops else "").encode(), add_bos=False,
                             special=True)  # fmt: skip
        counted_from = len(prompt.tokens) if answer_only else 0
        return TokenRow([*prompt.tokens, *answer, *end], counted_from)

    def _tokenizer(self, model: str) -> tuple[Any, Any]:
        path = local_model_path(model)
        if path not in self._vocab:
            llama_cpp = import_llama_cpp(path)
            with quiet_llama():
                llama = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
            formatter = chat_formatter(llama)
            if formatter is None:
                raise FinetuneUnavailable(
                    f"{model}: its chat format is not one the trainer can render"
                )
            self._vocab[path] = (llama, formatter)
        return self._vocab[path]

    def train(
        self,
        model: str,
        rows: Sequence[Messages],
        train_kwargs: Mapping[str, Any],
        on_step: ProgressCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        problems = self.problems(model, train_kwargs)
        if problems:
            raise FinetuneUnavailable(" ".join(problems))
        base = local_model_path(model)
        n_ctx = self.context_length(train_kwargs)
        token_rows = [self.tokens(model, row, answer_loss(train_kwargs)) for row in rows]
        packing = packs_rows(train_kwargs)
        if not packing:  # a row alone needs no more than its own length
            n_ctx = row_window(token_rows, n_ctx)
        epochs = int(setting(train_kwargs, "num_train_epochs"))
        token_windows = epoch_windows(token_rows, n_ctx, epochs, train_kwargs.get("seed"), packing)
        steps = capped_steps(len(token_windows), 1, train_kwargs.get("max_steps"))
        folder = self.folder or models_dir() / "finetuned"
        out = folder / f"{base.stem}.ft-{job_key(base, token_windows, train_kwargs)}.Q8_0.gguf"
        if not out.is_file():  # a finished job's file is complete (it appears only then)
            job_kwargs = {
                "base": base, "f32": models_dir() / "finetuned" / f"{base.stem}.F32.gguf",
                "token_windows": token_windows, "n_ctx": n_ctx, "steps": steps,
                "learning_rate": float(setting(train_kwargs, "learning_rate")),
                "schedule": setting(train_kwargs, "lr_scheduler_type"),
                "warmup_ratio": float(setting(train_kwargs, "warmup_ratio")),
                "threads": int(setting(train_kwargs, "num_threads")),
            }  # fmt: skip
            run_training(llama_job, job_kwargs, out, on_step=on_step, should_stop=should_stop)
        return f"{PROVIDER}/{out}"

    def disk_bytes(self, model: str) -> int:
        """Disk a job needs at its peak: the F32 copy of the base, the tuned F32 weights and
        their copy with the base's metadata while saving, and the tuned Q8_0 file."""
        return 3 * f32_bytes(local_model_path(model)) + local_model_path(model).stat().st_size


def llama_job(
    partial: Path,
    report: Callable[[TrainStep], None],
    *,
    base: Path,
    f32: Path,
    token_windows: list[Window],
    n_ctx: int,
    steps: int,
    learning_rate: float,
    schedule: str,
    warmup_ratio: float,
    threads: int,
) -> None:
    """The training process's work (`_process.run_training`): the base's F32 copy (kept
    in the models folder for the next job), the steps (on BLAS when built), the tuned Q8_0
    file at `partial`."""
    f32.parent.mkdir(parents=True, exist_ok=True)
    clear_partials(f32.parent)  # an F32 copy a killed job left half-written
    if not f32.is_file():
        f32_copy(base, f32, threads=threads)
    train(f32, token_windows, partial, n_ctx=n_ctx, steps=steps, learning_rate=learning_rate,
          schedule=schedule, warmup_ratio=warmup_ratio, threads=threads, blas=True,
          on_step=report)  # fmt: skip


def f32_bytes(path: Path) -> int:
    """About how large `path`'s weights are as F32: 4 bytes per parameter, the parameters
    counted from the file's size and its weights' bits (F32 32, F16 16, Q8_0 8.5, Q4_1 5)."""
    bits = {"f32": 32.0, "f16": 16.0, "q8_0": 8.5, "q4_1": 5.0, "q4_0": 4.5}
    name = path.name.lower()
    per = next((b for key, b in bits.items() if f".{key}." in name), 8.5)
    return int(path.stat().st_size * 32 / per)


def job_key(base: Path, token_windows: Sequence[Window], train_kwargs: Mapping[str, Any]) -> str:
    """Names one training job: the base file, the windows its steps train on in their order
    (the tokens and what the loss counts of them), and the settings."""
    digest = hashlib.sha256(str(base.resolve()).encode())
    digest.update(json.dumps([[w.tokens, w.counted] for w in token_windows]).encode())
    digest.update(json.dumps(dict(train_kwargs), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]
