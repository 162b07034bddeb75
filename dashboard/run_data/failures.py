"""Why a run failed, in words that fit its error, and whether resuming it can help.

A resume restarts the same run from what is stored: same spec, same settings. It helps after a
crash, a lost network or a key typed again; it cannot help when the settings or the model name
are what the engine refused (the run would stop the same way): then the page offers none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Causes:
    causes: tuple[str, ...]
    resumable: bool


SETTINGS = Causes(
    ("A setting the optimizer cannot run with on this data (the message above says which). "
     "Change it on the Optimize page and start a new run: resuming would stop the same way.",),
    False,
)  # fmt: skip
_RULES: tuple[tuple[tuple[str, ...], Causes], ...] = (
    (("optimizer.params", "must be at least", "program runs", "minibatch_size", "max_metric_calls",
      "rejected the parameters", "must be one of", "must be an integer"), SETTINGS),
    (("Unknown model", "NotFoundError", "model name", "does not exist"), Causes(
        ("The model name is not one the provider knows. Fix it on the Optimize page and start a "
         "new run: resuming would use the same name.",), False)),
    (("API key", "AuthenticationError", "PermissionDenied"), Causes(
        ("The API key is missing, wrong or not allowed to use this model. Type it on the "
         "Optimize page (or set it before starting the dashboard), then resume.",), True)),
    (("unreachable", "Connection", "connect", "timed out", "Timeout", "RateLimit", "rate limit",
      "keep failing", "kept failing"), Causes(
        ("The model's service could not be reached or kept refusing calls (network, rate "
         "limit, an outage). Resume when it answers again: finished trials are not redone.",),
        True)),
    (("data.csv", "data.test_csv", "file not found", "No such file"), Causes(
        ("The data file was moved, renamed or changed since the run started. Put it back, then "
         "resume.",), True)),
    (("MemoryError", "out of memory", "Killed", "signal", "interrupted", "died"), Causes(
        ("The run's process was stopped (the computer ran short of memory, or it was killed or "
         "restarted). Resume: finished trials are not redone.",), True)),
)  # fmt: skip
UNKNOWN = Causes(
    ("Something unexpected stopped the run; the technical details below say what. Resuming "
     "retries from the last finished trial.",),
    True,
)  # fmt: skip


def failure_causes(reason: str | None) -> Causes:
    """The causes that fit a failed run's recorded reason, and whether a resume can work."""
    text = reason or ""
    for needles, causes in _RULES:
        if any(n.casefold() in text.casefold() for n in needles):
            return causes
    return UNKNOWN
