"""Shared by every family: caches and docs helpers (common), banking77 data, the model meter,
the few-shot runners, the head-to-head driver and its report, the fake OpenAI server, hashed_bow.

Nothing is imported here: `common.isolate_caches()` must run before `dspy` is imported.
"""
