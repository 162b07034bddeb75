"""DSPy's `dspy.teleprompt` path: `from engine.teleprompt import BootstrapFewShot`.

Every optimizer of `engine.optimizers`, DSPy 2.x's `MIPRO` and `BayesianSignatureOptimizer`
included (they warn once that they are old names).
"""

from engine.optimizers import *  # noqa: F401,F403
from engine.optimizers import __all__  # noqa: F401
from engine.teleprompt.bootstrap_trace import bootstrap_trace_data  # noqa: E402,F401
