"""All data seeds of the MIPROv2 head-to-head together: per seed and pooled.

Reads the `--json` files that `python -m bench.mipro` saved (one per data seed) and prints, per
setup, held-out accuracy and total wall time of each framework for each seed (or how DSPy
died), then pooled over the seeds where both completed: correct answers summed over the
held-out rows, wall time summed.

    python -m bench.mipro.seeds /tmp/mipro_seed0.json /tmp/mipro_seed1.json [...] [--write]
"""

from bench.core.common import isolate_caches

isolate_caches()  # puts the project on sys.path, as the other bench scripts do

from bench.core.seeds import seeds_main  # noqa: E402
from bench.mipro.report import loaded  # noqa: E402

if __name__ == "__main__":
    seeds_main(__doc__, "mipro", "MIPROv2 vs DSPy: all data seeds", loaded)
