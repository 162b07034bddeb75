"""The default run in the browser, timed: the e2e tour (tests/e2e/test_dashboard_tour.py) on a
generated spam/ham CSV of N rows, on the embedded model, with what the Optimize page forecast
before Start beside what the run spent (issue 40 item 3: a ~90-row CSV in under 5 minutes,
inside its default budget, forecast within 25%, in the browser as on the CLI).

    python -m bench.studies.browser_default_run [--rows 90] [--seed 0] [--repeat 1] [--cli-too]

`--seed` is the messages' generator seed: 0 (the default) is the message set the forecast's
levers were chosen on, which every recorded run of this study used (bench/DATA.md); the suite's
tour runs on its own seed (`TOUR_SEED`).

`--cli-too` then runs the same spec (same rows, seed and budget) with `python -m engine run` in
a fresh store and LM cache, so the browser's time is compared with the CLI's on the same work.

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
    parser.add_argument("--seed", type=int, default=0, help="the messages' generator seed")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cli-too", action="store_true", help="the same spec on the CLI after")
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
                    measured = tour(server, page, work, rows=args.rows, seed=args.seed)
                    context.close()
                    browser.close()
            finally:
                server.stop()
            print(json.dumps(measured), flush=True)
            if args.cli_too:
                print(json.dumps(same_spec_on_the_cli(server.home, work / "cli")), flush=True)
    return 0


def same_spec_on_the_cli(home: Path, work: Path) -> dict:
    """The browser run's spec run again by `python -m engine run` in a fresh home (no cache)."""
    import subprocess

    from engine.runs import save_spec
    from engine.runs.export import run_spec
    from engine.runs.store import get_run, list_runs

    run = get_run(list_runs(db_path=home / "tunesmith_data" / "runs.db")[0]["id"],
                  db_path=home / "tunesmith_data" / "runs.db")  # fmt: skip
    spec = run_spec(run)
    spec.data.csv = str(Path(run.get("base_dir") or ".") / spec.data.csv)
    work.mkdir(parents=True)
    path = save_spec(spec, work / "spec.yaml")
    env = {**os.environ, "TUNESMITH_HOME": str(work)}
    env.pop("TUNESMITH_CACHE_DIR", None)
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "engine", "run", str(path), "--allow-outside-data"], cwd=ROOT,
        env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    db = work / "tunesmith_data" / "runs.db"
    done = get_run(list_runs(db_path=db)[0]["id"], db_path=db)
    usage = done.get("usage") or {}
    return {
        "where": "cli, same spec",
        "calls": int(usage.get("uncached_calls") or 0),
        "seconds": (done.get("finished_at") or 0) - (done.get("started_at") or 0),
        "status": done["status"],
    }


if __name__ == "__main__":
    sys.exit(main())
