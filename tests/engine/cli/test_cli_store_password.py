"""Issue 62 item 2: the PostgreSQL password in the store's URL is printed by no CLI command.

Every command that names the store (`run`'s "created (store: ...)", the "no run" errors of
show/cancel/resume/export/summary/predict, an unreachable server) runs as a subprocess against
the suite's real PostgreSQL, with the password in `TUNESMITH_STORE` or in `--db`; the password
must appear in no output and in no file the run leaves, and the store still shows, masked."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from runs_helpers import ROOT, subprocess_env

PASSWORD = "Pw-4f9a-NOT-FOR-EYES-z1"  # the server trusts 127.0.0.1: any password connects


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{host}"


def _cli(home: Path, *args: str, store: str | None = None) -> subprocess.CompletedProcess:
    env = subprocess_env(TUNESMITH_HOME=str(home), TUNESMITH_TEST_LM="scripted_lms:oracle_lm")
    env.pop("TUNESMITH_STORE", None)
    if store is not None:
        env["TUNESMITH_STORE"] = store
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert PASSWORD not in result.stdout + result.stderr, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_no_command_prints_the_store_password(tmp_path: Path, project: Path, postgres_url) -> None:
    url = _with_password(postgres_url)
    masked = url.replace(PASSWORD, "***")
    spec = str(project / "support_tickets.yaml")
    home = tmp_path / "home"

    ran = _cli(home, "run", spec, store=url)
    assert ran.returncode == 0, ran.stderr
    assert f"created (store: {masked})" in ran.stderr
    run_id = json.loads(_cli(home, "runs", "--json", store=url).stdout)[0]["id"]
    by_flag = _cli(home, "runs", "--db", url)
    assert run_id in by_flag.stdout
    assert _cli(home, "show", run_id, store=url).returncode == 0

    for args in (
        ["show", "nosuch"], ["cancel", "nosuch"], ["resume", "nosuch"], ["export", "nosuch"],
        ["summary", "nosuch"], ["show", "nosuch", "--db", url], ["cancel", "nosuch", "--db", url],
        ["resume", "nosuch", "--db", url],
    ):  # fmt: skip
        missing = _cli(home, *args, store=None if "--db" in args else url)
        assert missing.returncode == 2 and "no run 'nosuch'" in missing.stderr, missing.stderr
        if args[0] in ("show", "cancel", "resume"):
            assert f"in {masked}" in missing.stderr, missing.stderr
    csv = project / "support_tickets.csv"
    assert _cli(home, "predict", "nosuch", str(csv), store=url).returncode != 0

    detached = _cli(home, "run", spec, "--detach", store=url)
    assert detached.returncode == 0, detached.stderr
    second = detached.stdout.strip()
    assert _cli(home, "cancel", second, store=url).returncode == 0
    deadline = time.time() + 120
    while time.time() < deadline:
        listed = json.loads(_cli(home, "runs", "--json", store=url).stdout)
        if all(r["status"] not in ("queued", "running") for r in listed):
            break
        time.sleep(1)
    else:
        pytest.fail("the detached run did not end")

    port = urlsplit(url).port
    unreachable = _cli(home, "runs", store=url.replace(f":{port}/", ":1/"))  # nobody listens
    assert unreachable.returncode == 2 and "cannot be reached" in unreachable.stderr

    for path in home.rglob("*"):  # the worker's log, the LM cache, run folders
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_password_given_as_a_url_parameter_is_hidden_too() -> None:
    from engine.runs.store import shown

    url = "postgresql://ts@127.0.0.1:5432/db?sslmode=require&password=hunter2-secret"
    assert "hunter2" not in shown(url)
    assert "password=***" in shown(url) and "sslmode=require" in shown(url)
