"""KNN and KNNFewShot: demos chosen per input from the nearest training rows; KNNFewShot's
program is exported by its own hook (`_export`)."""

from engine.optimizers.knn._export import KNN_EXPORT
from engine.optimizers.knn._knn import KNN, example_text
from engine.optimizers.knn._knn_fewshot import KNNFewShot
from engine.optimizers.registry import OptimizerEntry, Param, register

register(OptimizerEntry(
    name="KNNFewShot", factory=KNNFewShot, rank=70,
    aliases=("knn", "knnfewshot"),
    label="Examples picked per input: KNNFewShot",
    goal="For each new input, puts the most similar training rows in the prompt as examples, "
    "with the answers the model got right on them.",
    params=(
        Param("k", int, 3, "Nearest rows per input", low=1, high=16),
        Param("max_bootstrapped_demos", int, 4, "Model-made examples (max)", low=0, high=16),
    ),
    # its .py export rebuilds the program with the engine's BM25 neighbour index and metric
    # helpers (docs/design/knn_fewshot.md); dspy's KNNFewShot needs an embedding vectorizer
    export=KNN_EXPORT,
    smoke_params={"k": 2, "max_bootstrapped_demos": 2, "max_labeled_demos": 2},
))  # fmt: skip

__all__ = ["KNN", "KNNFewShot", "example_text"]
