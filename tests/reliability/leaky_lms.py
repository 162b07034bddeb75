"""A worker LM hook that leaks its key every way a provider library might: printed to stdout,
written to stderr, logged, and quoted in the authentication error it raises."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from engine.lm.lm import LM, Usage


class LeakyLM(LM):
    """Every call prints, logs and raises the OPENAI_API_KEY it was given."""

    def _complete(
        self, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[str], Usage]:
        key = os.environ.get("OPENAI_API_KEY", "")
        print(f"debug: sending request with api_key={key}")  # noqa: T201  (the leak under test)
        sys.stderr.write(f"warning: key {key[:6]}")  # a key split across two writes
        sys.stderr.write(f"{key[6:]} is about to expire\n")
        logging.getLogger("leaky.provider").warning("request headers: Bearer %s", key)
        raise _auth_error(f"Incorrect API key provided: {key}")


def _auth_error(message: str) -> Exception:
    from engine.lm._litellm import get_litellm

    litellm = get_litellm()
    return litellm.AuthenticationError(message=message, model="openai/leaky", llm_provider="openai")


def leaky_lm(spec: Any) -> LeakyLM:
    """Worker hook (TUNESMITH_TEST_LM=leaky_lms:leaky_lm)."""
    return LeakyLM("openai/leaky", num_retries=0, cache=False)
