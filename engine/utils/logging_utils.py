"""DSPy's logging switches (`dspy.utils.logging_utils`) for the engine's loggers.

The engine logs through Python's `logging` under the logger named "engine"; by default it adds
no handler (the application decides). `configure_dspy_loggers("engine")` gives that logger a
handler writing to stderr at INFO level, as DSPy does for "dspy"; `disable_logging()` silences
the engine's log records until `enable_logging()`.
"""

from __future__ import annotations

import logging
import sys

LOGGING_LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOGGING_DATETIME_FORMAT = "%Y/%m/%d %H:%M:%S"
ENGINE_LOGGER = "engine"
_HANDLER_NAME = "engine_handler"


class SwitchableStderr:
    """A stream that writes to the current `sys.stderr` while `enabled`, and drops text else."""

    def __init__(self) -> None:
        self.enabled = True

    def write(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(text)

    def flush(self) -> None:
        if self.enabled:
            sys.stderr.flush()


LOGGING_STREAM = SwitchableStderr()


def configure_dspy_loggers(root_module_name: str = ENGINE_LOGGER) -> None:
    """Give the logger `root_module_name` one stderr handler (INFO, not propagated); calling it
    again replaces that handler instead of adding a second."""
    if not isinstance(root_module_name, str) or not root_module_name:
        raise TypeError("configure_dspy_loggers needs a logger name, e.g. 'engine'")
    handler = logging.StreamHandler(stream=LOGGING_STREAM)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter(LOGGING_LINE_FORMAT, LOGGING_DATETIME_FORMAT))
    handler.set_name(_HANDLER_NAME)
    logger = logging.getLogger(root_module_name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
    logger.addHandler(handler)


def disable_logging() -> None:
    """Silence the engine's log records (every handler, ours or the application's)."""
    LOGGING_STREAM.enabled = False
    logging.getLogger(ENGINE_LOGGER).disabled = True


def enable_logging() -> None:
    """Undo `disable_logging()`."""
    LOGGING_STREAM.enabled = True
    logging.getLogger(ENGINE_LOGGER).disabled = False


__all__ = ["configure_dspy_loggers", "disable_logging", "enable_logging"]
