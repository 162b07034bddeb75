"""Serve the dashboard: `python -m dashboard.serve [--address A] [--port P] [--check]`.

On 127.0.0.1 (the default) it starts as `make run` does. On any other address (a dashboard for
the team) it refuses to start unless sign-in is set up in `.streamlit/secrets.toml` (see
dashboard/access.py); `--check` only says whether it would start.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard.access import auth_from_files, is_loopback, refusal, secrets_files, sign_in_problems

ROOT = Path(__file__).resolve().parents[1]


def problems_for(address: str, root: Path) -> list[str]:
    """Why the dashboard started in `root` may not be served on `address` ([] when it may)."""
    if is_loopback(address):
        return []
    return sign_in_problems(auth_from_files(secrets_files(root)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--check", action="store_true", help="only check, do not start")
    args = parser.parse_args(argv)
    problems = problems_for(args.address, ROOT)
    if problems:
        sys.stderr.write(refusal(args.address, problems) + "\n")
        return 2
    if args.check:
        sys.stdout.write(f"ok: the dashboard may be served on {args.address}\n")
        return 0
    os.chdir(ROOT)  # Streamlit reads .streamlit/ (config, secrets) from here
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
               "--server.address", args.address, "--server.port", str(args.port)]  # fmt: skip
    os.execv(sys.executable, command)  # noqa: S606  (fixed argv)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
