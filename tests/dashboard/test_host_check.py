"""Issue 62 item 5, every case an attack (counted in docs/RELIABILITY.md): Host and Origin
headers a DNS-rebinding page (or a lookalike name) sends are refused by dashboard/hosts.py.
The addresses the dashboard does answer to: test_server_config.py. The same against a real
served dashboard and a real browser: tests/e2e/test_foreign_host.py."""

from __future__ import annotations

import ipaddress

import pytest

from dashboard.hosts import host_allowed, hostname, is_loopback, origin_allowed

EVERYWHERE = str(ipaddress.IPv4Address(0))  # the "every address" a team server may bind


@pytest.mark.parametrize(
    "address",
    ["127.attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example",
     "10.0.0.5", EVERYWHERE, "", None, "127.0.0.1:8501", "::", "1.2.3.4"],
)  # fmt: skip
def test_a_name_that_only_starts_like_loopback_is_not_loopback(address: str | None) -> None:
    assert not is_loopback(address)


@pytest.mark.parametrize(
    ("host", "served", "names"),
    [
        ("attacker.example:8501", "127.0.0.1", []),  # DNS rebinding
        ("attacker.example", "127.0.0.1", ["tunesmith.team.example"]),
        ("127.attacker.example:8501", "127.0.0.1", []),
        ("localhost.attacker.example", "127.0.0.1", []),
        ("10.0.0.5:8501", "127.0.0.1", []),
        ("10.0.0.6:8501", "10.0.0.5", []),
        ("localhost:8501", "10.0.0.5", []),
        ("team.example:8501", "10.0.0.5", []),
        ("attacker.example:8501", EVERYWHERE, []),
        ("", "127.0.0.1", []),  # missing, or sent twice
        (None, "127.0.0.1", []),
        ("user@127.0.0.1:8501", "127.0.0.1", []),
        ("127.0.0.1:85x1", "127.0.0.1", []),
        ("127.0.0.1/path", "127.0.0.1", []),
        ("127.0.0.1:8501\nHost: attacker.example", "127.0.0.1", []),
        ("a b", "127.0.0.1", []),
    ],
)
def test_a_foreign_host_is_refused(host, served, names) -> None:
    assert not host_allowed(host, served, names)


@pytest.mark.parametrize(
    ("origin", "host", "names"),
    [
        ("http://attacker.example", "127.0.0.1:8501", []),  # a foreign page, the genuine Host
        ("http://attacker.example:8501", "127.0.0.1:8501", []),
        ("http://127.0.0.1:3000", "127.0.0.1:8501", []),  # another page on this computer
        ("http://localhost:8501", "127.0.0.1:8501", []),  # not the same origin
        ("null", "127.0.0.1:8501", []),  # a sandboxed frame, a file
        ("file://", "127.0.0.1:8501", []),
        ("", "127.0.0.1:8501", []),  # sent twice
        ("https://evil.example", "127.0.0.1:8501", ["tunesmith.team.example"]),
    ],
)
def test_a_websocket_from_a_foreign_page_is_refused(origin, host, names) -> None:
    assert not origin_allowed(origin, host, names)


def test_a_malformed_host_has_no_name() -> None:
    assert hostname("a b") is None and hostname("h:99999") is None and hostname("") is None
