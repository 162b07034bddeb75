"""Framework overhead per call with an instant LM: `python -m bench.overhead --help`."""
