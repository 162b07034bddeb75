"""Checks that a model can be used, made before a run spends anything: no LM call is made.

- `local/...`: the GGUF file and llama-cpp-python are there;
- `scripted/...`: test LMs, always usable;
- a hosted model: litellm knows its provider, the provider's key is in the environment (or
  passed in memory), and an `api_base`, if given, accepts a connection.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from engine.core import LMConfigError, ProviderUnreachableError
from engine.lm.base_lm import BaseLM
from engine.lm.calls.error_map import MODEL_NAME_HINT
from engine.lm.lm import LM
from engine.lm.local import ensure_local_ready

CONNECT_TIMEOUT = 3.0
_KEY_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN")
_ENV_LOCK = threading.Lock()
_NO_KEY_PROVIDERS = frozenset({"ollama", "ollama_chat", "lm_studio", "hosted_vllm", "llamafile"})


def check_model(model: str, *, api_base: str | None = None, api_key: str | None = None) -> None:
    """Raise LMConfigError / ProviderUnreachableError naming the model and the fix."""
    if not isinstance(model, str) or "/" not in model:
        raise LMConfigError(f"Model {model!r} is not a model name; {MODEL_NAME_HINT}.")
    provider = model.split("/", 1)[0].strip().lower()
    if provider == "scripted":
        return
    if provider == "local":
        ensure_local_ready(model)
        return
    _check_provider(model)
    if api_base:
        _check_reachable(model, api_base)
    elif not (api_key or "").strip() and provider not in _NO_KEY_PROVIDERS:
        _check_key(model, provider)  # a key given as "" is no key


def _check_provider(model: str) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    try:
        litellm.get_llm_provider(model)
    except Exception as exc:  # noqa: BLE001  (litellm raises several kinds here)
        raise LMConfigError(
            f"Model {model!r}: litellm does not know the provider {model.split('/')[0]!r}; "
            f"{MODEL_NAME_HINT}."
        ) from exc


def _check_key(model: str, provider: str) -> None:
    import litellm

    try:
        with _blank_keys_hidden():
            missing = litellm.validate_environment(model).get("missing_keys") or []
    except Exception:  # noqa: BLE001  (no opinion from litellm: let the call tell)
        return
    if missing:
        names = " or ".join(missing)
        raise LMConfigError(
            f"Model {model!r} needs an API key: set {names} in the environment (the dashboard "
            "also takes it on the Optimize page; keys are never saved)."
        )


@contextmanager
def _blank_keys_hidden() -> Iterator[None]:
    """Hide key variables set to blank while litellm looks (it counts `OPENAI_API_KEY=""` as
    set, and the call would then fail at the provider instead of here)."""
    with _ENV_LOCK:
        blank = [k for k, v in os.environ.items() if k.endswith(_KEY_SUFFIXES) and not v.strip()]
        saved = {k: os.environ.pop(k) for k in blank}
        try:
            yield
        finally:
            os.environ.update(saved)


def _check_reachable(model: str, api_base: str) -> None:
    url = urlparse(api_base if "://" in api_base else f"http://{api_base}")
    host = url.hostname
    if not host:
        raise LMConfigError(f"Model {model!r}: api_base {api_base!r} is not a URL.")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise ProviderUnreachableError(
            f"Model {model!r}: nothing answers at {api_base} ({exc.strerror or exc}). Start the "
            "server, or correct api_base."
        ) from exc


def check_lms(*lms: Any) -> None:
    """Fail before any LM call when a given model cannot be used (unknown, no key, ...). An LM
    class of the caller's own that answers calls itself (overrides `__call__`, or a `BaseLM`
    with its `forward`) is not checked: its model name need not mean anything to litellm."""
    for lm in lms:
        if lm is not None and hasattr(lm, "model") and not _answers_itself(lm):
            check_model(
                lm.model,
                api_base=getattr(lm, "api_base", None),
                api_key=getattr(lm, "api_key", None),
            )


def _answers_itself(lm: Any) -> bool:
    return isinstance(lm, BaseLM) or (isinstance(lm, LM) and type(lm).__call__ is not LM.__call__)
