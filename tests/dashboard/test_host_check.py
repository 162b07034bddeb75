"""Issue 62 item 5: which Host and Origin headers the dashboard answers to (dashboard/hosts.py).
The same refused and allowed against a real served dashboard and a real browser:
tests/e2e/test_foreign_host.py."""

from __future__ import annotations

import ipaddress

import pytest

from dashboard.hosts import host_allowed, hostname, is_loopback, origin_allowed

EVERYWHERE = str(ipaddress.IPv4Address(0))  # the "every address" a team server may bind


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.5.6.7", "localhost", "LOCALHOST", "::1", "[::1]", "localhost."]
)
def test_loopback_is_an_address_literal_or_localhost(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address",
    ["127.attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example",
     "10.0.0.5", EVERYWHERE, "", None, "127.0.0.1:8501", "::", "1.2.3.4"],
)  # fmt: skip
def test_names_that_only_start_like_loopback_are_not(address: str | None) -> None:
    assert not is_loopback(address)


@pytest.mark.parametrize(
    ("host", "served", "names", "allowed"),
    [
        ("127.0.0.1:8501", "127.0.0.1", [], True),
        ("localhost:8501", "127.0.0.1", [], True),
        ("[::1]:8501", "127.0.0.1", [], True),
        ("attacker.example:8501", "127.0.0.1", [], False),  # DNS rebinding
        ("127.attacker.example:8501", "127.0.0.1", [], False),
        ("localhost.attacker.example", "127.0.0.1", [], False),
        ("10.0.0.5:8501", "127.0.0.1", [], False),
        ("tunesmith.team.example", "127.0.0.1", ["tunesmith.team.example"], True),  # a proxy
        ("TUNESMITH.team.example.", "127.0.0.1", ["tunesmith.team.example"], True),
        ("10.0.0.5:8501", "10.0.0.5", [], True),
        ("10.0.0.6:8501", "10.0.0.5", [], False),
        ("localhost:8501", "10.0.0.5", [], False),
        ("team.example:8501", "10.0.0.5", [], False),
        ("10.0.0.5:8501", EVERYWHERE, [], True),  # an IP address cannot be rebound
        ("localhost:8501", EVERYWHERE, [], True),
        ("attacker.example:8501", EVERYWHERE, [], False),
        ("", "127.0.0.1", [], False),
        (None, "127.0.0.1", [], False),
        ("user@127.0.0.1:8501", "127.0.0.1", [], False),
        ("127.0.0.1:85x1", "127.0.0.1", [], False),
        ("127.0.0.1/path", "127.0.0.1", [], False),
        ("127.0.0.1:8501\nHost: attacker.example", "127.0.0.1", [], False),
    ],
)
def test_host_allowed(host, served, names, allowed) -> None:
    assert host_allowed(host, served, names) is allowed


def test_hostname_reads_ports_and_brackets() -> None:
    assert hostname("Example.COM:80") == "example.com" and hostname("[::1]:8501") == "::1"
    assert hostname("a b") is None and hostname("h:99999") is None


@pytest.mark.parametrize(
    ("origin", "host", "names", "allowed"),
    [
        ("http://127.0.0.1:8501", "127.0.0.1:8501", [], True),
        ("http://localhost:8501", "localhost:8501", [], True),
        (None, "127.0.0.1:8501", [], True),  # a program, not a page: its Host is checked
        ("http://attacker.example", "127.0.0.1:8501", [], False),
        ("http://attacker.example:8501", "attacker.example:8501", [], True),  # Host refuses it
        ("http://127.0.0.1:3000", "127.0.0.1:8501", [], False),  # another page on this computer
        ("null", "127.0.0.1:8501", [], False),  # a sandboxed frame, a file
        ("file://", "127.0.0.1:8501", [], False),
        ("", "127.0.0.1:8501", [], False),  # sent twice: refused
        ("https://tunesmith.team.example", "127.0.0.1:8501", ["tunesmith.team.example"], True),
        ("https://evil.example", "127.0.0.1:8501", ["tunesmith.team.example"], False),
    ],
)
def test_origin_allowed(origin, host, names, allowed) -> None:
    assert origin_allowed(origin, host, names) is allowed
