"""DSPy's `dspy.utils.saving` path: `load` a whole saved program (engine.modules.saving)."""

from engine.modules.saving import dependency_versions as get_dependency_versions
from engine.modules.saving import load, logger

__all__ = ["get_dependency_versions", "load", "logger"]
