"""GEPA: reflective instruction rewrites kept on a Pareto front of validation rows."""

from engine.optimizers.gepa._gepa import GEPA

__all__ = ["GEPA"]
