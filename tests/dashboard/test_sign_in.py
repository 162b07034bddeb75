"""A dashboard served beyond this machine asks for sign-in, lets in only the people on the team's
list (issue 62 item 4), and will not open without both set up; on 127.0.0.1 (the default) it
opens as before, with no sign-in."""

from __future__ import annotations

from apphelpers import AUTH, PROVIDER_ONLY, shown, signed_in_app
from streamlit.testing.v1 import AppTest

from dashboard import serve
from dashboard.access import may_enter, sign_in_problems
from dashboard.hosts import is_loopback


def test_on_this_machine_it_opens_without_sign_in(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, auth=None, user=None)
    assert not at.error and "Sign in" not in [b.label for b in at.button]
    assert [b.label for b in at.button]  # the Project page's buttons are there


def test_shared_without_sign_in_set_up_it_refuses(tmp_path, monkeypatch, shared) -> None:
    at = signed_in_app(tmp_path, monkeypatch, auth=None, user=None)
    (error,) = at.error
    assert "sign-in is not set up" in error.value and "will not open" in error.value
    assert "make run" in error.value and not at.button  # nothing else on the page


def test_shared_with_half_a_set_up_it_says_what_is_missing(tmp_path, monkeypatch, shared) -> None:
    half = {k: v for k, v in AUTH.items() if k != "cookie_secret"}
    at = signed_in_app(tmp_path, monkeypatch, auth=half, user=None)
    (error,) = at.error
    assert "[auth] has no cookie_secret." in error.value and not at.button


def test_shared_asks_a_visitor_to_sign_in(tmp_path, monkeypatch, shared) -> None:
    at = signed_in_app(tmp_path, monkeypatch, auth=AUTH, user={"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.error and "Sign in to continue" in at.info[0].value


def _opens(at: AppTest, email: str) -> None:
    labels = [b.label for b in at.button]
    assert "Sign out" in labels and "Sign in" not in labels and len(labels) > 1
    assert any(shown(c.value) == f"Signed in as {email}" for c in at.sidebar.caption)
    assert at.title[0].value == "Project" and not at.warning


def test_shared_opens_for_a_person_of_an_allowed_domain(tmp_path, monkeypatch, shared) -> None:
    user = {"is_logged_in": True, "email": "ben@team.example", "name": "Ben"}
    _opens(signed_in_app(tmp_path, monkeypatch, auth=AUTH, user=user), "ben@team.example")


def test_shared_opens_for_an_allowed_address(tmp_path, monkeypatch, shared) -> None:
    user = {"is_logged_in": True, "email": "ana@partner.example", "email_verified": True}
    _opens(signed_in_app(tmp_path, monkeypatch, auth=AUTH, user=user), "ana@partner.example")


def test_named_provider_tables_count() -> None:
    named = {
        "redirect_uri": AUTH["redirect_uri"], "cookie_secret": AUTH["cookie_secret"],
        "microsoft": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
    }  # fmt: skip
    named |= {"allowed_domains": ["team.example"]}
    assert sign_in_problems(named) == []
    assert sign_in_problems({}) == ["There is no [auth] table in .streamlit/secrets.toml."]
    assert is_loopback("127.0.0.1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback(None)  # noqa: S104


def test_who_may_enter() -> None:
    assert may_enter({"email": "ANA@partner.example"}, AUTH)  # capitals do not matter
    assert may_enter({"email": "x@team.example", "email_verified": True}, AUTH)
    assert may_enter({"email": "x@team.example"}, {"allowed_domains": "@team.example"})
    assert not may_enter({"email": "x@team.example", "email_verified": False}, AUTH)
    assert not may_enter({"email": "x@team.example@evil.example"}, AUTH)
    assert not may_enter({"email": "team.example"}, AUTH)


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
    provider = "[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in PROVIDER_ONLY.items())
    secrets.write_text(provider + 'allowed_domains = ["team.example"]\n', encoding="utf-8")
    assert serve.main(["--address", "0.0.0.0", "--check"]) == 0  # noqa: S104
