"""Whether the installed llama-cpp-python build runs on this machine, known by running it.

A build compiled for another CPU, or natively on a CPU that advertises instructions its VM then
faults on (AMX on some cloud Xeons: every call died in `ggml_backend_amx_mul_mat`), kills the
process on its first call: no exception, no message. So before this process imports llama_cpp
for the first time, a child process (`_runtime_probe.py`) imports it, prints the build's system
info, loads the model and makes one call. If the child dies by a signal, the embedded model is
refused with an `LMConfigError` naming the cause and the rebuild command; if it answers, the
verdict is kept (`~/.cache/tunesmith/runtime/`, keyed by the library files, this CPU and this
Python), so the probe runs once per build and machine (~1 s, plus ~6 s timing a prompt read on
one thread: `machine_read_speed`, which the forecast of a run's minutes scales by).

The build `make setup` installs is portable (`PORTABLE_CMAKE_ARGS`: no -march=native, so no
AVX-512 or AMX); every CPU feature a build may hold is in `FEATURE_FLAGS`, checked against
/proc/cpuinfo, and the ones a CPU may advertise yet fault on (`UNTRUSTED`) are never compiled
into it. `python -m engine.lm.local` runs the probe afresh (set-up's smoke test, `_smoke`).

`import_llama_cpp` is the one door to llama_cpp: model loads, the Q8_0 copy and embeddings all
go through it, so none imports the library before its build was probed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from engine.core import LMConfigError, RuntimeBuildError
from engine.lm.local.runtime._files import LLAMA_CPP_HINT, local_runtime_available

logger = logging.getLogger(__name__)

LLAMA_CPP_VERSION = "0.3.36"
PORTABLE_CMAKE_ARGS = (
    "-DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF "
    "-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
)
REBUILD_HINT = (
    "rebuild it portable: `make rebuild-llama` in the Tunesmith checkout, or "
    f'CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" pip install --force-reinstall --no-cache-dir '
    f"--no-deps llama-cpp-python=={LLAMA_CPP_VERSION}"
)
# llama.cpp's name for a CPU feature in its system info -> the flag /proc/cpuinfo shows for it
FEATURE_FLAGS = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "SSE42": "sse4_2",
    "AVX": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
    "AMX_BF16": "amx_bf16",
}
# advertised by CPUs whose VMs fault on them: only a call tells; the portable build omits them
UNTRUSTED = frozenset({"AMX_INT8", "AMX_BF16"})
# system-info entries that are build options, not CPU instructions
SOFTWARE = frozenset({"LLAMAFILE", "OPENMP", "REPACK", "KLEIDIAI", "ACCELERATE", "AARCH64_REPACK"})
CACHE_ENV = "TUNESMITH_RUNTIME_DIR"
PROBE_TIMEOUT = 180.0
PROBE_FILE = Path(__file__).with_name("_runtime_probe.py")
# The verdict's timed read (tokens per CPU-second on one thread). Verdicts from before it was
# timed this way (wall time on 2 threads, "read_speed": one busy neighbour halved it) lack the
# key, so the next process probes once more.
READ_SPEED_KEY = "cpu_read_speed"


@dataclass
class ProbeResult:
    """What the probe child did: how far it got, how it ended, and the build's system info."""

    returncode: int | None
    steps: list[str] = field(default_factory=list)
    system_info: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    # prompt tokens per CPU-second on one thread, read cold (None: not timed)
    read_speed: float | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and "answered" in self.steps

    @property
    def signal_name(self) -> str | None:
        if self.returncode is None or self.returncode >= 0:
            return None
        return describe_signal(-self.returncode)


def describe_signal(number: int) -> str:
    """`SIGSEGV (segmentation fault)` for 11; the number itself if it is not a signal here."""
    try:
        sig = signal.Signals(number)
    except ValueError:
        return f"signal {number}"
    text = signal.strsignal(sig)
    return f"{sig.name} ({text.lower()})" if text else sig.name


def compiled_features(system_info: str) -> set[str]:
    """The CPU features a build's system info says are compiled in (`AVX2 = 1` → AVX2)."""
    features = set()
    for part in system_info.replace("\n", "|").split("|"):
        name, _, value = part.partition("=")
        name = name.split(":")[-1].strip()
        if value.strip() == "1" and name and name not in SOFTWARE:
            features.add(name)
    return features


def cpu_flags() -> set[str]:
    """The flags /proc/cpuinfo lists for this CPU (empty where there is no /proc)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def missing_features(features: set[str], flags: set[str]) -> list[str]:
    """Compiled-in features this CPU does not list (unknown names count as missing)."""
    return sorted(f for f in features if FEATURE_FLAGS.get(f) not in flags)


def library_dir() -> Path | None:
    """The folder of the installed llama-cpp-python's shared libraries (found without import)."""
    override = os.environ.get("LLAMA_CPP_LIB_PATH")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "lib"


def runtime_key(lib_dir: Path) -> str:
    """Names this build on this CPU and Python: a verdict is never reused on another."""
    parts = [cpu_name(), " ".join(sorted(cpu_flags())), sys.executable, platform.release()]
    for path in sorted(lib_dir.glob("*.so*")) if lib_dir.is_dir() else []:
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def verdict_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tunesmith" / "runtime"


def probe(model_path: Path, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """Run `_runtime_probe.py` on `model_path` in a child process and report how it ended."""
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        done = subprocess.run(  # noqa: S603  (fixed argv: this interpreter and our own file)
            [sys.executable, "-s", str(PROBE_FILE), str(model_path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        result = ProbeResult(None, timed_out=True, seconds=time.perf_counter() - start)
        _read_steps(result, out)
        return result
    result = ProbeResult(done.returncode, stderr=done.stderr[-2000:])
    result.seconds = time.perf_counter() - start
    _read_steps(result, done.stdout)
    return result


def _read_steps(result: ProbeResult, stdout: str) -> None:
    for line in stdout.splitlines():
        try:
            step = json.loads(line)
        except ValueError:
            continue
        result.steps.append(step.get("step", ""))
        if step.get("step") == "system_info":
            result.system_info = step.get("text", "")
        if step.get("step") == "read_speed":
            result.read_speed = step.get("tokens_per_cpu_second")


def failure_message(result: ProbeResult, lib_dir: Path | None) -> str:
    """What went wrong in the probe, in words, with the fix."""
    where = f"llama-cpp-python's build at {lib_dir}" if lib_dir else "llama-cpp-python's build"
    features = compiled_features(result.system_info)
    missing = missing_features(features, cpu_flags())
    stage = {
        "": "on import",
        "imported": "reading its system info",
        "system_info": "loading the model",
        "loaded": "on its first call",
    }.get(result.steps[-1] if result.steps else "", "")
    if result.signal_name:
        cause = f"crashed {stage} with {result.signal_name}"
    elif result.timed_out:
        cause = (
            f"did not finish {stage} within {result.seconds:.0f} s (a very busy machine can do "
            "this: try again when it is quieter)"
        )
    else:
        tail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        cause = f"failed {stage} (exit code {result.returncode}: {tail[0]})"
    detail = ""
    if missing:
        detail = f" It was compiled with {', '.join(missing)}, which this CPU does not have."
    elif features & UNTRUSTED:
        names = ", ".join(sorted(features & UNTRUSTED))
        detail = (
            f" It was compiled natively with {names}: this CPU advertises it, but its "
            "instructions fault here (seen in VMs)."
        )
    return (
        f"The embedded model cannot run on this machine: {where} {cause}.{detail} "
        f"To fix, {REBUILD_HINT}."
    )


_checked: set[str] = set()
_check_lock = threading.Lock()


def ensure_runtime_runs(model_path: Path) -> None:
    """Raise RuntimeBuildError (an LMConfigError) unless the installed build is known to run
    here (probed once per build and machine)."""
    lib_dir = library_dir()
    if lib_dir is None:
        return  # not installed: the import itself says how to install
    key = runtime_key(lib_dir)
    if key in _checked:
        return
    with _check_lock:
        if key in _checked:
            return
        verdict = verdict_dir() / f"{key}.json"
        if READ_SPEED_KEY in _read_verdict(verdict):  # older ones timed no read, or on a clock
            _checked.add(key)
            return
        result = probe(model_path)
        if result.timed_out:  # slow, not broken (a loaded machine): let the real call tell
            logger.warning("the embedded runtime's probe took over %.0f s", PROBE_TIMEOUT)
            return
        if not result.ok:
            raise RuntimeBuildError(failure_message(result, lib_dir))
        write_verdict(verdict, result, lib_dir, model_path)
        _checked.add(key)


def _read_verdict(path: Path) -> dict:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def machine_read_speed() -> tuple[float, str] | None:
    """How fast this machine read a ~500-token prompt cold in the installed build's probe
    (tokens per CPU-second on one thread) and the weights file it read, or None before a probe
    timed it."""
    lib_dir = library_dir()
    if lib_dir is None:
        return None
    record = _read_verdict(verdict_dir() / f"{runtime_key(lib_dir)}.json")
    speed = record.get(READ_SPEED_KEY)
    if not isinstance(speed, (int, float)) or speed <= 0:
        return None
    return float(speed), str(record.get("read_model") or "")


def write_verdict(path: Path, result: ProbeResult, lib_dir: Path, model: Path) -> None:
    record = {
        "lib_dir": str(lib_dir),
        "cpu": cpu_name(),
        "system_info": result.system_info,
        "probe_seconds": round(result.seconds, 3),
        READ_SPEED_KEY: result.read_speed,
        "read_model": model.name,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, indent=1))
        os.replace(tmp, path)
    except OSError:  # an unwritable cache only means probing again next process
        logger.debug("could not keep the runtime verdict at %s", path, exc_info=True)


def import_llama_cpp(model_path: Path) -> ModuleType:
    """llama_cpp, once its build is known to run here (`ensure_runtime_runs` probes it on
    `model_path` in a child process), or an LMConfigError saying how to install or rebuild it."""
    if not local_runtime_available():
        raise LMConfigError(
            f"The embedded model needs llama-cpp-python, which is not installed: {LLAMA_CPP_HINT}."
        )
    ensure_runtime_runs(model_path)
    try:
        import llama_cpp
    except ImportError as exc:
        raise LMConfigError(
            f"The embedded model needs llama-cpp-python, which did not import ({exc}): "
            f"{LLAMA_CPP_HINT}."
        ) from exc
    return llama_cpp
