"""What the fake server saw during one run: calls, 429s, concurrency over time, idle slots."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench.core.fake_openai_server import RequestRecord


@dataclass
class ServerStats:
    """One run's window on the server's clock, summarised for a capacity of `slots`."""

    wall: float
    calls: int  # answered requests (200)
    rejected: int  # 429s
    mean_concurrency: float
    max_concurrency: int
    all_busy_share: float  # share of the window with every slot busy
    idle_slot_seconds: float  # sum over time of (slots - requests in flight), while running
    prompt_tokens: int
    completion_tokens: int

    @property
    def throughput(self) -> float:
        return self.calls / self.wall if self.wall > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "throughput": self.throughput}


def summarise(records: list[RequestRecord], begin: float, end: float, slots: int) -> ServerStats:
    """The stats of `records` inside [begin, end] with `slots` usable slots (the smaller of
    num_threads and the rate limit)."""
    inside = [r for r in records if begin <= r.start <= end]
    answered = [r for r in inside if r.status == 200]
    events = sorted(
        [(max(r.start, begin), 1) for r in answered] + [(min(r.end, end), -1) for r in answered],
        key=lambda e: (e[0], e[1]),  # ends before starts at the same instant
    )
    wall = max(end - begin, 1e-9)
    level, last, busy_all, idle, area, peak = 0, begin, 0.0, 0.0, 0.0, 0
    for when, step in [*events, (end, 0)]:
        span = max(0.0, when - last)
        area += level * span
        idle += max(0, slots - level) * span
        if level >= slots:
            busy_all += span
        level += step
        peak = max(peak, level)
        last = max(last, when)
    return ServerStats(
        wall=wall,
        calls=len(answered),
        rejected=sum(1 for r in inside if r.status == 429),
        mean_concurrency=area / wall,
        max_concurrency=peak,
        all_busy_share=busy_all / wall,
        idle_slot_seconds=idle,
        prompt_tokens=sum(r.prompt_tokens for r in answered),
        completion_tokens=sum(r.completion_tokens for r in answered),
    )
