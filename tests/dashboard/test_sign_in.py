"""A dashboard served beyond this machine asks for sign-in, and will not open without it set
up; on 127.0.0.1 (the default) it opens as before, with no sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from apphelpers import APP, isolated_home
from streamlit import config
from streamlit.testing.v1 import AppTest

from dashboard import serve
from dashboard.access import is_loopback, sign_in_problems

AUTH = {
    "redirect_uri": "http://tunesmith.team.example:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-test",
    "client_id": "tunesmith",
    "client_secret": "test-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def shared(monkeypatch):
    """The dashboard served on every address (a team's server)."""
    before = st.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")  # noqa: S104  (the case under test)
    yield
    config.set_option("server.address", before)


def _app(tmp_path: Path, monkeypatch, auth: dict | None, user: dict | None) -> AppTest:
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


def test_on_this_machine_it_opens_without_sign_in(tmp_path, monkeypatch) -> None:
    at = _app(tmp_path, monkeypatch, auth=None, user=None)
    assert not at.error and "Sign in" not in [b.label for b in at.button]
    assert [b.label for b in at.button]  # the Project page's buttons are there


def test_shared_without_sign_in_set_up_it_refuses(tmp_path, monkeypatch, shared) -> None:
    at = _app(tmp_path, monkeypatch, auth=None, user=None)
    (error,) = at.error
    assert "sign-in is not set up" in error.value and "will not open" in error.value
    assert "make run" in error.value and not at.button  # nothing else on the page


def test_shared_with_half_a_set_up_it_says_what_is_missing(tmp_path, monkeypatch, shared) -> None:
    half = {k: v for k, v in AUTH.items() if k != "cookie_secret"}
    at = _app(tmp_path, monkeypatch, auth=half, user=None)
    (error,) = at.error
    assert "[auth] has no cookie_secret." in error.value and not at.button


def test_shared_asks_a_visitor_to_sign_in(tmp_path, monkeypatch, shared) -> None:
    at = _app(tmp_path, monkeypatch, auth=AUTH, user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.error and "Sign in to continue" in at.info[0].value


def test_shared_opens_for_a_signed_in_person(tmp_path, monkeypatch, shared) -> None:
    user = {"is_logged_in": True, "email": "ana@team.example", "name": "Ana"}
    at = _app(tmp_path, monkeypatch, auth=AUTH, user=user)
    labels = [b.label for b in at.button]
    assert "Sign out" in labels and "Sign in" not in labels and len(labels) > 1
    assert any("Signed in as ana@team.example" in c.value for c in at.sidebar.caption)


def test_named_provider_tables_count() -> None:
    named = {
        "redirect_uri": AUTH["redirect_uri"], "cookie_secret": AUTH["cookie_secret"],
        "microsoft": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
    }  # fmt: skip
    assert sign_in_problems(named) == []
    assert sign_in_problems({}) == ["There is no [auth] table in .streamlit/secrets.toml."]
    assert is_loopback("127.0.0.1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback(None)  # noqa: S104


def test_the_launcher_refuses_to_start_a_shared_dashboard_without_sign_in(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(serve, "ROOT", tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert serve.main(["--address", "0.0.0.0", "--check"]) == 2  # noqa: S104
    assert "sign-in is not set up" in capsys.readouterr().err
    assert serve.main(["--address", "127.0.0.1", "--check"]) == 0
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(
        "[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in AUTH.items()), encoding="utf-8"
    )
    assert serve.main(["--address", "0.0.0.0", "--check"]) == 0  # noqa: S104
