"""The embedded model's thread choice reads other processes' CPU use, not its own."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from engine.lm.cpu_share import OtherCpuMeter

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _measure(meter: OtherCpuMeter, seconds: float, busy_here: bool = False) -> float:
    meter.cores_used()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not busy_here:
            time.sleep(0.05)
    return meter.cores_used()


def test_own_work_is_not_counted_as_competition():
    assert _measure(OtherCpuMeter(window=0.5), 0.6, busy_here=True) < 0.5


def test_a_busy_neighbour_is_seen():
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert _measure(OtherCpuMeter(window=0.5), 0.6) > 0.5
    finally:
        hog.kill()
        hog.wait()
