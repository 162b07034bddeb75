"""DSPy's `dspy.dsp.utils.settings` path: the engine's `settings` object and `DEFAULT_CONFIG`
(the defaults of every setting, as `configure(**DEFAULT_CONFIG)` takes them)."""

from engine.core import DEFAULT_CONFIG, Settings, settings

__all__ = ["DEFAULT_CONFIG", "Settings", "settings"]
