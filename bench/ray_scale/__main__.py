"""`python -m bench.ray_scale`: see bench/ray_scale/measure.py."""

from bench.ray_scale.measure import main

main()
