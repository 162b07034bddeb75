"""DSPy's logging switches: configure_dspy_loggers, disable_logging / enable_logging, and
disable_litellm_logging / enable_litellm_logging."""

from __future__ import annotations

import logging

import pytest

import engine as dspy
from engine.lm import _litellm


@pytest.fixture
def engine_logger():
    logger = logging.getLogger("engine")
    saved = (logger.level, logger.propagate, list(logger.handlers), logger.disabled)
    yield logger
    logger.setLevel(saved[0])
    logger.propagate = saved[1]
    logger.handlers[:] = saved[2]
    logger.disabled = saved[3]
    dspy.enable_logging()


def test_configure_dspy_loggers_writes_engine_records_to_stderr_once(engine_logger, capsys):
    dspy.configure_dspy_loggers("engine")
    dspy.configure_dspy_loggers("engine")  # again: still one handler
    logging.getLogger("engine.lm.lm").info("hello from the engine")
    err = capsys.readouterr().err
    assert err.count("hello from the engine") == 1 and "INFO engine.lm.lm" in err


def test_disable_logging_silences_until_enable_logging(engine_logger, capsys):
    dspy.configure_dspy_loggers("engine")
    dspy.disable_logging()
    logging.getLogger("engine.modules").warning("hidden")
    assert "hidden" not in capsys.readouterr().err
    dspy.enable_logging()
    logging.getLogger("engine.modules").warning("shown")
    assert "shown" in capsys.readouterr().err


def test_configure_dspy_loggers_needs_a_name():
    with pytest.raises(TypeError, match="logger name"):
        dspy.configure_dspy_loggers("")


def test_litellm_logging_switches_set_its_loggers_levels():
    try:
        dspy.enable_litellm_logging()
        assert logging.getLogger("LiteLLM").level == logging.DEBUG
        if _litellm._module is not None:  # litellm already imported in this process
            assert _litellm.get_litellm().suppress_debug_info is False
    finally:
        dspy.disable_litellm_logging()
    assert logging.getLogger("LiteLLM").level == logging.WARNING
    assert _litellm.get_litellm().suppress_debug_info is True  # loaded now: quiet
    assert dspy.clients.disable_litellm_logging is dspy.disable_litellm_logging
    assert dspy.utils.logging_utils.disable_logging is dspy.disable_logging
