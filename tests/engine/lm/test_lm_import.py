"""Importing engine.lm must stay cheap: no litellm, no llama_cpp, no network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_import_engine_lm_does_not_import_litellm():
    code = (
        "import sys, engine.lm\n"
        "from engine.lm import LM, ScriptedLM\n"
        "ScriptedLM(answers=['x'])('hi')\n"
        "LM('openai/gpt-4o-mini')\n"
        "heavy = [m for m in ('litellm', 'llama_cpp', 'openai', 'httpx') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_get_litellm_is_offline_and_quiet():
    code = (
        "import os\n"
        "from engine.lm._litellm import get_litellm\n"
        "litellm = get_litellm()\n"
        "assert os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] == 'True'\n"
        "assert litellm.telemetry is False and litellm.suppress_debug_info is True\n"
        "assert any(p['provider'] == 'local' for p in litellm.custom_provider_map)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
