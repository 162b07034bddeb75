"""The exported program's Python source (`import engine as dspy`, or `import dspy`).

`generate_python` writes a spec's pipeline (and its tuned state) as a standalone module;
`render_program` is the same without the final masking, with an optional `tail` (the KNNFewShot
export); `py_literal` writes plain data as a Python expression.
"""

from engine.runs.export.codegen._names import py_literal
from engine.runs.export.codegen._program import generate_python, render_program

__all__ = ["generate_python", "py_literal", "render_program"]
