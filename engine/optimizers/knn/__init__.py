"""KNN and KNNFewShot: demos chosen per input from the nearest training rows."""

from engine.optimizers.knn._knn import KNN, example_text
from engine.optimizers.knn._knn_fewshot import KNNFewShot

__all__ = ["KNN", "KNNFewShot", "example_text"]
