"""InferRules (DSPy's name and call shape): BootstrapFewShot, then rules induced from the
training examples added to each predictor's instruction. Not registered: offered for code, not
the pages."""

from engine.optimizers.infer_rules._infer_rules import RULES_HEADING, InferRules

__all__ = ["RULES_HEADING", "InferRules"]
