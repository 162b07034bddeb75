"""Modules: Module base, Predict, ChainOfThought (one file each)."""

from engine.modules.assertions import Assert, Suggest
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.module import Module
from engine.modules.predict import Predict

__all__ = ["Assert", "ChainOfThought", "Module", "Predict", "Suggest"]
