"""Benchmarks: Tunesmith vs DSPy 3.4.1, by family (see bench/README.md).

Run a family with `python -m bench.<family>` from the repository root. The package and its
subpackages' `__init__` modules import nothing: an entry point must call
`bench.core.common.isolate_caches()` before anything imports `dspy` or `litellm`.
"""
