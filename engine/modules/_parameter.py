"""The marker of a learnable leaf (Predict), below every module that needs to recognize one.

`Module` (walking the tree, saving state) and the constraint frames (`engine.modules.assertions`,
finding the predictor that gets feedback) test `isinstance(x, Parameter)`; `Predict` inherits it.
Keeping the marker here lets them do so without importing `Predict`, which imports `Module`.
"""

from __future__ import annotations


class Parameter:
    """Base of the modules whose state an optimizer learns (demos, instructions): Predict."""
