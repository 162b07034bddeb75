"""Where the training process finds the BLAS module, which OpenBLAS kernels it asks for, and
what it says when there is no module (`_blas`; the real steps on it:
test_training_blas_real_lm.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.lm.local import library_dir
from engine.optimizers.finetune._blas import BASE_LIBRARY, module_path, openblas_core

LIB_DIR = library_dir()
needs_llama = pytest.mark.skipif(
    LIB_DIR is None or not (LIB_DIR / BASE_LIBRARY).is_file(),
    reason=f"llama-cpp-python's {BASE_LIBRARY} is not installed",
)


def test_the_kernels_follow_the_cpu_flags():
    avx512 = {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"}
    assert openblas_core(avx512 | {"amx_tile"}) == "SkylakeX"
    assert openblas_core({"avx2", "fma", "avx512f"}) == "Haswell"  # AVX-512 foundation alone
    assert openblas_core({"sse4_2", "avx"}) is None


def test_the_module_is_kept_under_the_installed_base_librarys_digest(tmp_path: Path):
    (tmp_path / BASE_LIBRARY).write_bytes(b"a libggml-base")
    digest = hashlib.sha256(b"a libggml-base").hexdigest()[:16]  # the Makefile's sha256sum
    root = tmp_path / "root"
    assert module_path(tmp_path, root) == root / digest / "libggml-blas.so"


@needs_llama
def test_without_the_module_training_stays_on_the_cpu_backend_and_says_why(tmp_path: Path):
    # in a child: a process that looked for the module remembers what it found
    code = (
        "import logging, sys; from pathlib import Path; logging.basicConfig(level=logging.INFO)\n"
        "from engine.optimizers.finetune._blas import load_blas\n"
        "status = load_blas(1, Path(sys.argv[1]))\n"
        "print(status.loaded, status.detail)\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}, timeout=60,
    )  # fmt: skip
    assert done.stdout.startswith("False CPU only: no BLAS module at " + str(tmp_path))
    assert "`make setup` builds it" in done.stdout
    assert "WARNING" in done.stderr and "training backend: CPU only" in done.stderr


def test_the_training_estimate_uses_the_backend_set_up_built(monkeypatch) -> None:
    """The estimate's tokens/s is the BLAS backend's when its module was built, else the CPU
    backend's (both measured: docs/design/finetune.md)."""
    from engine.optimizers.finetune import _forecast

    monkeypatch.setattr(_forecast, "module_built", lambda: True)
    assert _forecast.training_tokens_per_second() == _forecast.MEASURED_TOKENS_PER_SECOND["blas"]
    monkeypatch.setattr(_forecast, "module_built", lambda: False)
    assert _forecast.training_tokens_per_second() == _forecast.MEASURED_TOKENS_PER_SECOND["cpu"]
