"""llama.cpp's BLAS backend, for the training process only (docs/design/finetune.md, "Speed").
The installed llama-cpp-python is built without it; `make setup` builds the BLAS backend alone,
as a module ggml loads at run time, into `~/.cache/tunesmith/ggml-blas/<key>/libggml-blas.so`,
the key naming the installed `libggml-base` (`module_path`). `load_blas` registers it with the
process's ggml, so only the training child calls it, never a process that serves replies.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from engine.lm.local import cpu_flags, library_dir

MODULE = "libggml-blas.so"
BASE_LIBRARY = "libggml-base.so.0"  # the soname libllama links, so the one the process runs
REGISTRY_LIBRARY = "libggml.so.0"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlasStatus:
    """Whether training runs on the BLAS backend, and what (or why not) in words."""

    loaded: bool
    detail: str


_status: BlasStatus | None = None  # a module registers once per process


def blas_root() -> Path:
    return Path.home() / ".cache" / "tunesmith" / "ggml-blas"


def module_path(lib_dir: Path, root: Path | None = None) -> Path:
    """Where `make setup` puts the module built for the `libggml-base` in `lib_dir`: under the
    first 16 hex digits of that file's SHA-256 (the Makefile's `llama-blas` computes the same)."""
    digest = hashlib.sha256((lib_dir / BASE_LIBRARY).read_bytes()).hexdigest()[:16]
    return (root or blas_root()) / digest / MODULE


def built_module(root: Path | None = None) -> Path | str:
    """The BLAS module `make setup` built for the installed llama-cpp-python, or why there is
    none (looked up, not loaded: any process may ask)."""
    lib_dir = library_dir()
    if lib_dir is None or not (lib_dir / BASE_LIBRARY).is_file():
        return f"no {BASE_LIBRARY} in llama-cpp-python's libraries"
    path = module_path(lib_dir, root)
    return path if path.is_file() else f"no BLAS module at {path} (`make setup` builds it)"


def module_built() -> bool:
    """Whether training here would run on the BLAS backend."""
    return isinstance(built_module(), Path)


def openblas_core(flags: set[str]) -> str | None:
    """The OpenBLAS kernel set for a CPU with these flags (Debian's OpenBLAS takes a CPU it does
    not know for a Prescott: docs/design/finetune.md); None leaves OpenBLAS to choose."""
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def load_blas(threads: int, root: Path | None = None) -> BlasStatus:
    """Register the BLAS backend module with this process's ggml (llama_cpp imported first),
    OpenBLAS on `threads` threads; once per process. Returns what runs, or why the CPU backend
    alone does (also logged)."""
    global _status
    if _status is None:
        _status = _load(threads, root)
        log = logger.info if _status.loaded else logger.warning
        log("training backend: %s", _status.detail)
    return _status


def _load(threads: int, root: Path | None) -> BlasStatus:
    path = built_module(root)
    if not isinstance(path, Path):
        return BlasStatus(False, f"CPU only: {path}")
    # OpenBLAS reads these when it is loaded: its pool of threads, and its kernels
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    core = openblas_core(cpu_flags())
    if core is not None:
        os.environ.setdefault("OPENBLAS_CORETYPE", core)
    ggml = ctypes.CDLL(REGISTRY_LIBRARY)  # by soname: the copy libllama already loaded
    ggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load.restype = ctypes.c_void_p
    if not ggml.ggml_backend_load(str(path).encode()):
        return BlasStatus(False, f"CPU only: ggml could not load the BLAS module {path}")
    return BlasStatus(True, f"BLAS ({_openblas_name()}, {threads} thread(s)) from {path}")


def _openblas_name() -> str:
    try:
        openblas = ctypes.CDLL("libopenblas.so.0")  # the module's own OpenBLAS, by soname
        openblas.openblas_get_corename.restype = ctypes.c_char_p
        return f"OpenBLAS {openblas.openblas_get_corename().decode()}"
    except (OSError, AttributeError):
        return "a BLAS library"
