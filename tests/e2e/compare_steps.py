"""Steps on Compare shared by the e2e tests: score the best prompt on a model behind a server
("On other models"), add the board's models to the rows table and download it as CSV, and a
screenshot of that table; and the dashboard started beside llama.cpp's server."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_tour import Server, failure_shot, settle, shot_section

from bench.core.llama_server import LlamaServer, missing_packages


@contextmanager
def dashboard_beside_server(page: Any, tmp_path: Path) -> Iterator[tuple[Server, LlamaServer]]:
    """(dashboard, llama.cpp's server on 127.0.0.1), the dashboard holding the server's key;
    a screenshot if the block fails, both stopped after it. Skipped where the server's
    packages are missing."""
    missing = missing_packages()
    if missing:
        pytest.skip(f"llama.cpp's server cannot run here: missing {', '.join(missing)}")
    with LlamaServer(n_ctx=2048) as llama:
        server = Server(tmp_path / "home", {"OPENAI_API_KEY": llama.api_key})
        try:
            with failure_shot(page, server, tmp_path):
                yield server, llama
        finally:
            server.stop()


def score_on_server(page: Any, model: str, api_base: str) -> None:
    """Score the run's best prompt with `model` at `api_base` and wait for the board."""
    heading = page.get_by_role("heading", name="On other models")
    heading.scroll_into_view_if_needed()
    models = page.get_by_role("combobox", name="Models")
    models.click()
    models.fill(model)
    models.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_label("Server address (only for a model on your own server)").fill(api_base)
    page.get_by_role("button", name="Score on these models").click()
    page.get_by_text("Highest score here").wait_for(timeout=600_000)
    settle(page)


def models_in_rows(page: Any, models: list[str], tmp_path: Path) -> tuple[list[str], list[list]]:
    """Show the held-out rows, add each of `models` from the board as a column, and download
    the table as CSV: (its header, its rows)."""
    page.get_by_test_id("stButtonGroup").get_by_text("Held-out test rows", exact=True).click()
    settle(page)
    picker = page.get_by_role("combobox", name="Add the models from “On other models”")
    picker.scroll_into_view_if_needed()
    for model in models:
        picker.click()
        page.get_by_role("option", name=f"on {model}").click()
        settle(page)
    page.keyboard.press("Escape")
    settle(page)
    download = page.get_by_test_id("stDownloadButton").get_by_role("button", name="Download as CSV")
    with page.expect_download() as info:
        download.click()
    target = tmp_path / "rows.csv"
    info.value.save_as(str(target))
    header, *rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    return header, rows


def shot_rows(page: Any, name: str) -> None:
    """A screenshot of the rows table scrolled to its last columns (the models, after the
    candidates), from its heading down."""
    heading = page.get_by_role("heading", name="Example by example")
    grid = page.locator("[class*='st-key-cmp_matrix_']").first
    grid.wait_for()
    grid.scroll_into_view_if_needed()
    grid.hover()
    page.mouse.wheel(4000, 0)
    page.wait_for_timeout(500)
    shot_section(page, heading, grid, name)
