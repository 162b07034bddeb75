"""DSPy's `dspy.teleprompt` import path: `from engine.teleprompt import BootstrapFewShot`."""

from engine.optimizers import *  # noqa: F401,F403
from engine.optimizers import __all__  # noqa: F401
