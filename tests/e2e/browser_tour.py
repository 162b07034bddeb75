"""The dashboard tour's tools: a Streamlit server in a temp home (free port, killed afterwards) and
Playwright helpers for Streamlit widgets and screenshots."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR") or ROOT / "docs" / "screenshots")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True, exist_ok=True)
        self.log = home / "streamlit.log"
        full_env = {
            **os.environ,
            "TUNESMITH_HOME": str(home),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        full_env.pop("TUNESMITH_INLINE_WORKER", None)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                # as `make run` starts it: the launcher, with its Host and Origin check
                [sys.executable, "-m", "dashboard.serve", "--address", "127.0.0.1",
                 "--port", str(self.port)],  # fmt: skip
                cwd=str(ROOT),
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"streamlit did not start; log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.stop_workers()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def stop_workers(self) -> None:
        """Stop run workers this server started that are still going (a test failed mid-run)."""
        db = self.home / "tunesmith_data" / "runs.db"
        if not db.is_file():
            return
        from engine.runs.store._store import list_runs

        for run in list_runs(db_path=db):
            if run["status"] in ("queued", "running") and run.get("pid"):
                try:
                    os.kill(int(run["pid"]), signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    pass


def settle(page: Any, timeout: float = 60_000) -> None:
    """Wait until the script run finished (no 'Running…' status widget)."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(300)


def nav(page: Any, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=re.compile(f"{title}$")).click()
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=30_000)
    settle(page)


def button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=False).first


def select(page: Any, label: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `label` (also works for collapsed labels)."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option").filter(has_text=option).first.click()
    settle(page)


def number(page: Any, label: str, value: int) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    settle(page)


def open_tickets_sample(page: Any, sizes: tuple[int, int, int]) -> None:
    """From the Project page: open the support-tickets sample (pipeline and metric come with
    it) and set the train / validation / test split."""
    page.wait_for_selector('h1:has-text("Project")')
    settle(page)
    page.locator(".st-key-sample_support_tickets button").click()
    page.wait_for_selector('h1:has-text("Data")')
    settle(page)
    for label, value in zip(("Train rows", "Validation rows", "Test rows"), sizes, strict=True):
        number(page, label, value)
    page.get_by_text(f"Split: {sizes[0]} train").wait_for()


def shot(page: Any, name: str) -> Path:
    """A screenshot of the whole page (the main area scrolls, so grow the viewport to fit it)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    size = page.viewport_size
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], min(int(height) + 40, 4000))}
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def shot_section(page: Any, top: Any, bottom: Any, name: str, pad: int = 12) -> Path:
    """A screenshot of one part of the page: from the top of locator `top` to the bottom of
    locator `bottom`, across the main column (scrolled into view first)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    top.evaluate(  # to the top of the viewport, below Streamlit's header bar
        "e => { e.scrollIntoView({block: 'start'});"
        " const m = document.querySelector('[data-testid=\"stMain\"]');"
        " if (m) m.scrollBy(0, -80); window.scrollBy(0, -80); }"
    )
    page.wait_for_timeout(500)
    a, b = top.bounding_box(), bottom.bounding_box()
    x0, x1 = min(a["x"], b["x"]) - pad, max(a["x"] + a["width"], b["x"] + b["width"]) + pad
    y0, y1 = a["y"] - pad, b["y"] + b["height"] + pad
    size = page.viewport_size
    if y1 - y0 > size["height"] or y0 < 0 or y1 > size["height"]:
        raise AssertionError(f"{name}: the section ({y1 - y0:.0f}px) does not fit the viewport")
    clip = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
    page.screenshot(path=str(path), clip=clip)
    return path


class failure_shot:  # noqa: N801 - used as a context manager
    """On an exception, a full-page screenshot and where the server log is."""

    def __init__(self, page: Any, server: Server, tmp_path: Path) -> None:
        self.page, self.server, self.path = page, server, tmp_path / "failure.png"

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if kind is not None:
            self.page.screenshot(path=str(self.path), full_page=True)
            print(f"screenshot of the failure: {self.path}; server log: {self.server.log}")
        return False


def stored_run(server: Server, event_type: str) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """The only run of the server's home: (run, candidates, trials, its `event_type` events)."""
    from engine.runs.store._store import candidates, events, get_run, list_runs, trials

    db = server.home / "tunesmith_data" / "runs.db"
    (listed,) = list_runs(db_path=db)
    run_id = listed["id"]
    return (
        get_run(run_id, db_path=db),
        candidates(run_id, db_path=db),
        trials(run_id, db_path=db),
        events(run_id, types=[event_type], db_path=db),
    )
