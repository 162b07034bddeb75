"""How much CPU other processes are using, measured over the last second or so (Linux `/proc`).

The embedded model picks its thread count from this: llama.cpp's threads wait on each other when
a core is taken by someone else, so with a busy neighbour one thread beats two. A snapshot of the
run queue (`/proc/loadavg`) is the wrong signal: it catches kernel threads and this process's own
threads in passing, which made half the calls of a 4-thread evaluation run on one thread (1.4x
slower). CPU time used by other processes over a window is not fooled by such blips.
"""

from __future__ import annotations

import os
import threading
import time

WINDOW_SECONDS = 1.0  # how far back the measurement looks (at least)
FIRST_SAMPLE_SECONDS = 0.2  # a first reading measures this long itself: enough to see a busy core
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_ticks() -> int | None:
    """CPU ticks spent not idle since boot, all cores (first line of /proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle  # user..steal; guest time is already inside user


def _own_ticks() -> int | None:
    """CPU ticks this process has used (utime + stime of /proc/self/stat)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])


class OtherCpuMeter:
    """`cores_used()`: cores other processes kept busy on average over the last window."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._samples: list[tuple[float, int, int]] = []  # (time, busy ticks, own ticks)
        self._last = 0.0

    def cores_used(self) -> float:
        with self._lock:
            if not self._samples:  # no history yet: measure a short window now, once
                if not self._record():
                    return 0.0
                time.sleep(FIRST_SAMPLE_SECONDS)
            if not self._record():
                return 0.0
            now, busy, own = self._samples[-1]
            # keep the newest sample that is at least `window` old, and everything after it
            while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
                self._samples.pop(0)
            start, busy0, own0 = self._samples[0]
            if now - start < 0.1:
                return self._last
            others = (busy - busy0) - (own - own0)
            self._last = max(0.0, others / _CLOCK_TICKS / (now - start))
            return self._last

    def _record(self) -> bool:
        """Append (now, busy ticks, own ticks); False where /proc cannot be read."""
        now, busy, own = time.monotonic(), _busy_ticks(), _own_ticks()
        if busy is None or own is None:
            return False
        self._samples.append((now, busy, own))
        return True


meter = OtherCpuMeter()
