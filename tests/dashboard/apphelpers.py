"""Helpers for the dashboard AppTests (widget keys, page switching, page text)."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APP = ROOT / "dashboard" / "app.py"
SAMPLE = ROOT / "sample_data"
AUTH = {  # a team's sign-in set-up (.streamlit/secrets.toml's [auth]); no provider answers it
    "redirect_uri": "http://tunesmith.team.example:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-test",
    "client_id": "tunesmith",
    "client_secret": "test-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    "allowed_emails": ["Ana@Partner.example"],
    "allowed_domains": ["team.example"],
}
PROVIDER_ONLY = {k: v for k, v in AUTH.items() if not k.startswith("allowed_")}


def isolated_home(tmp_path: Path, monkeypatch) -> Path:
    """A TUNESMITH_HOME of its own, the worker inline, the scripted oracle LM, its own cache."""
    folder = tmp_path / "home"
    monkeypatch.setenv("TUNESMITH_HOME", str(folder))
    monkeypatch.setenv("TUNESMITH_INLINE_WORKER", "1")
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:oracle")
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def fresh_app():
    """A fresh AppTest of the dashboard, run once (on the Project page)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def signed_in_app(tmp_path: Path, monkeypatch, auth: dict | None, user: dict | None):
    """The dashboard run once with these `[auth]` secrets and this signed-in `user`."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    isolated_home(tmp_path, monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    if auth is not None:
        at.secrets["auth"] = auth
    if user is not None:
        at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def rev(at) -> int:
    return int(at.session_state["rev"]) if "rev" in at.session_state else 0


def k(at, base: str) -> str:
    """A widget key of the current project revision (forms re-key when a project opens)."""
    return f"{base}_{rev(at)}"


def go(at, page: str):
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def open_sample(at, key: str = "support_tickets"):
    at.button(key=f"sample_{key}").click().run()
    assert not at.exception, at.exception
    return at


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """Markdown as the page reads it where outside text was escaped (dashboard/safe.py): the
    backslash escapes read as their characters, the invisible word joiners dropped."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


def texts(at) -> str:
    """Everything the page says (markdown, captions, alerts, metrics) as it reads, for
    assertions."""
    parts = [
        shown(str(e.value))
        for kind in ("markdown", "caption", "error", "warning", "info", "success")
        for e in getattr(at, kind)
    ]
    parts += [shown(f"{m.label} {m.value}") for m in at.metric]
    parts += [str(c.value) for c in at.code]  # code blocks show their text as it is
    return "\n".join(parts)


def set_sizes(at, train: int, val: int, test: int):
    for base, value in (("train_size", train), ("val_size", val), ("test_size", test)):
        at.number_input(key=k(at, base)).set_value(value)
    at.run()
    return at


def matrix_of(at):
    """The Compare page's rows × candidates table (other tables follow it)."""
    return next(f.value for f in at.dataframe if {"example", "expected"} <= set(f.value.columns))


def run_id_of(at) -> str:
    """The run the page shows (its `?run=`)."""
    value = at.query_params["run"]
    return value[0] if isinstance(value, list) else value


def finished_run(app, monkeypatch=None, lm: str | None = None, sizes=(6, 8, 6), goal=None):
    """The support-tickets sample run to its end (the default optimizer unless `goal`), on
    the test LM `lm` (a `fake_lms` factory) when given."""
    if lm is not None:
        monkeypatch.setenv("TUNESMITH_TEST_LM", lm)
    at = set_sizes(open_sample(app), *sizes)
    go(at, "optimize")
    if goal is not None:
        at.radio(key=f"goal_{at.session_state['rev']}").set_value(goal).run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    return at
