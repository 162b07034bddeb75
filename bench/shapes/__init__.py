"""The signature-shape matrix: `python -m bench.shapes --help`; at a glance:
`python -m bench.shapes.summary`."""
