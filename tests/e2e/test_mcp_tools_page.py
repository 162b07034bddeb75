"""An agent step's tools from an MCP server, in a real browser (marked e2e): open the product
agent sample, add "Tools from an MCP server" to its tools, type the command of the tests' MCP
server (tests/engine/mcp_test_server.py, the `mcp` package's FastMCP over stdio), press List
its tools, see the two tools with their descriptions and tick one. No model call is made.
Screenshot 21-agent-mcp-tools goes to docs/screenshots/.
"""

from __future__ import annotations

import sys

import pytest
from browser_tour import ROOT, button, failure_shot, nav, settle, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
SERVER = ROOT / "tests" / "engine" / "mcp_test_server.py"


def test_agent_step_lists_and_picks_mcp_tools(tour_server, browser_page, tmp_path):
    with failure_shot(browser_page, tour_server, tmp_path):
        mcp_tour(tour_server, browser_page)


def mcp_tour(tour_server, page):
    page.set_default_timeout(60_000)
    page.goto(tour_server.url)
    page.wait_for_selector('h1:has-text("Project")')
    settle(page)
    page.locator(".st-key-sample_tidewell_agent button").click()
    page.wait_for_selector('h1:has-text("Data")')
    settle(page)
    nav(page, "Pipeline")

    tools = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Tools the agent")
    tools.locator("input").click()
    page.get_by_role("option").filter(has_text="Tools from an MCP server").first.click()
    page.keyboard.press("Escape")
    settle(page)
    field = page.get_by_role("textbox", name="Command that starts the server")
    field.fill(f"{sys.executable} {SERVER}")
    field.press("Enter")
    settle(page)
    button(page, "List its tools").click()
    page.get_by_text("Look a word up in a small dictionary").wait_for()
    settle(page)
    page.locator('[data-testid="stCheckbox"]').filter(has_text="define").click()
    settle(page)
    page.get_by_text("'pick': ['define']").first.wait_for()  # the code preview has the pick
    checked = page.locator('[data-testid="stCheckbox"] input:checked')
    assert checked.count() == 1
    shot(page, "21-agent-mcp-tools")
