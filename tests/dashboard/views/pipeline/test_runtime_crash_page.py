"""A model runtime that crashes on this CPU (issue 36) is a message on the page, not a dead
dashboard: the build is probed in a child process before the dashboard's process loads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from apphelpers import go, open_sample, shown, texts

from engine.lm.local import _model as local_model

CRASHING_LIB = r"""
#include <signal.h>
__attribute__((constructor)) static void crash_on_load(void) { raise(SIGSEGV); }
"""


@pytest.fixture
def crashing_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder whose libllama.so dies by SIGSEGV as soon as it is loaded (a real native fault),
    made the llama-cpp-python runtime through LLAMA_CPP_LIB_PATH."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the crashing library")
    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    source = tmp_path / "crash.c"
    source.write_text(CRASHING_LIB)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", str(lib_dir / "libllama.so"), str(source)], check=True
    )
    monkeypatch.setenv("LLAMA_CPP_LIB_PATH", str(lib_dir))
    monkeypatch.setenv("TUNESMITH_RUNTIME_DIR", str(tmp_path / "verdicts"))
    monkeypatch.delenv("TUNESMITH_TEST_LM", raising=False)  # the embedded model, for real
    # a model an earlier test in this process opened would answer without loading anything
    monkeypatch.setattr(local_model, "_models", {})
    return lib_dir


def test_try_on_a_row_with_a_crashing_runtime_shows_the_fix(app, crashing_runtime) -> None:
    open_sample(app)
    at = go(app, "pipeline")
    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at) + " ".join(shown(e.value) for e in at.error)
    assert "cannot run on this machine" in page and "SIGSEGV" in page, page[-2000:]
    assert "make rebuild-llama" in page
