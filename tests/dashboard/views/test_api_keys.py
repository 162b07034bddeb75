"""An API key typed into the dashboard reaches the worker through its environment only: never the
store, the project files, the exports or the logs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from apphelpers import HERE, ROOT, go, k, open_sample, set_sizes

FAKE_KEY = "sk-test-FAKE-123"


def hosted_model_start(at):
    at = set_sizes(open_sample(at), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    at.text_input(key="api_key_input").set_value(FAKE_KEY).run()
    assert not at.button(key="start_run").disabled
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Run"
    return at


def all_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in folder.rglob("*") if p.is_file()]


def assert_key_nowhere(home: Path, run_id: str) -> None:
    from engine.runs.export import _files as export

    db = home / "tunesmith_data" / "runs.db"
    for path, raw in all_bytes(home):
        assert FAKE_KEY.encode() not in raw, f"API key found in {path}"
    for fmt in export.FORMATS:
        assert FAKE_KEY not in export.export_run(run_id, fmt, db_path=db), fmt


def test_key_never_enters_the_server_env_even_inline(app, home, monkeypatch, tmp_path):
    """With inline workers on (this process runs runs), a run given a typed key still gets a
    process of its own: the shared server's environment never holds the key (issue 62)."""
    import fake_lms

    report = tmp_path / "report.txt"
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:key_checking_oracle")
    monkeypatch.setenv("FAKE_LM_REPORT", str(report))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(ROOT)]))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake_lms.KEY_SEEN.clear()
    before = dict(os.environ)
    at = hosted_model_start(app)
    assert fake_lms.KEY_SEEN == {}  # no worker ran in this process
    def own(env: dict[str, str]) -> dict[str, str]:  # litellm's offline settings aside
        return {k: v for k, v in env.items() if not k.startswith("LITELLM_")}

    assert own(dict(os.environ)) == own(before)  # and the server's environment is unchanged
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    from engine.runs.store import get_run

    db = home / "tunesmith_data" / "runs.db"
    deadline = time.time() + 120
    while time.time() < deadline and get_run(run_id, db_path=db)["status"] in ("queued", "running"):
        time.sleep(0.5)
    assert get_run(run_id, db_path=db)["status"] == "finished"
    assert report.read_text().strip() == "key_in_env=True"  # the run's own process had it
    assert_key_nowhere(home, run_id)
    assert FAKE_KEY not in str(at.session_state["draft"])


def test_key_goes_to_a_detached_worker_env_only(app, home, monkeypatch, tmp_path):
    report = tmp_path / "report.txt"
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:key_checking_oracle")
    monkeypatch.setenv("FAKE_LM_REPORT", str(report))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(ROOT)]))
    monkeypatch.delenv("TUNESMITH_INLINE_WORKER")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = hosted_model_start(app)
    run_id = at.query_params["run"]
    run_id = run_id[0] if isinstance(run_id, list) else run_id
    from engine.runs.store._store import get_run

    db = home / "tunesmith_data" / "runs.db"
    deadline = time.time() + 120
    while time.time() < deadline and get_run(run_id, db_path=db)["status"] in ("queued", "running"):
        time.sleep(0.5)
    run = get_run(run_id, db_path=db)
    assert run["status"] == "finished", run.get("reason")
    assert report.read_text().strip() == "key_in_env=True"
    assert Path(run["log_path"]).is_file()
    assert_key_nowhere(home, run_id)


@pytest.mark.parametrize("field", ["api_key", "key"])
def test_a_spec_cannot_carry_a_key(field):
    from engine.core._errors import SpecError
    from engine.runs.spec._spec import spec_from_text

    text = (ROOT / "sample_data" / "support_tickets.yaml").read_text()
    text = text.replace(
        "    model: local/smollm2-135m", f"    model: local/smollm2-135m\n    {field}: {FAKE_KEY}"
    )
    with pytest.raises(SpecError, match="never saved"):
        spec_from_text(text)
