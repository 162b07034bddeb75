"""The embedded runtime: which GGUF files a `local/...` model reads (the shipped weights, the
Q8_0 copy written once), whether the installed llama-cpp-python build runs on this machine
(probed in a child process), and set-up's smoke test."""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.lm.local.runtime._files import (
    local_model_available, local_runtime_available, PROVIDER, SMOLLM2, smollm2_path,
)
from engine.lm.local.runtime._requant import models_dir, quiet_llama, requantized_q8, rewrite_gguf
from engine.lm.local.runtime._runtime import (
    cpu_flags, describe_signal, ensure_runtime_runs, import_llama_cpp, library_dir,
    machine_read_speed,
)
from engine.lm.local.runtime._smoke import main
from engine.lm.local.runtime._weights import (
    default_weights_name, ensure_local_ready, local_model_path,
)

__all__ = [
    "cpu_flags", "default_weights_name", "describe_signal", "ensure_local_ready",
    "ensure_runtime_runs", "import_llama_cpp", "library_dir", "local_model_available",
    "local_model_path", "local_runtime_available", "machine_read_speed", "main", "models_dir",
    "PROVIDER", "quiet_llama", "requantized_q8", "rewrite_gguf", "SMOLLM2", "smollm2_path",
]  # fmt: skip
