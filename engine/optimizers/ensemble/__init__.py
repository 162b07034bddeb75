"""Ensemble: several programs answer; a reducer (majority by default) picks the answer."""

from engine.optimizers.ensemble._ensemble import Ensemble, EnsembledProgram

__all__ = ["Ensemble", "EnsembledProgram"]
