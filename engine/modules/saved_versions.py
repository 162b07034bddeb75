"""The versions a saved program's metadata records (`get_dependency_versions`, read at each
save) and the logger of saving; DSPy's `dspy.primitives.base_module` path names this module."""

from __future__ import annotations

import logging
import platform

# DSPy's logger of saving: the warning that a saved program is a pickle goes here, apart from
# the loading side's version warnings (engine.modules.saving's logger)
logger = logging.getLogger("engine.primitives.base_module")


def get_dependency_versions() -> dict[str, str]:
    """The versions written into saved files, under DSPy's keys; dspy's load() compares these
    and only warns on a mismatch."""
    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "dspy": "3.4.1",
        "cloudpickle": "3.1",
    }


__all__ = ["get_dependency_versions", "logger"]
