"""DSPy's `dspy.dsp.utils` path (see `engine.dsp.utils.settings`)."""
