"""Browser helpers for the dashboard tour (Playwright driving a Streamlit server)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


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
