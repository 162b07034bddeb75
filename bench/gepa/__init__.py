"""GEPA head to head: `python -m bench.gepa --help`; pooled seeds: `python -m bench.gepa.seeds`."""
