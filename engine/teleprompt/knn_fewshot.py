"""DSPy's `dspy.teleprompt.knn_fewshot` path."""

from engine.optimizers import KNNFewShot

__all__ = ["KNNFewShot"]
