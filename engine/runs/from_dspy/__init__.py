"""A program saved by DSPy brought in as a project spec: its saved JSON (instructions, demos)
and its signatures (strings, or a .py file read from its syntax tree, never run).
"""

from engine.runs.from_dspy._build import ImportedProgram, import_dspy
from engine.runs.from_dspy._shapes import ImportProblem

__all__ = ["ImportedProgram", "ImportProblem", "import_dspy"]
