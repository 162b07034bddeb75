"""Set-up's smoke test of the embedded runtime (`python -m engine.lm.local`): the installed
build probed afresh on the shipped weights, then on the Q8_0 copy runs read, whose timed prompt
read the forecast scales by (`engine.lm.local.runtime._runtime`, docs/design/forecast.md).

Kept apart from `_runtime`, which `_requant` (the Q8_0 copy) imports: only the smoke test needs
both."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.core import LMConfigError
from engine.lm.local.runtime._files import PROVIDER, SMOLLM2, smollm2_path
from engine.lm.local.runtime._runtime import (
    compiled_features,
    cpu_name,
    failure_message,
    library_dir,
    probe,
    runtime_key,
    verdict_dir,
    write_verdict,
)
from engine.lm.local.runtime._weights import local_model_path


def _time_default_weights(verdict: Path, lib_dir: Path) -> None:
    """Probe again on the weights runs read (`local/smollm2-135m`: the Q8_0 copy, written now if
    missing), so the verdict's timed read is of that file: the forecast scales by it (a read of
    the shipped Q4_1 file does not follow a run's speed from one machine to another)."""
    try:
        weights = local_model_path(f"{PROVIDER}/{SMOLLM2}")
    except LMConfigError:
        return
    timed = probe(weights)
    if timed.ok and timed.read_speed:
        write_verdict(verdict, timed, lib_dir, weights)


def main() -> int:
    """Probe afresh, print what ran, exit 1 with the fix if it did not."""
    try:
        model = smollm2_path()
    except LMConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    lib_dir = library_dir()
    if lib_dir is None:
        sys.stderr.write("llama-cpp-python is not installed; run `make setup`.\n")
        return 1
    result = probe(model)
    if not result.ok:
        sys.stderr.write(failure_message(result, lib_dir) + "\n")
        return 1
    verdict = verdict_dir() / f"{runtime_key(lib_dir)}.json"
    write_verdict(verdict, result, lib_dir, model)
    _time_default_weights(verdict, lib_dir)
    features = sorted(compiled_features(result.system_info))
    sys.stdout.write(
        f"embedded model: OK ({result.seconds:.1f} s; {cpu_name()}; "
        f"build features: {' '.join(features)})\n"
    )
    return 0
