"""The embedded model's default weights: SmolLM2's shipped Q4_1 file rewritten once as Q8_0.

llama.cpp has no fast CPU kernel for Q4_1 here: on this project's machines (x86-64, AVX-512, 2
threads) the shipped file reads prompts at ~300 tokens/s, and the same weights rewritten as
Q8_0 at ~520 (generation about the same, ~120 tokens/s). Most of an optimizer run's model time
is prompt reading, so Tunesmith's benchmark runs took 38-72% of their Q4_1 time (BENCHMARKS.md).
Q8_0 holds each Q4_1 weight to within half an 8-bit step of its block's largest value: the
same model up to rounding, though rounding changes some greedy replies of a 135M model, so the
shipped file stays reachable as `local/smollm2-135m-q4_1`. (Q4_0 is faster still, but rewriting
4-bit weights on another 4-bit grid wrecks this model's replies.)

The copy is written under `$TUNESMITH_MODELS_DIR` (default `~/.cache/tunesmith/models`; not the
reply cache's folder, so every test or bench run with a fresh reply cache shares one copy),
named after the source file's size and modification time, so a reinstalled package gets a new
one. A file lock keeps two processes from writing it at once, and it appears only when complete.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
from pathlib import Path

from engine.core import LMConfigError, RuntimeBuildError
from engine.lm.local.runtime._runtime import import_llama_cpp

logger = logging.getLogger(__name__)


MODELS_DIR_ENV = "TUNESMITH_MODELS_DIR"


def models_dir() -> Path:
    """`$TUNESMITH_MODELS_DIR`, else `~/.cache/tunesmith/models`."""
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tunesmith" / "models"


def q8_path(source: Path) -> Path:
    """Where the Q8_0 copy of `source` is kept (it may not exist yet)."""
    stat = source.stat()
    return models_dir() / f"{source.stem}.{stat.st_size}-{stat.st_mtime_ns}.Q8_0.gguf"


def requantized_q8(source: Path) -> Path:
    """The Q8_0 copy of the GGUF `source`, written on first use (~0.5 s for SmolLM2-135M)."""
    target = q8_path(source)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not target.is_file():
                _write_q8(source, target)
    except OSError as exc:
        raise LMConfigError(
            f"Could not write the Q8_0 copy of {source.name} to {target.parent} ({exc}); set "
            f"{MODELS_DIR_ENV} to a writable folder"
        ) from exc
    return target


def fast_copy(source: Path) -> Path:
    """`requantized_q8(source)`, or `source` itself (logged) where the copy cannot be written."""
    try:
        return requantized_q8(source)
    except RuntimeBuildError:
        raise  # the runtime cannot run here at all: the shipped weights would not help
    except LMConfigError as exc:
        logger.warning("%s; using the shipped weights as they are", exc)
        return source


def _write_q8(source: Path, target: Path) -> None:
    rewrite_gguf(source, target, "Q8_0")
    logger.info("wrote the Q8_0 copy of %s to %s", source.name, target)


def rewrite_gguf(source: Path, target: Path, ftype: str, *, threads: int = 2) -> Path:
    """Write the GGUF `source` at `target` with its weights as `ftype` ("Q8_0", "F16" or
    "F32"; quantized weights are read back to floats first). The file appears only when
    complete; an OSError says when llama.cpp could not write it."""
    llama_cpp = import_llama_cpp(source)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[ftype](llama_cpp)
    params.allow_requantize = True
    params.nthread = threads
    partial = target.with_name(target.name + f".{os.getpid()}.partial")
    with quiet_llama():
        status = llama_cpp.llama_model_quantize(
            str(source).encode(), str(partial).encode(), ctypes.byref(params)
        )
    if status != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise OSError(f"llama.cpp could not rewrite {source.name} as {ftype} (status {status})")
    os.replace(partial, target)
    return target


FTYPES = {
    "Q8_0": lambda llama_cpp: llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
    "F16": lambda llama_cpp: llama_cpp.LLAMA_FTYPE_MOSTLY_F16,
    "F32": lambda llama_cpp: llama_cpp.LLAMA_FTYPE_ALL_F32,
}


@contextlib.contextmanager
def quiet_llama():
    """llama.cpp logs every tensor it loads or rewrites to stderr; keep that out of the user's
    console."""
    try:
        from llama_cpp._utils import suppress_stdout_stderr
    except ImportError:  # pragma: no cover - older or newer llama-cpp-python
        yield
        return
    with suppress_stdout_stderr(disable=False):
        yield
