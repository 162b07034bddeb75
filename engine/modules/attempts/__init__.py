"""Modules that run a step several times: BestOfN, Refine, MultiChainComparison, Parallel, and
the majority vote over completions."""
