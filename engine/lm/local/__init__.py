"""The embedded model: GGUF files run in-process by llama-cpp-python, as litellm provider `local`.

Its modules, bottom up: `_files` (where the GGUF files are), `_runtime` (whether the installed
llama-cpp-python build runs here, probed in a child: `_runtime_probe`; the one door to
llama_cpp), `_requant` and `_weights` (the Q8_0 copy a model reads), `_chat`, `_prefixes`,
`_numbers`, `_closed_logits`, `_drafted` and `_sections` (how replies are written, reading the
caller's `engine.core._reply_hints`), `_model` (a loaded model's chat), `_embed` (embeddings) and
`_provider` (the litellm provider). `python -m engine.lm.local` runs set-up's smoke test.

Importing this package never imports litellm or llama_cpp; the first real call does.
"""

from engine.lm.local._chat import chat_formatter, render_prompt, text_tokens
from engine.lm.local._embed import embed_local_counted, load_local_embedder
from engine.lm.local._media import refuse_media
from engine.lm.local._model import MAX_THREADS, N_CTX, LocalModel, load_local_model, pick_threads
from engine.lm.local._provider import register_local_provider
from engine.lm.local.runtime import (
    PROVIDER,
    SMOLLM2,
    cpu_flags,
    default_weights_name,
    describe_signal,
    ensure_local_ready,
    ensure_runtime_runs,
    import_llama_cpp,
    library_dir,
    local_model_available,
    local_model_path,
    local_runtime_available,
    machine_read_speed,
    models_dir,
    quiet_llama,
    requantized_q8,
    rewrite_gguf,
    smollm2_path,
)

__all__ = [
    "pick_threads",
    "refuse_media",
    "MAX_THREADS",
    "N_CTX",
    "PROVIDER",
    "SMOLLM2",
    "LocalModel",
    "cpu_flags",
    "default_weights_name",
    "describe_signal",
    "embed_local_counted",
    "chat_formatter",
    "ensure_local_ready",
    "ensure_runtime_runs",
    "import_llama_cpp",
    "library_dir",
    "load_local_embedder",
    "load_local_model",
    "machine_read_speed",
    "local_model_available",
    "local_model_path",
    "local_runtime_available",
    "register_local_provider",
    "models_dir",
    "quiet_llama",
    "render_prompt",
    "requantized_q8",
    "rewrite_gguf",
    "smollm2_path",
    "text_tokens",
]
