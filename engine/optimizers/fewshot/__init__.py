"""Few-shot optimizers: LabeledFewShot, BootstrapFewShot and its random search."""

from engine.optimizers.fewshot._bootstrap import BootstrapFewShot
from engine.optimizers.fewshot._labeled import LabeledFewShot
from engine.optimizers.fewshot._random_search import (
    BootstrapFewShotWithRandomSearch,
    BootstrapRS,
)

__all__ = ["BootstrapFewShot", "BootstrapFewShotWithRandomSearch", "BootstrapRS", "LabeledFewShot"]
