"""What watching a run live costs the machine: CPU seconds per second of the dashboard server
and of the browser while the Run page follows a run (issue 40: the default run took 4.2 min on
the CLI and ~5 min watched in the browser, on 2 cores).

The run's worker answers with a scripted LM that sleeps per call (no CPU of its own), so what is
measured is the page: the server's reruns of the live view and Chromium drawing them. The
worker's own CPU is reported beside it.

    python -m bench.studies.live_view_cost [--seconds 60] [--latency 0.25]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")
LATENCY_ENV = "LIVE_VIEW_COST_LATENCY"


def slow_oracle(spec: Any) -> Any:
    """A scripted LM that answers the step's first choice after sleeping
    `$LIVE_VIEW_COST_LATENCY` seconds per call (a model's time, none of its CPU)."""
    from engine.lm.scripted import ScriptedLM

    latency = float(os.environ.get(LATENCY_ENV, "0.25"))
    out_field = spec.pipeline[-1].outputs[0]
    first = out_field.choices[0] if out_field.choices else "unknown"

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        time.sleep(latency)
        return {out_field.name: first}

    return ScriptedLM(by_input=answer, name="slow")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def worker_cpu(pid: int | None) -> float:
    """CPU seconds of the worker and its children (the supervisor starts the worker under it)."""
    if not pid:
        return 0.0
    kids = Path(f"/proc/{pid}/task/{pid}/children")
    children = [int(c) for c in kids.read_text().split()] if kids.exists() else []
    return cpu_seconds(pid) + sum(worker_cpu(c) for c in children)


def pids_matching(word: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if word in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--latency", type=float, default=0.25)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from browser_tour import CHROMIUM, CHROMIUM_ARGS, Server  # the e2e tests' browser, server

    from engine.runs import create_run, launch_run, load_spec

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        home = Path(tmp)
        lm_env = {
            "TUNESMITH_HOME": str(home),
            "TUNESMITH_TEST_LM": "bench.studies.live_view_cost:slow_oracle",
            LATENCY_ENV: str(args.latency),
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(lm_env)  # the worker this process launches reads them too
        db = home / "tunesmith_data" / "runs.db"
        db.parent.mkdir(parents=True)
        spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
        spec.optimizer.budget.max_calls = spec.optimizer.budget.max_minutes = None
        run_id = create_run(spec, db)
        worker = launch_run(run_id, db, inline=False)
        server = Server(home, lm_env)  # stops the run's worker too when it stops
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(f"{server.url}/run?run={run_id}")
                page.wait_for_selector(".js-plotly-plot", timeout=120_000)
                chrome = pids_matching("chromium")

                def used() -> dict[str, float]:
                    return {
                        "server": cpu_seconds(server.proc.pid),
                        "browser": sum(cpu_seconds(pid) for pid in chrome),
                        "worker": worker_cpu(worker),
                    }

                before, started = used(), time.monotonic()
                while time.monotonic() - started < args.seconds:
                    page.wait_for_timeout(1000)
                wall = time.monotonic() - started
                live = page.locator(".ts-chip").first.inner_text()
                after = used()
                browser.close()
        finally:
            server.stop()
        from engine.runs import trials

        scored = len(trials(run_id, db_path=db))
        print(
            f"watched {wall:.0f} s of a live run (scripted LM, {args.latency} s per call); "
            f"status chip at the end: {live!r}, {scored} trials scored"
        )
        for name in ("server", "browser", "worker"):
            used = after[name] - before[name]
            print(f"{name:8s} {used:6.1f} CPU s = {used / wall:.2f} of a core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
