"""Who may use the dashboard. Served on this machine only (127.0.0.1, the default), whoever sits
at it, no sign-in. Served to a team (any other address), only people who signed in through the
team's identity provider (Streamlit's OpenID Connect sign-in, `st.login`) AND are on the team's
list: the `[auth]` table of `.streamlit/secrets.toml` sets up both, the provider and
`allowed_emails` / `allowed_domains` (docs/SCALE.md, "A dashboard for the team"). Without either
it refuses to start (`dashboard.serve`) and to show anything. Whatever the address, a request
addressed to a name the dashboard does not answer to is refused (dashboard/hosts.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import hosts, safe

SHARED = ("redirect_uri", "cookie_secret")  # every provider needs these two
PROVIDER = ("client_id", "client_secret", "server_metadata_url")
ALLOW = ("allowed_emails", "allowed_domains")  # who may enter: whole addresses, or domains
SECRETS = ".streamlit/secrets.toml"
GUIDE = "docs/SCALE.md, section 'A dashboard for the team'"


def _entries(auth: Mapping[str, Any], key: str) -> list[str] | None:
    """The list under `key` in lower case (a single string counts as a list of one); None
    when it is not a list of strings."""
    value = auth.get(key) or []
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return [v.strip().lower().removeprefix("@") if key == "allowed_domains" else v.strip().lower()
            for v in value if v.strip()]  # fmt: skip


def allow_list_problems(auth: Mapping[str, Any]) -> list[str]:
    """What the list of who may enter lacks (one sentence each); [] when it is usable."""
    emails, domains = _entries(auth, "allowed_emails"), _entries(auth, "allowed_domains")
    problems = [
        f"[auth] {key} must be a list of texts, e.g. {key} = [\"{example}\"]."
        for key, found, example in (("allowed_emails", emails, "ana@team.example"),
                                    ("allowed_domains", domains, "team.example"))
        if found is None
    ]  # fmt: skip
    if problems:
        return problems
    if not emails and not domains:
        return [
            "[auth] says no one may enter: list the team in allowed_emails (whole addresses) "
            "or allowed_domains (everyone whose address ends in @ that domain)."
        ]
    if any(e.count("@") != 1 or " " in e or e.endswith("@") for e in emails or []):
        problems.append("[auth] allowed_emails has an entry that is not an e-mail address.")
    if any("@" in d or " " in d or "." not in d for d in domains or []):
        problems.append("[auth] allowed_domains has an entry that is not a domain such as "
                        "team.example.")  # fmt: skip
    return problems


def sign_in_problems(auth: Mapping[str, Any] | None) -> list[str]:
    """What the `[auth]` table lacks for sign-in and for the list of who may enter (one
    sentence each); [] when it is complete. The provider's three settings sit in `[auth]` itself
    or in one named table such as `[auth.microsoft]`."""
    auth = auth or {}
    if not auth:
        return [f"There is no [auth] table in {SECRETS}."]
    problems = [f"[auth] has no {key}." for key in SHARED if not auth.get(key)]
    named = {k: v for k, v in auth.items() if isinstance(v, Mapping)}
    candidates = [auth, *named.values()]
    if not any(all(c.get(key) for key in PROVIDER) for c in candidates):
        problems.append(
            "No identity provider is complete: [auth] (or a table such as [auth.microsoft]) "
            "needs client_id, client_secret and server_metadata_url."
        )
    return problems + allow_list_problems(auth)


def may_enter(user: Mapping[str, Any], auth: Mapping[str, Any]) -> bool:
    """Whether the signed-in `user` is on the list: their e-mail address is listed, or its
    domain is (exactly: `team.example` does not let in `eu.team.example`). An address the
    provider says is not verified does not count."""
    email = str(user.get("email") or "").strip().lower()
    if email.count("@") != 1 or user.get("email_verified") is False:
        return False
    domain = email.rsplit("@", 1)[1]
    return email in (_entries(auth, "allowed_emails") or []) or domain in (
        _entries(auth, "allowed_domains") or []
    )


def provider(auth: Mapping[str, Any]) -> str | None:
    """The provider `st.login` is called with: None for settings in [auth] itself, else the
    first named table that is complete."""
    if all(auth.get(key) for key in PROVIDER):
        return None
    for name, table in auth.items():
        if isinstance(table, Mapping) and all(table.get(key) for key in PROVIDER):
            return name
    return None


def refusal(address: str | None, problems: list[str]) -> str:
    """The words shown (or printed) when a shared dashboard is not set up for its team."""
    where = address or "every network address"
    return (
        f"Tunesmith is being served on {where}, so other computers can reach it, but sign-in "
        "is not set up for your team. It will not open without it, so that only your team can "
        "see runs, data and results. " + " ".join(problems) + f" How to set it up: {GUIDE}. "
        "To use Tunesmith on this computer only, start it with make run (127.0.0.1)."
    )


def secrets_files(root: Path) -> list[Path]:
    """Where Streamlit reads secrets from when started in `root`: the user's, then the
    project's (which wins)."""
    return [Path.home() / SECRETS, root / SECRETS]


def auth_from_files(files: list[Path]) -> dict[str, Any]:
    """The [auth] table the secrets files give (later files override earlier ones)."""
    auth: dict[str, Any] = {}
    for path in files:
        if path.is_file():
            with path.open("rb") as fh:
                auth.update(tomllib.load(fh).get("auth") or {})
    return auth


def auth_secrets() -> dict[str, Any]:
    """The `[auth]` table of the secrets Streamlit loaded ({} when there is none)."""
    try:
        return dict(st.secrets.get("auth") or {})
    except (FileNotFoundError, KeyError, st.errors.StreamlitAPIException):
        return {}


def _foreign_request(auth: Mapping[str, Any]) -> bool:
    """Whether this session's page was reached under a name the dashboard does not answer to
    (checked again here for a dashboard started without `dashboard.serve`). A session without
    a Host header was not opened over HTTP (a test harness): nothing to check."""
    headers = {k.lower(): v for k, v in st.context.headers.items()}
    return "host" in headers and hosts.refused(headers, True, auth)


def guard() -> None:
    """Stop the page unless this viewer may use the dashboard (see the module's words)."""
    address = st.get_option("server.address")
    auth = auth_secrets()
    if _foreign_request(auth):
        st.error(hosts.REFUSED, icon=":material/block:")
        st.stop()
    if hosts.is_loopback(address):
        return
    problems = sign_in_problems(auth)
    if problems:
        st.error(refusal(address, problems), icon=":material/lock:")
        st.stop()
    if not st.user.is_logged_in:
        st.title("Tunesmith")
        st.info("This Tunesmith is shared by your team. Sign in to continue.")
        st.button("Sign in", type="primary", on_click=st.login, args=(provider(auth),))
        st.stop()
    who = st.user.get("email") or st.user.get("name") or "this account"
    if not may_enter(st.user, auth):
        st.title("Tunesmith")
        st.warning(
            f"You are signed in as {safe.md(who)}, which is not on this team's list of who may "
            "use this Tunesmith. Sign out and sign in with your team account, or ask the person "
            "who runs it to add you.",
            icon=":material/block:",
        )
        st.button("Sign out", type="primary", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {safe.md(who)}")
        st.button("Sign out", on_click=st.logout)
