"""Who may use the dashboard. Served on this machine only (127.0.0.1, the default), whoever sits
at it, no sign-in. Served to a team (any other address), only people who signed in through the
team's identity provider: Streamlit's OpenID Connect sign-in (`st.login`), set up in the
`[auth]` table of `.streamlit/secrets.toml`. Without that set-up it refuses to show anything.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import safe

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SHARED = ("redirect_uri", "cookie_secret")  # every provider needs these two
PROVIDER = ("client_id", "client_secret", "server_metadata_url")
SECRETS = ".streamlit/secrets.toml"
GUIDE = "docs/SCALE.md, section 'A dashboard for the team'"


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach. An empty address means every network
    interface (Streamlit's default), so it is not."""
    return bool(address) and (address in LOOPBACK or str(address).startswith("127."))


def sign_in_problems(auth: Mapping[str, Any] | None) -> list[str]:
    """What the `[auth]` table lacks for sign-in (one sentence each); [] when it is complete.
    The provider's three settings sit in `[auth]` itself or in one named table such as
    `[auth.microsoft]`."""
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
    return problems


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
    """The words shown (or printed) when a shared dashboard has no sign-in set up."""
    where = address or "every network address"
    return (
        f"Tunesmith is being served on {where}, so other computers can reach it, but sign-in "
        f"is not set up. It will not open without it, so that only your team can see runs, "
        f"data and results. " + " ".join(problems) + f" How to set it up: {GUIDE}. "
        "To use Tunesmith on this computer only, start it with `make run` (127.0.0.1)."
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


def _auth_secrets() -> dict[str, Any]:
    try:
        return dict(st.secrets.get("auth") or {})
    except (FileNotFoundError, KeyError, st.errors.StreamlitAPIException):
        return {}


def guard() -> None:
    """Stop the page unless this viewer may use the dashboard (see the module's words)."""
    address = st.get_option("server.address")
    if is_loopback(address):
        return
    auth = _auth_secrets()
    problems = sign_in_problems(auth)
    if problems:
        st.error(refusal(address, problems), icon=":material/lock:")
        st.stop()
    if not st.user.is_logged_in:
        st.title("Tunesmith")
        st.info("This Tunesmith is shared by your team. Sign in to continue.")
        st.button("Sign in", type="primary", on_click=st.login, args=(provider(auth),))
        st.stop()
    with st.sidebar:
        who = st.user.get("email") or st.user.get("name") or "signed in"
        st.caption(f"Signed in as {safe.md(who)}")
        st.button("Sign out", on_click=st.logout)
