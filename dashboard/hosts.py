"""Which addresses the dashboard answers to, so that no other web page can drive it.

A page on any site can point a name it controls at 127.0.0.1 (DNS rebinding) and then talk to
a dashboard on this computer as if it were that site. The browser still says which name it
asked for (the `Host` header) and, on a websocket, which page opened it (`Origin`). So every
request (HTTP and websocket) is refused unless its Host is the address the dashboard is served
on, or a name set up for it:

- served on this computer only (127.0.0.1, `make run`): `127.0.0.1` (any address in 127/8),
  `::1` and `localhost`, and nothing that merely starts like them (`127.attacker.example`);
- served on one address: that address;
- served on every address: those, and any IP address typed as such (a page cannot rebind
  an IP address, only a name);
- always: the names in Streamlit's `server.allowedHosts` (`.streamlit/config.toml`) and the
  host of `[auth] redirect_uri` (the address the team signs in at, docs/SCALE.md).

A websocket must also come from a page of the dashboard itself: its Origin is the same
`host:port` as its Host, or one of the names set up for it. `HostCheck` refuses the rest
before Streamlit sees them; `dashboard.serve` (what `make run` and `make serve` start) puts it
in front of the app, and `access.guard()` checks the same again inside each page run.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from streamlit import config

_NAME = re.compile(r"[a-z0-9._-]+|[0-9a-f:.]+")  # a DNS name, an IPv4 or IPv6 address
REFUSED = (
    "Tunesmith refused this request: it was addressed to a name this dashboard does not answer "
    "to, as a web page trying to reach it through your browser would be. Open the dashboard at "
    "the address it printed when it started. To reach a team's dashboard under another name, "
    "add that name to server.allowedHosts in .streamlit/config.toml (docs/SCALE.md)."
)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_loopback(address: str | None) -> bool:
    """True for an address only this computer can reach: an IP address in 127.0.0.0/8, `::1`,
    or `localhost`. An empty address means every network interface, so it is not."""
    text = str(address or "").strip().lower().rstrip(".")
    if text == "localhost":
        return True
    ip = _ip(text.strip("[]"))
    return ip is not None and ip.is_loopback


def hostname(host_header: str | None) -> str | None:
    """The name in a Host header (`name`, `name:port`, `[::1]:port`), lower case; None when the
    header is missing or is not just a host and a port."""
    if not host_header:
        return None
    try:
        parts = urlsplit(f"//{host_header.strip()}")
        _ = parts.port  # a port that is not a number is refused too
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    name = parts.hostname.lower().rstrip(".")
    if parts.path or parts.query or parts.fragment or not _NAME.fullmatch(name):
        return None
    return name


def host_allowed(host_header: str | None, served: str | None, names: Iterable[str]) -> bool:
    """Whether a request whose Host header is `host_header` may reach the dashboard served on
    `served` (the server's address), with `names` set up for it."""
    name = hostname(host_header)
    if name is None:
        return False
    if name in {n.strip().lower().rstrip(".") for n in names}:
        return True
    ip, served_ip = _ip(name), _ip(str(served or "").strip("[]"))
    everywhere = not served or (served_ip is not None and served_ip.is_unspecified)
    if is_loopback(name):  # only a page on this computer asks for these
        return everywhere or is_loopback(served)
    if everywhere:
        return ip is not None
    return ip is not None and ip == served_ip


def origin_allowed(origin: str | None, host_header: str | None, names: Iterable[str]) -> bool:
    """Whether a websocket opened by a page of `origin` may reach the dashboard at
    `host_header`: the same host and port, or a name set up for it. No Origin (a program, not a
    browser page) is let through; the Host check still applies to it."""
    if origin is None:
        return True
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if (parts.hostname or "").rstrip(".") in {n.strip().lower().rstrip(".") for n in names}:
        return True
    return parts.netloc.lower() == str(host_header or "").strip().lower()


def configured_names(auth: Mapping[str, Any] | None) -> list[str]:
    """The names set up for the dashboard: `server.allowedHosts` and the host of the sign-in's
    `redirect_uri` (from the `[auth]` table `auth`)."""
    names = [str(n) for n in config.get_option("server.allowedHosts") or []]
    redirect = urlsplit(str((auth or {}).get("redirect_uri") or "")).hostname
    return names + ([redirect] if redirect else [])


def refused(headers: Mapping[str, str], websocket: bool, auth: Mapping[str, Any] | None) -> bool:
    """Whether a request with these headers (lower-case names) must be refused."""
    names = configured_names(auth)
    host = headers.get("host")
    if not host_allowed(host, config.get_option("server.address"), names):
        return True
    return websocket and not origin_allowed(headers.get("origin"), host, names)


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class HostCheck:
    """ASGI middleware: refuses HTTP requests (403, plain words) and websocket handshakes (403)
    that `refused` names, before the app sees them."""

    def __init__(self, app: Callable[..., Awaitable[None]], auth: Callable[[], Any]) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind in ("http", "websocket") and refused(
            _single_headers(scope), kind == "websocket", self.auth()
        ):
            await (_close(send) if kind == "websocket" else _forbid(send))
            return
        await self.app(scope, receive, send)


def _single_headers(scope: dict[str, Any]) -> dict[str, str]:
    """The request's headers by lower-case name; one sent twice reads as "" (refused)."""
    seen: dict[str, list[str]] = {}
    for raw_name, raw_value in scope.get("headers") or []:
        seen.setdefault(raw_name.decode("latin-1").lower(), []).append(raw_value.decode("latin-1"))
    return {name: values[0] if len(values) == 1 else "" for name, values in seen.items()}


async def _forbid(send: Send) -> None:
    body = (REFUSED + "\n").encode("utf-8")
    await send({
        "type": "http.response.start", "status": 403,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


async def _close(send: Send) -> None:
    await send({"type": "websocket.close", "code": 1008})  # before accepting: HTTP 403
