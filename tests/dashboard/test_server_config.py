"""The dashboard server's own settings as Streamlit reads them from `.streamlit/config.toml`."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import hosts
from dashboard.hosts import configured_names, host_allowed, hostname, is_loopback, origin_allowed

ROOT = Path(__file__).resolve().parents[2]
EVERYWHERE = str(ipaddress.IPv4Address(0))


def test_no_full_garbage_collection_after_each_script_run() -> None:
    """Streamlit collects garbage after every script run by default; with the engine loaded,
    that was 39% of the server's CPU while a live Run page redrew, on the cores the embedded
    model's threads need (docs/design/forecast.md, "What watching costs")."""
    read = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('runner.postScriptGC'), config.get_option('server.address'))"
    )
    done = subprocess.run(  # noqa: S603  (this interpreter, fixed code)
        [sys.executable, "-c", read], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "127.0.0.1"]


@pytest.mark.parametrize(
    ("host", "served", "names"),
    [
        ("127.0.0.1:8501", "127.0.0.1", []),  # `make run`, as it prints its address
        ("localhost:8501", "127.0.0.1", []),
        ("[::1]:8501", "127.0.0.1", []),
        ("tunesmith.team.example", "127.0.0.1", ["tunesmith.team.example"]),  # behind a proxy
        ("TUNESMITH.team.example.", "127.0.0.1", ["tunesmith.team.example"]),
        ("10.0.0.5:8501", "10.0.0.5", []),  # `make serve ADDRESS=10.0.0.5`
        ("10.0.0.5:8501", EVERYWHERE, []),  # an IP address cannot be rebound
        ("localhost:8501", EVERYWHERE, []),
    ],
)
def test_the_dashboard_answers_to_its_own_addresses(host, served, names) -> None:
    """The other side of tests/dashboard/test_host_check.py: what is not refused."""
    assert host_allowed(host, served, names)
    assert origin_allowed(f"http://{host.lower()}", host, names)
    assert origin_allowed(None, host, names)  # a program (no Origin): the Host decides


@pytest.mark.parametrize("address", ["127.0.0.1", "127.5.6.7", "localhost", "::1", "[::1]"])
def test_loopback_is_an_address_in_127_8_or_localhost(address: str) -> None:
    assert is_loopback(address)
    assert hostname("Example.COM:80") == "example.com" and hostname("[::1]:8501") == "::1"


def test_names_set_up_for_the_dashboard_come_from_config_and_the_sign_in(monkeypatch) -> None:
    monkeypatch.setattr(hosts.config, "get_option", lambda name: ["tunesmith.team.example"])
    auth = {"redirect_uri": "https://signin.team.example/oauth2callback"}
    assert configured_names(auth) == ["tunesmith.team.example", "signin.team.example"]
