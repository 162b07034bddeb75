"""MIPROv2 head to head: `python -m bench.mipro --help`; pooled seeds:
`python -m bench.mipro.seeds`."""
