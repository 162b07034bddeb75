"""MIPROv2: proposed instructions and bootstrapped demo sets, searched with Optuna."""

from engine.optimizers.mipro._mipro import RACED_SHARE, MIPROv2

__all__ = ["RACED_SHARE", "MIPROv2"]
