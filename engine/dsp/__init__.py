"""DSPy's legacy `dspy.dsp` path, kept for imports such as
`from dspy.dsp.utils.settings import settings`: `engine.dsp.utils.settings` is `engine.core`."""
