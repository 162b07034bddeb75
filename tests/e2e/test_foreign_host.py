"""Issue 62 item 5 against a real dashboard: a web page cannot drive it through DNS rebinding.

The attack: a page on attacker.example points that name at 127.0.0.1, so the victim's browser
sends the dashboard requests (and opens its websocket) with `Host: attacker.example` and
`Origin: http://attacker.example`; the probe got `101 Switching Protocols`. Here the dashboard is
started as `make run` starts it (`python -m dashboard.serve`, tests/e2e/browser_tour.py) and:

- raw HTTP requests and websocket handshakes with a forged Host, a Host that only starts like a
  loopback address, or a foreign Origin get 403, while 127.0.0.1 and localhost get 200 / 101;
- Chromium, told to resolve attacker.example to 127.0.0.1 (the rebinding, done by the
  browser's own resolver rules), gets the refusal instead of the dashboard, and the genuine
  address opens the dashboard;
- a dashboard started with plain `streamlit run dashboard/app.py` (no launcher) shows only the
  refusal to the same rebinding page: the check inside each page run (access.guard).
"""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_tour import CHROMIUM, CHROMIUM_ARGS, ROOT, Server, free_port, settle

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ATTACKER = "attacker.example"


def http_status(port: int, host: str, path: str = "/") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def websocket_status(port: int, host: str, origin: str | None) -> str:
    """The status line the server answers a websocket handshake with."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        + (f"Origin: {origin}\r\n" if origin else "")
        + "\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).split(b"\r\n", 1)[0].decode()


@pytest.fixture
def rebinding_page() -> Iterator[Any]:
    """Chromium resolving attacker.example to 127.0.0.1, as a rebinding attack makes it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    rules = f"--host-resolver-rules=MAP {ATTACKER} 127.0.0.1"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, rules]
        )
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        try:
            yield page
        finally:
            page.context.close()
            browser.close()


def test_the_served_dashboard_refuses_foreign_hosts_and_origins(tmp_path, rebinding_page):
    server = Server(tmp_path / "home")
    port = server.port
    try:
        own = f"127.0.0.1:{port}"
        for host in (own, f"localhost:{port}"):
            status, body = http_status(port, host)
            assert status == 200 and "<html" in body.lower(), (host, status)
        for host in (f"{ATTACKER}:{port}", f"127.{ATTACKER}:{port}", f"localhost.{ATTACKER}"):
            status, body = http_status(port, host)
            assert status == 403 and "refused this request" in body, (host, status, body)
            assert http_status(port, host, "/_stcore/health")[0] == 403
        assert websocket_status(port, own, f"http://{own}").endswith("101 Switching Protocols")
        assert websocket_status(port, f"localhost:{port}", f"http://localhost:{port}").endswith(
            "101 Switching Protocols"
        )
        for host, origin in (
            (ATTACKER, f"http://{ATTACKER}"),  # the probe's handshake
            (f"{ATTACKER}:{port}", f"http://{ATTACKER}:{port}"),
            (own, f"http://{ATTACKER}:{port}"),  # the genuine Host, a foreign page
            (own, "http://127.0.0.1:3000"),  # another page on this computer
            (own, "null"),
        ):
            assert websocket_status(port, host, origin).endswith("403 Forbidden"), (host, origin)

        page = rebinding_page
        response = page.goto(f"http://{ATTACKER}:{port}/")
        assert response is not None and response.status == 403
        assert "refused this request" in page.inner_text("body")
        assert page.locator('[data-testid="stApp"]').count() == 0
        page.goto(server.url)  # the genuine address still opens the dashboard
        page.wait_for_selector('h1:has-text("Project")', timeout=60_000)
        settle(page)
    finally:
        server.stop()


def test_a_dashboard_started_without_the_launcher_shows_a_rebinding_page_nothing(
    tmp_path, rebinding_page
):
    port = free_port()
    env = {**os.environ, "TUNESMITH_HOME": str(tmp_path / "home")}
    env.pop("TUNESMITH_INLINE_WORKER", None)
    proc = subprocess.Popen(  # noqa: S603  (this interpreter, fixed arguments)
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_healthy(port, proc)
        page = rebinding_page
        page.goto(f"http://{ATTACKER}:{port}/")  # Streamlit itself serves the page...
        page.get_by_text("refused this request").wait_for(timeout=60_000)
        settle(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "Project" not in main and "sample" not in main.lower(), main  # ...but not the app
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector('h1:has-text("Project")', timeout=60_000)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _wait_healthy(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not start")
