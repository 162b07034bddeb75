"""The embedded runtime's build check (issue 36): a build that cannot run on this CPU is refused
with a message and the rebuild command, never a dead process; the installed build holds only
CPU features the run-time check guards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from local_lm_helpers import REAL_LM

from engine.core._errors import LMConfigError, RuntimeBuildError
from engine.lm.local import smollm2_path
from engine.lm.local.runtime import _runtime as local_runtime
from engine.lm.local.runtime._runtime import (
    FEATURE_FLAGS,
    UNTRUSTED,
    ProbeResult,
    compiled_features,
    cpu_flags,
    failure_message,
    missing_features,
)

AMX_INFO = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | "


def test_system_info_is_read_as_cpu_features() -> None:
    assert compiled_features(AMX_INFO) == {"SSE3", "AVX", "AVX2", "AVX512", "AMX_INT8"}
    assert compiled_features("CPU : AVX = 0 | OPENMP = 1 | ") == set()
    assert missing_features({"AVX2", "AVX512"}, {"avx2"}) == ["AVX512"]
    assert missing_features({"NEW_THING"}, {"avx2"}) == ["NEW_THING"]  # unknown: not guarded


def test_failure_messages_name_the_signal_the_cause_and_the_fix(monkeypatch) -> None:
    monkeypatch.setattr(local_runtime, "cpu_flags", lambda: {"pni", "avx", "avx2", "avx512f",
                                                             "amx_int8"})  # fmt: skip
    crashed = ProbeResult(-signal.SIGSEGV, ["imported", "system_info", "loaded"], AMX_INFO)
    text = failure_message(crashed, Path("/x/lib"))
    assert "crashed on its first call with SIGSEGV" in text
    assert "AMX_INT8" in text and "advertises" in text
    assert "make rebuild-llama" in text and "GGML_NATIVE=OFF" in text
    monkeypatch.setattr(local_runtime, "cpu_flags", lambda: {"pni", "avx", "avx2"})
    illegal = ProbeResult(-signal.SIGILL, ["imported", "system_info"], AMX_INFO)
    text = failure_message(illegal, None)
    assert "SIGILL" in text and "loading the model" in text
    assert "compiled with AMX_INT8, AVX512, which this CPU does not have" in text


def _fake_probe(tmp_path: Path, body: str) -> Path:
    """A probe child that prints an AMX build's system info, then does `body`."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import json, os, signal, sys\n"
        "print(json.dumps({'step': 'imported'}), flush=True)\n"
        f"print(json.dumps({{'step': 'system_info', 'text': {AMX_INFO!r}}}), flush=True)\n"
        "print(json.dumps({'step': 'loaded'}), flush=True)\n" + body
    )
    return script


def test_a_build_that_crashes_here_is_refused_not_fatal(tmp_path, monkeypatch) -> None:
    """The probe child dies by SIGSEGV on its first call (as the AMX build did): this process
    gets a RuntimeBuildError naming the signal and the fix, and nothing is remembered."""
    monkeypatch.setenv("TUNESMITH_RUNTIME_DIR", str(tmp_path / "verdicts"))
    monkeypatch.setattr(local_runtime, "PROBE_FILE", _fake_probe(
        tmp_path, "os.kill(os.getpid(), signal.SIGSEGV)\n"))  # fmt: skip
    monkeypatch.setattr(local_runtime, "_checked", set())
    with pytest.raises(RuntimeBuildError) as caught:
        local_runtime.ensure_runtime_runs(tmp_path / "model.gguf")
    assert isinstance(caught.value, LMConfigError)
    assert "SIGSEGV" in str(caught.value) and "on its first call" in str(caught.value)
    assert "make rebuild-llama" in str(caught.value)
    assert not list((tmp_path / "verdicts").glob("*.json"))


def test_a_build_that_answers_is_probed_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TUNESMITH_RUNTIME_DIR", str(tmp_path / "verdicts"))
    counter = tmp_path / "probes"
    monkeypatch.setattr(local_runtime, "PROBE_FILE", _fake_probe(
        tmp_path, f"open({str(counter)!r}, 'a').write('x')\n"
        "print(json.dumps({'step': 'answered'}), flush=True)\n"))  # fmt: skip
    monkeypatch.setattr(local_runtime, "_checked", set())
    local_runtime.ensure_runtime_runs(tmp_path / "model.gguf")
    local_runtime.ensure_runtime_runs(tmp_path / "model.gguf")
    monkeypatch.setattr(local_runtime, "_checked", set())  # a new process: the file remembers
    local_runtime.ensure_runtime_runs(tmp_path / "model.gguf")
    assert counter.read_text() == "x"
    assert len(list((tmp_path / "verdicts").glob("*.json"))) == 1


def test_the_probe_keeps_how_fast_this_machine_read_a_prompt(tmp_path, monkeypatch) -> None:
    """The verdict keeps the probe's timed prompt read and the file it read; a verdict written
    before reads were timed by CPU time on one thread makes the next process probe once more."""
    monkeypatch.setenv("TUNESMITH_RUNTIME_DIR", str(tmp_path / "verdicts"))
    counter = tmp_path / "probes"
    monkeypatch.setattr(local_runtime, "PROBE_FILE", _fake_probe(
        tmp_path, f"open({str(counter)!r}, 'a').write('x')\n"
        "print(json.dumps({'step': 'answered'}), flush=True)\n"
        "print(json.dumps({'step': 'read_speed', 'tokens_per_cpu_second': 150.5}), flush=True)\n"
    ))  # fmt: skip
    monkeypatch.setattr(local_runtime, "library_dir", lambda: tmp_path)
    monkeypatch.setattr(local_runtime, "_checked", set())
    assert local_runtime.machine_read_speed() is None  # nothing probed yet
    local_runtime.ensure_runtime_runs(tmp_path / "model.Q4_1.gguf")
    assert local_runtime.machine_read_speed() == (150.5, "model.Q4_1.gguf")
    (verdict,) = (tmp_path / "verdicts").glob("*.json")
    verdict.write_text('{"cpu": "an older verdict", "read_speed": 440.0}')  # wall time
    assert local_runtime.machine_read_speed() is None  # a read on another clock says nothing
    monkeypatch.setattr(local_runtime, "_checked", set())  # a new process
    local_runtime.ensure_runtime_runs(tmp_path / "model.Q4_1.gguf")
    local_runtime.ensure_runtime_runs(tmp_path / "model.Q4_1.gguf")
    assert counter.read_text() == "xx"
    assert local_runtime.machine_read_speed() == (150.5, "model.Q4_1.gguf")


@pytest.mark.real_lm
@REAL_LM[1]
def test_installed_build_runs_here_and_holds_only_guarded_features() -> None:
    """The real build, probed in a child: it answers, and every CPU feature compiled into it is
    one the check knows and this CPU lists; none is one a CPU may advertise yet fault on."""
    result = local_runtime.probe(smollm2_path())
    assert result.ok, (result.returncode, result.steps, result.stderr)
    assert result.read_speed and result.read_speed > 0, result.steps  # one thread's CPU time
    features = compiled_features(result.system_info)
    assert {"AVX", "AVX2"} <= features, result.system_info
    assert features <= set(FEATURE_FLAGS), f"unguarded: {features - set(FEATURE_FLAGS)}"
    assert not features & UNTRUSTED, f"compiled in, cannot be trusted: {features & UNTRUSTED}"
    assert missing_features(features, cpu_flags()) == []


@pytest.mark.real_lm
@REAL_LM[1]
def test_setup_smoke_check_passes_on_the_installed_build(tmp_path) -> None:
    """`make setup` ends with this command; it exits 0 and says what ran."""
    done = subprocess.run(
        [sys.executable, "-m", "engine.lm.local"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TUNESMITH_RUNTIME_DIR": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("embedded model: OK") and "AVX2" in done.stdout
