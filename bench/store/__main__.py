"""`python -m bench.store`: see bench/store/measure.py."""

from bench.store.measure import main

main()
