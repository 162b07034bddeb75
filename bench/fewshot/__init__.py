"""BootstrapFewShot (and WithRandomSearch) head to head: `python -m bench.fewshot --help`."""
