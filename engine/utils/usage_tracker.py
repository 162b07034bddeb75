"""DSPy's `dspy.utils.usage_tracker` path: `UsageTracker` and `track_usage` (engine.lm.usage)."""

from engine.lm.usage import UsageTracker, track_usage

__all__ = ["UsageTracker", "track_usage"]
