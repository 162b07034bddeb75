"""Modules: Module base, Predict, ChainOfThought (one file each)."""

from engine.adapters.types.tool import Tool, ToolError
from engine.modules.agents.code_act import CodeAct
from engine.modules.agents.program_of_thought import ProgramOfThought
from engine.modules.agents.react import ReAct
from engine.modules.assertions import Assert, Suggest
from engine.modules.attempts.aggregation import majority
from engine.modules.attempts.best_of_n import BestOfN
from engine.modules.attempts.multi_chain_comparison import MultiChainComparison
from engine.modules.attempts.parallel import Parallel
from engine.modules.attempts.refine import Refine
from engine.modules.chain_of_thought import ChainOfThought
from engine.modules.module import Module
from engine.modules.predict import Predict

__all__ = [
    "Assert", "BestOfN", "ChainOfThought", "Module", "MultiChainComparison", "Parallel",
    "Predict", "Refine", "Suggest", "majority",
    "ProgramOfThought", "ReAct", "Tool", "ToolError", "CodeAct",
]  # fmt: skip
