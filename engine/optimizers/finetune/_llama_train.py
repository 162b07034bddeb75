"""Full fine-tuning of a GGUF model on this CPU with llama.cpp's own training API.

llama-cpp-python 0.3.36 binds `llama_opt_init` / `llama_opt_epoch`, but its `llama_opt_params`
lacks the last field of llama.cpp's struct (`optimizer_type`), and ggml's dataset and result
functions are not bound at all; so this module declares both from the shared libraries the
package ships (`libllama`, `libggml-base`), reached through `import_llama_cpp`.

What llama.cpp trains (read in its `llama_context::opt_init`): every F32 weight except the token
embedding (so, for SmolLM2-135M whose output head is tied to that embedding, the attention and
feed-forward matrices and the norms: ~106M of 135M parameters), with AdamW. Only F32 weights
train, so a quantized model is first written out as F32 (`f32_copy`). The loss is next-token
cross-entropy over every position of a window (the API has no mask: prompt tokens count too).

`train` runs one optimizer step per window, so the caller sees each step's loss, can stop
between steps, and bounds the run by steps. The tuned weights are saved as F32 and rewritten as
Q8_0 (the embedded provider's usual format) with the base file's metadata (`_gguf_meta`: the
saver drops the chat template); files appear only when complete. With `blas=True` (the training
process) the steps' matrix products and gradients run on OpenBLAS (`_blas`) when its module is
built, on the CPU backend alone otherwise.
"""

from __future__ import annotations

import ctypes
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from engine.lm.local import import_llama_cpp, quiet_llama, rewrite_gguf
from engine.optimizers.finetune._blas import load_blas
from engine.optimizers.finetune._gguf_meta import with_base_metadata

GGML_TYPE_I32 = 26
OPTIMIZER_ADAMW = 0


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


def _libraries(model_path: Path) -> _Libraries:
    return _Libraries(import_llama_cpp(model_path))


def f32_copy(source: Path, target: Path, *, threads: int = 1) -> Path:
    """Write `source` (any GGUF, quantized or not) as an all-F32 GGUF at `target` (~2-5 s and
    540 MB for SmolLM2-135M)."""
    return rewrite_gguf(source, target, "F32", threads=threads)


def windows(rows: Sequence[Sequence[int]], n_ctx: int) -> list[list[int]]:
    """The token windows one step each trains on: the rows packed end to end (each already
    ends with its end-of-turn token), cut into windows of `n_ctx` + 1 tokens (inputs and the
    next-token labels); the last window is filled from the start of the stream."""
    stream = [token for row in rows for token in row]
    if not stream:
        return []
    span = n_ctx + 1
    while len(stream) < span:
        stream = stream + stream
    out = []
    for start in range(0, len(stream) - 1, n_ctx):
        window = stream[start : start + span]
        if len(window) < span:
            window = window + stream[: span - len(window)]
        out.append(window)
    return out


StepCallback = Callable[[TrainStep], bool | None]


def set_backend_threads(L: ModuleType, ctx: Any, threads: int) -> None:
    """Make the CPU backend compute training graphs on `threads` threads.

    `llama_opt_epoch` evaluates its graphs through ggml's optimizer directly, and only
    llama.cpp's own decode tells the CPU backend the context's thread count; without one decode
    first, training runs on ggml's default of 4 threads whatever the context says, and on a
    2-core machine its spinning barriers wait on descheduled threads (measured: 4 threads busy,
    ~80% of their time in `ggml_barrier`). One token decoded (then forgotten) sets it."""
    token = L.llama_vocab_bos(L.llama_model_get_vocab(L.llama_get_model(ctx)))
    tokens = (L.llama_token * 1)(max(0, token))
    if L.llama_decode(ctx, L.llama_batch_get_one(tokens, 1)) != 0:
        raise OSError("llama.cpp could not run the training context")
    L.llama_memory_clear(L.llama_get_memory(ctx), True)


def train(
    f32_model: Path,
    token_windows: Sequence[Sequence[int]],
    out_path: Path,
    *,
    n_ctx: int,
    steps: int,
    learning_rate: float = 1e-4,
    threads: int = 1,
    blas: bool = False,
    on_step: StepCallback | None = None,
) -> TrainResult:
    """Fine-tune the F32 GGUF `f32_model` for `steps` optimizer steps (one window each, cycling
    through `token_windows`), then save it as Q8_0 at `out_path`. `on_step` sees each step and
    may return False to stop (cancel): then nothing is saved. `blas` loads the BLAS backend
    into this process for good (`_blas.load_blas`): only a process that serves no replies."""
    libs = _libraries(f32_model)
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
    set_backend_threads(L, ctx, threads)
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
        train_started = time.perf_counter()
        for index in range(steps):
            window = token_windows[index % len(token_windows)]
            for i in range(n_ctx):
                data[i] = window[i]
                labels[i] = window[i + 1]
            g.ggml_opt_result_reset(outcome)
            libs.opt_epoch(ctx, dataset, outcome, None, 1, None, None)
            loss, unc = ctypes.c_double(), ctypes.c_double()
            g.ggml_opt_result_loss(outcome, ctypes.byref(loss), ctypes.byref(unc))
            elapsed = time.perf_counter() - train_started
            step = TrainStep(index + 1, steps, loss.value, elapsed, (index + 1) * n_ctx / elapsed)
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
