"""Serve the dashboard: `python -m dashboard.serve [--address A] [--port P] [--check]` (what
`make run` and `make serve` start).

On 127.0.0.1 (the default) it opens for whoever sits at this computer. On any other address (a
dashboard for the team) it refuses to start unless sign-in and the list of who may enter are set
up in `.streamlit/secrets.toml` (dashboard/access.py); `--check` only says whether it would
start. Either way it serves the app behind `hosts.HostCheck`, which refuses any request
addressed to a name the dashboard does not answer to (dashboard/hosts.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard import access, hosts

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"


def problems_for(address: str, root: Path) -> list[str]:
    """Why the dashboard started in `root` may not be served on `address` ([] when it may)."""
    if hosts.is_loopback(address):
        return []
    return access.sign_in_problems(access.auth_from_files(access.secrets_files(root)))


def app() -> st.App:
    """The dashboard as an ASGI app, every request passing `hosts.HostCheck` first."""
    return st.App(APP, middleware=[Middleware(hosts.HostCheck, auth=access.auth_secrets)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--check", action="store_true", help="only check, do not start")
    args = parser.parse_args(argv)
    problems = problems_for(args.address, ROOT)
    if problems:
        sys.stderr.write(access.refusal(args.address, problems) + "\n")
        return 2
    if args.check:
        sys.stdout.write(f"ok: the dashboard may be served on {args.address}\n")
        return 0
    os.chdir(ROOT)  # Streamlit reads .streamlit/ (config, secrets) from here
    sys.argv = [sys.argv[0]]  # the app's script gets no arguments of the launcher's
    app().run(config={"server.address": args.address, "server.port": args.port})
    return 0


if __name__ == "__main__":
    sys.exit(main())
