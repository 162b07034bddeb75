"""The trial event stream: what an optimizer is doing, as numbered JSON-serialisable events.

Optimizers emit through one `EventRecorder`; sinks (the in-memory list, the run store, a CLI
progress bar) subscribe to it. Payload shapes are pinned in docs/design/spine.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.optimizers.registry import event_kinds

logger = logging.getLogger(__name__)

# the spine's own event types; an optimizer declares the others it emits in its registry entry
EVENT_TYPES = (
    "run_started",
    "phase",
    "candidate",
    "proposals",
    "trial",
    "best_changed",
    "search_settled",
    "structure",  # the program shape chosen before the search (engine.runs.pipeline._structure)
    "lm_usage",
    "log",
    "run_finished",
    "run_failed",
)

Sink = Callable[["Event"], None]


def known_event_types() -> tuple[str, ...]:
    """The spine's event types and every registered optimizer's."""
    return (*EVENT_TYPES, *(t for t in event_kinds() if t not in EVENT_TYPES))


def step_of(type: str, data: dict[str, Any]) -> str | None:  # noqa: A002
    """Names a search-step event within its run (as its optimizer's registry entry says, e.g.
    GEPA's "4/reflection", SIMBA's "3"), so a resumed run can tell which steps it announced
    before; None for other events."""
    if type == "run_finished":  # once per run: a worker resumed after it only scores the test
        return "end"
    kind = event_kinds().get(type)
    return kind.step(data) if kind is not None and kind.step is not None else None


@dataclass(frozen=True)
class Event:
    """One event: `seq` counts 1, 2, ... within a run (continuing after a resume)."""

    seq: int
    type: str
    time: float
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def to_jsonable(value: Any) -> Any:
    """A JSON-serialisable copy of `value` (pydantic models dumped, unknown objects as str)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_jsonable(v) for v in items]
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump())
    if hasattr(value, "to_dict"):
        try:
            return to_jsonable(value.to_dict())
        except TypeError:
            pass
    if hasattr(value, "items"):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


class EventRecorder:
    """Numbers events, keeps them in `events`, and hands each to every sink (in order).

    Thread-safe: events get strictly increasing `seq` and reach sinks in that order. A sink that
    raises is logged and skipped; it never breaks the run.
    """

    def __init__(self, sinks: Iterable[Sink] = (), start_seq: int = 0) -> None:
        self._sinks: list[Sink] = list(sinks)
        self._seq = int(start_seq)
        self._lock = threading.RLock()
        self.events: list[Event] = []

    def add_sink(self, sink: Sink) -> None:
        with self._lock:
            self._sinks.append(sink)

    @property
    def last_seq(self) -> int:
        return self._seq

    def emit(self, type: str, **data: Any) -> Event:  # noqa: A002  (pinned name)
        """Record an event of `type` (one of `known_event_types()`) with `data` as its payload."""
        known = known_event_types()
        if type not in known:
            raise ValueError(f"unknown event type {type!r}; known: {known}")
        payload = to_jsonable(data)
        with self._lock:
            self._seq += 1
            event = Event(self._seq, type, time.time(), payload)
            self.events.append(event)
            for sink in list(self._sinks):
                try:
                    sink(event)
                except Exception:  # a broken sink must never end the run
                    logger.exception("event sink %r failed on %s #%d", sink, type, event.seq)
        return event

    def of_type(self, type: str) -> list[Event]:  # noqa: A002
        """The recorded events of one type, in order."""
        with self._lock:
            return [e for e in self.events if e.type == type]

    def log(self, message: str, level: str = "info") -> Event:
        """Shorthand for a `log` event (also sent to Python logging at debug level)."""
        logger.debug("%s: %s", level, message)
        return self.emit("log", level=level, message=message)

    def phase(self, name: str, detail: str = "") -> Event:
        """Shorthand for a `phase` event."""
        return self.emit("phase", name=name, detail=detail)


def logging_sink(target: logging.Logger | None = None) -> Sink:
    """A sink writing one line per event to Python logging (for the CLI or debugging)."""
    log = target or logger

    def sink(event: Event) -> None:
        summary = {k: v for k, v in event.data.items() if k not in ("rows", "state", "estimate")}
        log.info("#%d %s %s", event.seq, event.type, json.dumps(summary, default=str)[:300])

    return sink
