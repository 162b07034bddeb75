"""A fake key given through the environment, the dashboard and a spec appears in no file under
the project home (store tables, logs, cache, exports), in no rendered page and no screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_log import observe
from secret_scan import rendered_text, scan_files

ROOT = Path(__file__).resolve().parents[2]
UI_KEY = "sk-test-UIFAKE-5d1c0e"
ENV_KEY = "sk-test-ENVFAKE-9a7b2f"
SPEC_KEY = "sk-test-SPECFAKE-3e4d11"
KEYS = [UI_KEY, ENV_KEY, SPEC_KEY]
PAGES = [
    "project", "data", "pipeline", "metric", "optimize", "run", "compare", "export", "label",
    "versions", "runs",
]  # fmt: skip


def _start_hosted_run(at):
    from apphelpers import go, k, open_sample, set_sizes

    at = set_sizes(open_sample(at), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    at.text_input(key="api_key_input").set_value(UI_KEY).run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    run_id = at.query_params["run"]
    return at, run_id[0] if isinstance(run_id, list) else run_id


def _wait_for_the_end(run_id: str, db: Path) -> None:
    """A run given a typed key has a process of its own, even with inline workers on."""
    import time

    from engine.runs.store import get_run

    deadline = time.time() + 120
    while time.time() < deadline and get_run(run_id, db_path=db)["status"] in ("queued", "running"):
        time.sleep(0.5)
    assert get_run(run_id, db_path=db)["status"] == "finished"


def test_keys_appear_nowhere(app, home: Path, tmp_path: Path, monkeypatch) -> None:
    from apphelpers import go

    from engine.core._errors import SpecError
    from engine.runs.export import _files as export
    from engine.runs.spec._spec import spec_from_text

    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:key_checking_oracle")
    monkeypatch.setenv("PYTHONPATH", f"{ROOT / 'tests' / 'dashboard'}:{ROOT}")  # the run's own
    text = (ROOT / "sample_data" / "support_tickets.yaml").read_text(encoding="utf-8")
    scope = "home, store tables, logs, cache, exports, rendered pages"
    with observe("secret_scan", scope=scope) as seen:
        with pytest.raises(SpecError) as info:  # a key in a spec is refused, not echoed
            spec_from_text(text.replace("  temperature:", f"  api_key: {SPEC_KEY}\n  temperature:"))
        seen.add(scope="the message refusing a key in a spec", files=1,
                 hits=sum(key in str(info.value) for key in KEYS))  # fmt: skip

        at, run_id = _start_hosted_run(app)
        db = home / "tunesmith_data" / "runs.db"
        _wait_for_the_end(run_id, db)
        exports = tmp_path / "exports"
        exports.mkdir()
        for fmt in export.FORMATS:
            (exports / f"export.{fmt}").write_text(export.export_run(run_id, fmt, db_path=db))
        pages = []
        for page in PAGES:
            go(at, page)
            pages.append(rendered_text(at, skip_keys=("api_key_input",)))
        pages.append(str(at.session_state["draft"]))  # the draft the pages edit
        page_hits = [PAGES[i] if i < len(PAGES) else "draft" for i, t in enumerate(pages)
                     for key in KEYS if key in t]  # fmt: skip
        cache = Path(tmp_path / "cache")
        roots = [home, exports] + ([cache] if cache.exists() else [])
        files, hits = scan_files(roots, KEYS)
        seen.add(scope="rendered dashboard pages and the draft (AppTest)", files=len(pages),
                 hits=len(page_hits))  # fmt: skip
        seen.add(scope="home, store tables, logs, cache, exports", files=files, hits=len(hits))
        assert SPEC_KEY not in str(info.value)
        assert run_id in "".join(pages) and "Support ticket routing" in "".join(pages)  # read
        assert not page_hits, f"a key was rendered on {page_hits}"
        assert files >= 5 and not hits, hits


def test_screenshots_hold_no_key() -> None:
    """The screenshots are rendered from the e2e pages; their bytes (and any text chunks) hold
    neither a test key nor any real-looking OpenAI key."""
    shots = sorted((ROOT / "docs" / "screenshots").glob("*.png"))
    with observe("secret_scan", scope="docs/screenshots") as seen:
        files, hits = scan_files(shots, KEYS + ["sk-proj-", "sk-live-"])
        seen.note(files=files, hits=len(hits))
        assert files > 0 and not hits, hits


def test_a_provider_error_that_echoes_the_key_is_not_stored(tmp_path: Path, monkeypatch) -> None:
    """Providers quote the key in auth errors ("Incorrect API key provided: sk-..."); the run
    fails with a message, and the key from the environment is stored nowhere."""
    from engine.core._errors import LMConfigError
    from engine.lm import ScriptedLM
    from engine.runs.export import _files as export
    from engine.runs.process._launch import create_run
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import load_spec

    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)

    def refuse(messages):
        raise LMConfigError(f"AuthenticationError: Incorrect API key provided: {ENV_KEY}.")

    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    db = tmp_path / "store" / "runs.db"
    run_id = create_run(spec, db)
    with observe("secret_scan", scope="store after a provider error quoting the key") as seen:
        status = run_worker(run_id, db, lm_factory=lambda _s: ScriptedLM(by_input=refuse))
        texts = [export.export_run(run_id, fmt, db_path=db) for fmt in ("csv", "spec")]
        files, hits = scan_files([tmp_path], [ENV_KEY])
        seen.note(files=files + len(texts), hits=len(hits) + sum(ENV_KEY in t for t in texts))
        assert status != "finished"
        assert not hits and not any(ENV_KEY in t for t in texts), hits
