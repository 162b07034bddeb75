"""The leaderboard for real: a run's program on the embedded model and on the same weights
served by llama.cpp's own OpenAI-compatible server on 127.0.0.1 (reached through litellm's
`openai/` provider like any hosted model), fresh calls on the same held-out rows; and the CLI
printing it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, subprocess_env
from scripted_lms import oracle_lm

from bench.core.llama_server import LlamaServer, missing_packages
from engine.runs import create_run, load_spec
from engine.runs.process.worker import run_worker
from engine.runs.results import leaderboard
from engine.runs.spec import spec_from_dict

pytestmark = [pytest.mark.real_lm, pytest.mark.slow]
MISSING = missing_packages()


@pytest.fixture(scope="module")
def server():
    if MISSING:
        pytest.skip(f"llama.cpp's server cannot run here: missing {', '.join(MISSING)}")
    with LlamaServer(n_ctx=2048) as running:
        yield running


def test_the_embedded_model_and_its_served_twin(server, db_path: Path, project: Path,
                                                 monkeypatch) -> None:  # fmt: skip
    spec = load_spec(project / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=6)
    spec["optimizer"] = {"name": "LabeledFewShot", "params": {"k": 3}}
    spec["models"] = {"task": {"model": "local/smollm2-135m", "max_tokens": 32}}
    run_id = create_run(spec_from_dict(spec, base_dir=project), db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"  # the program
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    embedded, served = leaderboard(run_id, [server.model], db_path=db_path,
                                   api_base=server.api_base)  # fmt: skip
    assert embedded.model == "local/smollm2-135m" and served.model == server.model
    assert embedded.n == served.n == 6
    assert embedded.calls >= 6 and served.calls >= 6  # every row asked afresh
    assert served.off_list == 0  # the server kept its replies to the labels (a reply schema)
    assert served.versus is not None and served.versus["n"] == 6
    assert served.tokens_per_1000 > 0 and served.p95 >= served.p50 > 0

    env = subprocess_env(TUNESMITH_HOME=str(db_path.parent.parent / "home"),
                         OPENAI_API_KEY=server.api_key)  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "engine", "leaderboard", run_id, "--db", str(db_path),
         "--model", server.model, "--api-base", server.api_base, "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["model"] for r in rows] == ["local/smollm2-135m", server.model]
    assert server.api_key not in out.stdout + out.stderr
