"""Modules: Module base, Predict, ChainOfThought (one file each)."""

from engine.adapters.types.tool import Tool, ToolError
from engine.modules.aggregation import majority
from engine.modules.assertions import Assert, Suggest
from engine.modules.best_of_n import BestOfN
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.code_act import CodeAct
from engine.modules.module import Module
from engine.modules.multi_chain_comparison import MultiChainComparison
from engine.modules.parallel import Parallel
from engine.modules.predict import Predict
from engine.modules.program_of_thought import ProgramOfThought
from engine.modules.react import ReAct
from engine.modules.refine import Refine

__all__ = [
    "Assert", "BestOfN", "ChainOfThought", "Module", "MultiChainComparison", "Parallel",
    "Predict", "Refine", "Suggest", "majority",
    "ProgramOfThought", "ReAct", "Tool", "ToolError", "CodeAct",
]  # fmt: skip
