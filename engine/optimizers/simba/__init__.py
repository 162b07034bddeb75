"""SIMBA: rules and demos written for the rows the program is unsure about."""

from engine.optimizers.simba._simba import SIMBA

__all__ = ["SIMBA"]
