"""The default run in the browser, timed: the e2e tour (tests/e2e/test_dashboard_tour.py) on a
generated spam/ham CSV of N rows, on the embedded model, with what the Optimize page forecast
before Start beside what the run spent (issue 40 item 3: a ~90-row CSV in under 5 minutes,
inside its default budget, forecast within 25%, in the browser as on the CLI).

    python -m bench.studies.browser_default_run [--rows 90] [--repeat 1]

Screenshots go to a temp folder (docs/screenshots/ stays as the test suite left it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["E2E_SHOTS_DIR"] = str(Path(tmp) / "shots")
        sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]
        from browser_tour import CHROMIUM, CHROMIUM_ARGS, Server
        from playwright.sync_api import sync_playwright
        from test_dashboard_tour import tour

        for n in range(args.repeat):
            work = Path(tmp) / f"run{n}"
            work.mkdir()
            server = Server(work / "home")
            try:
                with sync_playwright() as p:
                    browser = p.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                    )
                    context = browser.new_context(
                        viewport={"width": 1440, "height": 1000}, accept_downloads=True
                    )
                    page = context.new_page()
                    page.set_default_timeout(60_000)
                    measured = tour(server, page, work, rows=args.rows)
                    context.close()
                    browser.close()
            finally:
                server.stop()
            print(json.dumps(measured), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
