"""DSPy's submodule paths resolve with `engine` in place of `dspy` (issue 39, item 12): the
imports of existing code and notebooks, each checked to exist in dspy 3.4.1 as well."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import engine

# (module path, names imported from it), as DSPy code writes them
PATHS = [
    ("predict", ["Predict", "ChainOfThought", "ReAct", "BestOfN", "Refine", "Parallel",
                 "MultiChainComparison", "ProgramOfThought", "majority", "KNN", "Tool"]),
    ("teleprompt", ["BootstrapFewShot", "BootstrapFewShotWithRandomSearch", "LabeledFewShot",
                    "COPRO", "MIPROv2", "GEPA", "SIMBA", "Ensemble", "KNNFewShot"]),
    ("evaluate", ["Evaluate", "EvaluationResult", "answer_exact_match", "answer_passage_match",
                  "SemanticF1", "CompleteAndGrounded", "EM", "normalize_text"]),
    ("adapters", ["Adapter", "ChatAdapter", "JSONAdapter"]),
    ("adapters.chat_adapter", ["ChatAdapter"]),
    ("adapters.json_adapter", ["JSONAdapter"]),
    ("utils", ["DummyLM", "dummy_rm"]),
    ("utils.dummies", ["DummyLM", "dummy_rm"]),
    ("clients", ["LM", "Embedder", "inspect_history"]),
    ("primitives", ["Example", "Prediction", "Module"]),
    ("signatures", ["Signature", "InputField", "OutputField", "make_signature",
                    "ensure_signature", "infer_prefix"]),
    ("retrievers", ["Embeddings", "Retrieve"]),
]  # fmt: skip


@pytest.mark.parametrize(("path", "names"), PATHS, ids=[p for p, _ in PATHS])
def test_from_path_import_names(path, names):
    module = importlib.import_module(f"engine.{path}")
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"engine.{path} lacks {missing}"
    # the attribute path works too: engine.utils.dummies, engine.adapters.chat_adapter, ...
    obj = engine
    for part in path.split("."):
        obj = getattr(obj, part)
    assert obj is module


@pytest.mark.parametrize(("path", "names"), PATHS, ids=[p for p, _ in PATHS])
def test_dspy_has_the_same_path(path, names):
    pytest.importorskip("dspy")
    module = importlib.import_module(f"dspy.{path}")
    assert [n for n in names if not hasattr(module, n)] == []


def test_the_same_objects_under_each_path():
    from engine.adapters.chat_adapter import ChatAdapter

    from engine.predict import KNN, Predict
    from engine.primitives import Module
    from engine.teleprompt import GEPA
    from engine.utils.dummies import DummyLM

    assert Predict is engine.Predict and Module is engine.Module and GEPA is engine.GEPA
    assert ChatAdapter is engine.ChatAdapter and KNN is engine.KNN
    assert issubclass(DummyLM, engine.LM)


def test_teleprompt_first_in_a_fresh_process():
    """`from engine.teleprompt import MIPRO` as a program's first engine import."""
    code = (
        "from engine.teleprompt import MIPRO, BayesianSignatureOptimizer, COPRO\n"
        "import engine.optimizers as o, engine.teleprompt as t\n"
        "assert t.MIPRO is o.MIPRO\n"
        "from engine.adapters.chat_adapter import ChatAdapter\n"
        "from engine.utils.dummies import DummyLM\n"
        "import sys; assert 'litellm' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
