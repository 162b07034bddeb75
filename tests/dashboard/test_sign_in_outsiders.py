"""Issue 62 item 4, every case an attack (counted in docs/RELIABILITY.md): with a public
identity provider anyone in the world can sign in, so a team's dashboard lets in only the
people on its list ([auth] allowed_emails / allowed_domains), and without a usable list it
does not open at all. The people it lets in: test_sign_in.py."""

from __future__ import annotations

import pytest
from apphelpers import AUTH, PROVIDER_ONLY, signed_in_app

from dashboard import serve
from dashboard.access import sign_in_problems


@pytest.mark.parametrize(
    "user",
    [
        {"email": "eve@gmail.example"},  # any account of a public provider
        {"email": "eve@evilteam.example"},  # a domain that only ends like the team's
        {"email": "eve@eu.team.example"},  # a subdomain is not the domain
        {"email": "ben@team.example", "email_verified": False},  # the provider did not check it
        {"email": "ana@partner.example.attacker.example"},
        {"email": "ben@team.example@attacker.example"},
        {"name": "No Address"},  # no e-mail at all
    ],
)
def test_a_person_outside_the_list_sees_nothing(tmp_path, monkeypatch, shared, user) -> None:
    at = signed_in_app(tmp_path, monkeypatch, AUTH, {"is_logged_in": True, **user})
    assert [b.label for b in at.button] == ["Sign out"]  # only the way out
    (warning,) = at.warning
    assert "not on this team's list" in warning.value
    assert [t.value for t in at.title] == ["Tunesmith"] and not at.sidebar.caption
    assert not at.error and not at.dataframe and not at.text_input  # no page content


def test_without_a_list_of_who_may_enter_it_does_not_open(tmp_path, monkeypatch, shared) -> None:
    user = {"is_logged_in": True, "email": "ana@team.example"}
    at = signed_in_app(tmp_path, monkeypatch, PROVIDER_ONLY, user)
    (error,) = at.error
    assert "will not open" in error.value and "allowed_emails" in error.value
    assert not at.button  # nothing else on the page, not even for a signed-in person


@pytest.mark.parametrize(
    ("lists", "says"),
    [
        ({}, "no one may enter"),
        ({"allowed_emails": [], "allowed_domains": []}, "no one may enter"),
        ({"allowed_emails": "ana@team.example", "allowed_domains": 7}, "must be a list"),
        ({"allowed_emails": ["ana"]}, "not an e-mail address"),
        ({"allowed_domains": ["*.team.example", "team"]}, "not a domain"),
    ],
)
def test_a_missing_or_malformed_list_is_refused(lists, says) -> None:
    problems = sign_in_problems({**PROVIDER_ONLY, **lists})
    assert len(problems) == 1 and says in problems[0], problems


def test_the_launcher_refuses_to_start_without_a_list(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(serve, "ROOT", tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    provider = "[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in PROVIDER_ONLY.items())
    secrets.write_text(provider, encoding="utf-8")  # a provider, but no list of who may enter
    assert serve.main(["--address", "10.0.0.5", "--check"]) == 2
    err = capsys.readouterr().err
    assert "no one may enter" in err and "will not open" in err
