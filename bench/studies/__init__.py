"""One-off studies, each run as `python -m bench.studies.<name> --help`."""
