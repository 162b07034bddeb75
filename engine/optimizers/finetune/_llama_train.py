"""Full fine-tuning of a GGUF model on this CPU with llama.cpp's own training API
(docs/design/finetune.md). The binding's `llama_opt_params` lacks `optimizer_type` and ggml's
dataset and result functions are not bound, so this module declares them from the package's
shared libraries. Only F32 weights train (a quantized model is first written as F32,
`f32_copy`), with AdamW; the loss counts the positions a `Window` counts (`_LossMask`). `train`
runs one optimizer step per window, so the caller sees each step's loss and can stop between
steps; the tuned weights are saved as Q8_0 with the base file's metadata (`_gguf_meta`), on
OpenBLAS (`_blas`) when `blas=True` and its module is built.
"""

from __future__ import annotations

import ctypes
import math
import os
import random
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from engine.lm.local import import_llama_cpp, quiet_llama, rewrite_gguf
from engine.optimizers.finetune._blas import load_blas
from engine.optimizers.finetune._gguf_meta import with_base_metadata

GGML_TYPE_I32 = 26
OPTIMIZER_ADAMW = 0
LOSS_GRADIENT_OP = b"CROSS_ENTROPY_LOSS_BACK"


class AdamWParams(ctypes.Structure):
    _fields_ = [(name, ctypes.c_float) for name in ("alpha", "beta1", "beta2", "eps", "wd")]


class SGDParams(ctypes.Structure):
    _fields_ = [("alpha", ctypes.c_float), ("wd", ctypes.c_float)]


class OptimizerParams(ctypes.Structure):
    """ggml's `ggml_opt_optimizer_params`."""

    _fields_ = [("adamw", AdamWParams), ("sgd", SGDParams)]


class LlamaOptParams(ctypes.Structure):
    """llama.cpp's `llama_opt_params`, whole (the binding's lacks `optimizer_type`)."""

    _fields_ = [
        ("n_ctx_train", ctypes.c_uint32),
        ("param_filter", ctypes.c_void_p),
        ("param_filter_ud", ctypes.c_void_p),
        ("get_opt_pars", ctypes.c_void_p),
        ("get_opt_pars_ud", ctypes.c_void_p),
        ("optimizer_type", ctypes.c_int),
    ]


@dataclass(frozen=True)
class TrainStep:
    """One optimizer step: its number (from 1), the window's loss, tokens/s so far."""

    step: int
    steps: int
    loss: float
    seconds: float
    tokens_per_second: float


@dataclass
class TrainResult:
    """What a training run did, on which backend, and where the tuned model is."""

    model_path: Path
    backend: str = "CPU"
    steps: list[TrainStep] = field(default_factory=list)
    seconds: float = 0.0
    load_seconds: float = 0.0
    save_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    stopped: bool = False

    @property
    def losses(self) -> list[float]:
        return [s.loss for s in self.steps]


class _Libraries:
    """llama_cpp plus the ggml functions it does not bind, declared once per process."""

    def __init__(self, llama_cpp: ModuleType) -> None:
        self.llama_cpp = llama_cpp
        lib_dir = Path(llama_cpp.__file__).parent / "lib"
        self.llama = llama_cpp.llama_cpp._lib
        self.ggml = ctypes.CDLL(str(_find_lib(lib_dir, "libggml-base")))
        g = self.ggml
        g.ggml_opt_dataset_init.argtypes = [ctypes.c_int] * 2 + [ctypes.c_int64] * 4
        g.ggml_opt_dataset_init.restype = ctypes.c_void_p
        g.ggml_opt_dataset_free.argtypes = [ctypes.c_void_p]
        g.ggml_opt_dataset_data.argtypes = [ctypes.c_void_p]
        g.ggml_opt_dataset_data.restype = ctypes.c_void_p
        g.ggml_opt_dataset_labels.argtypes = [ctypes.c_void_p]
        g.ggml_opt_dataset_labels.restype = ctypes.c_void_p
        g.ggml_get_data.argtypes = [ctypes.c_void_p]
        g.ggml_get_data.restype = ctypes.c_void_p
        g.ggml_op_desc.argtypes = [ctypes.c_void_p]
        g.ggml_op_desc.restype = ctypes.c_char_p
        g.ggml_nelements.argtypes = [ctypes.c_void_p]
        g.ggml_nelements.restype = ctypes.c_int64
        g.ggml_opt_result_init.restype = ctypes.c_void_p
        g.ggml_opt_result_free.argtypes = [ctypes.c_void_p]
        g.ggml_opt_result_reset.argtypes = [ctypes.c_void_p]
        g.ggml_opt_result_loss.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double),
                                           ctypes.POINTER(ctypes.c_double)]  # fmt: skip
        self.opt_init = self.llama.llama_opt_init
        self.opt_init.argtypes = [ctypes.c_void_p, ctypes.c_void_p, LlamaOptParams]
        self.opt_init.restype = None
        self.opt_epoch = self.llama.llama_opt_epoch
        self.opt_epoch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                                   ctypes.c_void_p]  # fmt: skip
        self.opt_epoch.restype = None

    def address(self, lib: ctypes.CDLL, name: str) -> int:
        return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value or 0


def _find_lib(lib_dir: Path, stem: str) -> Path:
    for name in (f"{stem}.so", f"{stem}.dylib", f"{stem}.so.0"):
        if (lib_dir / name).exists():
            return lib_dir / name
    raise FileNotFoundError(f"{stem} is not in {lib_dir}")


def f32_copy(source: Path, target: Path, *, threads: int = 1) -> Path:
    """Write `source` (any GGUF, quantized or not) as an all-F32 GGUF at `target` (~2-5 s and
    540 MB for SmolLM2-135M)."""
    return rewrite_gguf(source, target, "F32", threads=threads)


@dataclass(frozen=True)
class Window:
    """One step's data: `n_ctx` + 1 tokens (the inputs and their next-token labels) and, for
    each of the `n_ctx` labels, whether the loss counts it."""

    tokens: list[int]
    counted: list[bool]

    @property
    def masked(self) -> bool:
        return not all(self.counted)


@dataclass(frozen=True)
class TokenRow:
    """A training row's tokens; the loss counts the predictions of tokens from `counted_from`
    on (the answer and its end-of-turn marker; 0: every token)."""

    tokens: list[int]
    counted_from: int = 0


def windows(rows: Sequence[TokenRow], n_ctx: int, packing: bool = True) -> list[Window]:
    """The windows one step each trains on, `n_ctx` + 1 tokens each. With `packing`, rows whose
    loss counts every token are packed end to end (each already ends with its end-of-turn
    token) and cut into windows, the last filled from the start of the stream; rows whose loss
    counts their answers only are packed whole, as many as fit, the rest of a window padded and
    uncounted: so an answer is learnt from its whole prompt, and position 0 (which always
    counts) is a row's first token. Without `packing` every row has a window of its own (the
    rest padded): llama.cpp trains a window as one sequence, so rows packed together read each
    other's answers. A row longer than a window goes on in the next."""
    if not rows:
        return []
    if not packing:
        return [window for row in rows for window in _whole_rows([row], n_ctx)]
    if all(row.counted_from == 0 for row in rows):
        return _stream_windows(rows, n_ctx)
    return _whole_rows(rows, n_ctx)


def row_window(rows: Sequence[TokenRow], n_ctx: int) -> int:
    """The window a row trained alone needs: the smallest multiple of 256 that holds the
    longest of `rows`, at most `n_ctx` (a longer row goes on in a second window)."""
    longest = max((len(row.tokens) for row in rows), default=1)
    return min(n_ctx, max(256, math.ceil((longest - 1) / 256) * 256))


def _whole_rows(rows: Sequence[TokenRow], n_ctx: int) -> list[Window]:
    span, out = n_ctx + 1, []
    tokens: list[int] = []
    counts: list[bool] = []
    for row in rows:
        if tokens and len(tokens) + len(row.tokens) > span:
            out.append(_padded(tokens, counts, span))
            tokens, counts = [], []
        tokens += row.tokens
        counts += [i >= row.counted_from for i in range(len(row.tokens))]
        while len(tokens) > span:
            out.append(Window(tokens[:span], counts[1:span]))
            tokens, counts = tokens[n_ctx:], counts[n_ctx:]
    if tokens:
        out.append(_padded(tokens, counts, span))
    return out


def epoch_windows(
    rows: Sequence[TokenRow], n_ctx: int, epochs: int, seed: int | None = None,
    packing: bool = True,
) -> list[Window]:
    """The windows of `epochs` passes over `rows` (`windows`): every pass in the rows' order,
    or, given a `seed`, each pass in an order of its own drawn from it (as Hugging Face's
    trainer shuffles every epoch)."""
    if seed is None:
        return windows(rows, n_ctx, packing) * max(1, epochs)
    out: list[Window] = []
    for epoch in range(max(1, epochs)):
        order = list(rows)
        random.Random(seed * 1_000_003 + epoch).shuffle(order)
        out += windows(order, n_ctx, packing)
    return out


def _padded(tokens: list[int], counts: list[bool], span: int) -> Window:
    pad = span - len(tokens)
    return Window(tokens + [tokens[-1]] * pad, (counts + [False] * pad)[1:])


def _stream_windows(rows: Sequence[TokenRow], n_ctx: int) -> list[Window]:
    stream = [token for row in rows for token in row.tokens]
    span = n_ctx + 1
    while len(stream) < span:
        stream = stream + stream
    out = []
    for start in range(0, len(stream) - 1, n_ctx):
        tokens = stream[start : start + span]
        if len(tokens) < span:
            tokens = tokens + stream[: span - len(tokens)]
        out.append(Window(tokens, [True] * n_ctx))
    return out


class _LossMask:
    """Leaves a window's uncounted positions out of the loss and its gradient.

    llama.cpp's `opt_epoch_iter` writes a 1.0 at every position's label into a zeroed one-hot
    label tensor, so every position has a target, and ggml's cross-entropy gradient is
    softmax - labels, so even an all-zero row would pull on the weights. Two things make the
    mask. The labels: an uncounted position p > 0 gets the label `labels[0] - p * n_vocab`,
    whose 1.0 lands on position 0's own target cell (already 1.0), so its row stays zero and
    adds nothing to the loss. The gradient: ggml's scheduler calls this object after each node
    it asks about (`cb_eval`, the context's eval callback); it asks for the loss gradient
    (`CROSS_ENTROPY_LOSS_BACK`) and zeroes the uncounted rows before the backward pass goes
    on. Position 0 always counts (its label is real). The reported loss is per counted
    position."""

    def __init__(self, libs: _Libraries, n_ctx: int, n_vocab: int) -> None:
        self.ggml, self.n_ctx, self.n_vocab = libs.ggml, n_ctx, n_vocab
        self.uncounted: np.ndarray | None = None
        self.applied = 0
        self.error: BaseException | None = None
        self.callback = libs.llama_cpp.ggml_backend_sched_eval_callback(self._on_node)

    def prepare(self, window: Window) -> list[int]:
        """The label ids for `window` (uncounted positions pointed at position 0's cell); the
        rows the gradient loses are kept for the callback."""
        counted = [True, *window.counted[1:]]  # position 0 always counts
        skip = np.logical_not(counted)
        self.uncounted = skip if skip.any() else None
        self.applied = 0
        tokens, first = window.tokens, window.tokens[1]
        return [tokens[i + 1] if keep else first - i * self.n_vocab
                for i, keep in enumerate(counted)]  # fmt: skip

    def counted(self) -> int:
        return self.n_ctx if self.uncounted is None else int(self.n_ctx - self.uncounted.sum())

    def _on_node(self, tensor: int, ask: bool, _user_data: int) -> bool:
        try:
            if ask:
                return self.uncounted is not None and self.ggml.ggml_op_desc(tensor) == (
                    LOSS_GRADIENT_OP
                )
            if self.ggml.ggml_nelements(tensor) != self.n_ctx * self.n_vocab:
                raise RuntimeError("the loss gradient is not one row per position")
            data = ctypes.cast(self.ggml.ggml_get_data(tensor), ctypes.POINTER(ctypes.c_float))
            np.ctypeslib.as_array(data, shape=(self.n_ctx, self.n_vocab))[self.uncounted] = 0.0
            self.applied += 1
            return True
        except BaseException as exc:  # noqa: BLE001 - a C callback cannot raise; train() does
            self.error = exc
            return False


StepCallback = Callable[[TrainStep], bool | None]


def settle_training_context(L: ModuleType, ctx: Any, n_ctx: int) -> None:
    """Make the CPU backend compute training graphs on the context's thread count, and hand
    the scheduler the context's eval callback (`_LossMask`): only llama.cpp's own decode does
    either (docs/design/finetune.md), so after `llama_opt_init` one window of `n_ctx` tokens is
    decoded and forgotten."""
    token = max(0, L.llama_vocab_bos(L.llama_model_get_vocab(L.llama_get_model(ctx))))
    tokens = (L.llama_token * n_ctx)(*([token] * n_ctx))
    if L.llama_decode(ctx, L.llama_batch_get_one(tokens, n_ctx)) != 0:
        raise OSError("llama.cpp could not run the training context")
    L.llama_memory_clear(L.llama_get_memory(ctx), True)


def _check_mask(mask: _LossMask) -> None:
    if mask.error is not None:
        raise RuntimeError(f"the loss mask failed: {mask.error}") from mask.error
    if mask.uncounted is not None and mask.applied != 1:
        raise RuntimeError(
            f"the loss mask reached the loss gradient {mask.applied} times in a step (once "
            "expected): this llama.cpp builds its training graph differently"
        )


SCHEDULES = ("constant", "linear", "cosine")


def step_rate(learning_rate: float, step: int, steps: int, schedule: str = "constant",
              warmup_ratio: float = 0.0) -> float:
    """The learning rate of step `step` (0-based) of `steps`, as Hugging Face's schedulers of
    these names give it: a linear warm-up over the first `warmup_ratio` of the steps, then
    constant, or down to 0 at the end linearly or along half a cosine."""
    warmup = math.ceil(warmup_ratio * steps)
    if step < warmup:
        return learning_rate * (step + 1) / (warmup + 1)
    if schedule == "constant":
        return learning_rate
    done = (step - warmup) / max(1, steps - warmup)
    if schedule == "linear":
        return learning_rate * (1 - done)
    return learning_rate * 0.5 * (1 + math.cos(math.pi * done))


def train(
    f32_model: Path,
    token_windows: Sequence[Window],
    out_path: Path,
    *,
    n_ctx: int,
    steps: int,
    learning_rate: float = 1e-4,
    schedule: str = "constant",
    warmup_ratio: float = 0.0,
    threads: int = 1,
    blas: bool = False,
    on_step: StepCallback | None = None,
) -> TrainResult:
    """Fine-tune the F32 GGUF `f32_model` for `steps` optimizer steps (one window each, cycling
    through `token_windows`) at the rate `step_rate` gives each, then save it as Q8_0 at
    `out_path`. `on_step` sees each step and
    may return False to stop (cancel): then nothing is saved. A window that leaves positions
    out of the loss is trained through `_LossMask`. `blas` loads the BLAS backend into this
    process for good (`_blas.load_blas`): only a process that serves no replies."""
    libs = _Libraries(import_llama_cpp(f32_model))
    L = libs.llama_cpp
    backend = load_blas(threads).detail if blas else "CPU"
    started = time.perf_counter()
    model_params = L.llama_model_default_params()
    model_params.load_mode = 0  # LLAMA_LOAD_MODE_NONE: weights in writable memory, not mmap
    with quiet_llama():
        model = L.llama_model_load_from_file(str(f32_model).encode(), model_params)
    if not model:
        raise OSError(f"llama.cpp could not load {f32_model}")
    ctx_params = L.llama_context_default_params()
    ctx_params.n_ctx = ctx_params.n_batch = ctx_params.n_ubatch = n_ctx
    ctx_params.n_threads = ctx_params.n_threads_batch = threads
    ctx_params.type_k = ctx_params.type_v = 0  # F32: OUT_PROD has no F16 backward
    mask = _LossMask(libs, n_ctx, L.llama_vocab_n_tokens(L.llama_model_get_vocab(model)))
    if any(window.masked for window in token_windows):
        ctx_params.cb_eval = mask.callback
    with quiet_llama():
        ctx = L.llama_init_from_model(model, ctx_params)
    if not ctx:
        L.llama_model_free(model)
        raise OSError("llama.cpp could not make a training context")
    if L.llama_n_ctx(ctx) != n_ctx:  # llama.cpp rounds a context up to a multiple of 256
        actual = L.llama_n_ctx(ctx)
        L.llama_free(ctx)
        L.llama_model_free(model)
        raise ValueError(f"n_ctx must be a multiple of 256 (llama.cpp made {actual} of {n_ctx})")
    result = TrainResult(out_path, backend, load_seconds=time.perf_counter() - started)
    opt = OptimizerParams(AdamWParams(learning_rate, 0.9, 0.999, 1e-8, 0.0), SGDParams(0.0, 0.0))
    lopt = LlamaOptParams(
        n_ctx_train=0,
        param_filter=libs.address(libs.llama, "llama_opt_param_filter_all"),
        param_filter_ud=None,
        get_opt_pars=libs.address(libs.ggml, "ggml_opt_get_constant_optimizer_params"),
        get_opt_pars_ud=ctypes.cast(ctypes.pointer(opt), ctypes.c_void_p).value,
        optimizer_type=OPTIMIZER_ADAMW,
    )
    g = libs.ggml
    dataset = g.ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, n_ctx, n_ctx, 1, 1)
    outcome = g.ggml_opt_result_init()
    data = ctypes.cast(g.ggml_get_data(g.ggml_opt_dataset_data(dataset)),
                       ctypes.POINTER(ctypes.c_int32))  # fmt: skip
    labels = ctypes.cast(g.ggml_get_data(g.ggml_opt_dataset_labels(dataset)),
                         ctypes.POINTER(ctypes.c_int32))  # fmt: skip
    try:
        with quiet_llama():
            libs.opt_init(ctx, model, lopt)
        settle_training_context(L, ctx, n_ctx)
        train_started = time.perf_counter()
        for index in range(steps):
            window = token_windows[index % len(token_windows)]
            opt.adamw.alpha = step_rate(learning_rate, index, steps, schedule, warmup_ratio)
            for i, label in enumerate(mask.prepare(window)):
                data[i] = window.tokens[i]
                labels[i] = label
            g.ggml_opt_result_reset(outcome)
            libs.opt_epoch(ctx, dataset, outcome, None, 1, None, None)
            _check_mask(mask)
            loss, unc = ctypes.c_double(), ctypes.c_double()
            g.ggml_opt_result_loss(outcome, ctypes.byref(loss), ctypes.byref(unc))
            per_position = loss.value * n_ctx / mask.counted()  # ggml's mean runs over n_ctx
            elapsed = time.perf_counter() - train_started
            step = TrainStep(index + 1, steps, per_position, elapsed, (index + 1) * n_ctx / elapsed)
            result.steps.append(step)
            if on_step is not None and on_step(step) is False:
                result.stopped = True
                break
        result.seconds = time.perf_counter() - train_started
        if result.stopped:  # a cancelled job leaves no file a later identical job would reuse
            return result
        saved = time.perf_counter()
        tuned_f32 = out_path.with_name(out_path.name + f".{os.getpid()}.f32.partial")
        merged = out_path.with_name(out_path.name + f".{os.getpid()}.f32meta.partial")
        L.llama_model_save_to_file(model, str(tuned_f32).encode())
        try:
            with_base_metadata(tuned_f32, f32_model, merged)
            rewrite_gguf(merged, out_path, "Q8_0", threads=threads)
        finally:
            tuned_f32.unlink(missing_ok=True)
            merged.unlink(missing_ok=True)
        result.save_seconds = time.perf_counter() - saved
    finally:
        g.ggml_opt_result_free(outcome)
        g.ggml_opt_dataset_free(dataset)
        L.llama_free(ctx)
        L.llama_model_free(model)
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result
