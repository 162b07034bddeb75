"""The hosted-model path against a fake OpenAI server: `python -m bench.hosted --help`."""
