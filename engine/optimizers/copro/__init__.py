"""COPRO: the instruction rewritten in rounds, each round reading the scores of the last."""

from engine.optimizers.copro._copro import COPRO

__all__ = ["COPRO"]
