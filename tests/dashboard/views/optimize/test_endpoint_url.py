"""Issue 37 item 3 on the Optimize page: an endpoint URL (or a model name) holding a key is
refused with a message pointing at the API key box; it never reaches the draft or the project
file. A key typed into another field (an instruction) is refused too and saved masked."""

from __future__ import annotations

from apphelpers import go, k, open_sample, set_sizes, shown

KEY = "s3cr3tVALUE-91xq-opaque"
SK = "sk-test-ENDPOINT-7c1e5a90"
KEYED = f"http://user:{KEY}@llm.example.com/v1"


def _errors(at) -> str:
    return " ".join(shown(e.value) for e in at.error)


def _hosted(app, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-server")
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=k(at, "model_kind")).set_value("hosted").run()
    at.text_input(key=k(at, "model_name")).set_value("openai/gpt-4o-mini").run()
    assert not at.button(key="start_run").disabled
    return at


def test_a_key_in_the_endpoint_url_is_refused(app, home, monkeypatch):
    at = _hosted(app, monkeypatch)
    at.text_input(key=k(at, "api_base")).set_value(KEYED).run()
    errors = _errors(at)
    assert "API key box" in errors and KEY not in errors
    assert at.button(key="start_run").disabled
    task = at.session_state["draft"]["models"]["task"]
    assert task["api_base"] is None and KEY not in str(at.session_state["draft"])
    at.text_input(key=k(at, "api_base")).set_value("http://localhost:11434/v1").run()
    assert at.session_state["draft"]["models"]["task"]["api_base"] == "http://localhost:11434/v1"
    assert not at.button(key="start_run").disabled
    at.text_input(key=k(at, "model_name")).set_value(f"openai/{SK}").run()
    assert "API key box" in _errors(at) and SK not in _errors(at)
    assert at.button(key="start_run").disabled
    assert SK not in str(at.session_state["draft"])
    for path in home.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert KEY not in text and SK not in text, path


def test_a_keyed_endpoint_from_a_project_file_is_dropped_and_keys_are_saved_masked(
    app, home, monkeypatch
):
    at = _hosted(app, monkeypatch)
    draft = at.session_state["draft"]
    draft["models"]["task"]["api_base"] = KEYED  # as a hand-edited project file would hold it
    draft["pipeline"][0]["instructions"] = f"Route the ticket. My key: {SK}"
    at.session_state["draft"] = draft
    at.run()
    errors = _errors(at)
    assert "endpoint URL" in errors and "removed from the project" in errors
    problems = " ".join(shown(w.value) for w in at.warning)  # the project's problems, by place
    assert "Step 1 (instructions): looks like it holds an API key" in problems
    assert "API key box" in problems
    assert KEY not in errors + problems and SK not in errors + problems
    assert at.session_state["draft"]["models"]["task"]["api_base"] is None
    assert not any(b.key == "start_run" and not b.disabled for b in at.button)
    saved = [p.read_text(encoding="utf-8") for p in home.rglob("project.yaml")]
    assert saved and all(KEY not in t and SK not in t for t in saved)
