"""Issue 62 item 1 in a real browser: text a model wrote, a user typed or a teammate's run holds
reaches the page as text, never as Markdown or HTML (dashboard/safe.py).

The attack as the probe found it: SIMBA joins the rules the model writes to an instruction
with a blank line, and a rule `![t](http://127.0.0.1:PORT/pixel.png?leak=x) [verify your
account](http://127.0.0.1:PORT/login)` made Chromium fetch the image (the dashboard as Referer)
and show a live link on the Export and Compare pages; an instruction typed with a blank line
did the same. Here such a run is stored as the engine stores one (its events), with a hostile
name, instruction, rule, answers and a failed sibling run whose provider error is hostile too;
the Export, Compare and Run pages open in Chromium; a local pixel server counts requests.
Held: no request reached it, no link or image from the text is in the page, and the text is
shown, character for character. Screenshot: docs/screenshots/security-hostile-text.png.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_tour import ROOT, Server, settle, shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


class _Pixel(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802  (the handler's name)
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pixel() -> Iterator[tuple[int, list[str]]]:
    """A local server that records every request (the attacker's image and login page)."""
    _Pixel.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pixel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], _Pixel.hits
    finally:
        server.shutdown()
        server.server_close()


def hostile(port: int) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    rule = (f"![t]({base}/pixel.png?leak=x) [verify your account]({base}/login) "
            f"<img src='{base}/img.png'> {base}/bare www.attacker.example")  # fmt: skip
    return {
        "typed": f"Route the ticket.\n\n![u]({base}/typed.png) [help]({base}/typed-login)",
        "rule": rule,
        "answer": f"billing ![a]({base}/answer.png)",
        "name": f"Tickets [run]({base}/name) ![n]({base}/name.png)",
        "error": f"Provider said:\n\n![e]({base}/error.png) [reset your key]({base}/reset)",
    }


def store_runs(db: Path, texts: dict[str, str]) -> tuple[str, str]:
    """A finished SIMBA-style run (the start, then a candidate with the model's rule appended
    after a blank line, as SIMBA appends one) and a failed one; their ids."""
    from engine.optimizers.spine import Event
    from engine.runs import create_run, load_spec
    from engine.runs.pipeline import build_program
    from engine.runs.store import RunStore

    spec = load_spec(ROOT / "sample_data" / "support_tickets.yaml")
    spec.name = texts["name"]
    spec.pipeline[0].instructions = texts["typed"]  # what the user typed, blank line and all
    start = build_program(spec).dump_state()
    step = next(iter(start))
    tuned = {step: {**start[step], "signature": {
        **start[step]["signature"], "instructions": f"{texts['typed']}\n\n{texts['rule']}"}}}
    run_id, failed_id = create_run(spec, db), create_run(spec, db)
    def rows(right: int) -> list[dict]:  # the first `right` of 4 rows answered right
        return [{"example_id": f"ex{i}", "index": i, "inputs": {"ticket": f"ticket {i}"},
                 "outputs": {"category": texts["answer"]}, "score": float(i < right),
                 "feedback": texts["rule"]} for i in range(4)]  # fmt: skip

    events = [
        ("candidate", {"hash": "start", "origin": "baseline (student as given)", "state": start}),
        ("trial", {"number": 0, "candidate": "start", "subset": "val", "score": 0.5,
                   "rows": rows(2)}),
        ("candidate", {"hash": "ruled", "origin": f"step 1: rule for {step} from example ex1",
                       "state": tuned, "parents": ["start"]}),
        ("trial", {"number": 1, "candidate": "ruled", "subset": "val", "score": 0.75,
                   "rows": rows(3)}),
        ("best_changed", {"candidate": "ruled", "score": 0.75}),
        ("run_finished", {"baseline_score": 0.5, "best_score": 0.75, "best_candidate": "ruled"}),
    ]  # fmt: skip
    with RunStore(db) as store:
        for seq, (kind, data) in enumerate(events, start=1):
            store.record_event(run_id, Event(seq, kind, float(seq), data))
        store.update_run(run_id, optimizer="SIMBA")
        store.finish_run(run_id, "finished")
        store.finish_run(failed_id, "failed", reason=texts["error"])
    return run_id, failed_id


def test_hostile_text_is_shown_as_text_on_export_compare_and_run(
    browser_page, pixel, tmp_path
) -> None:
    port, hits = pixel
    texts = hostile(port)
    server = Server(tmp_path / "home")
    try:
        run_id, failed_id = store_runs(server.home / "tunesmith_data" / "runs.db", texts)
        page = browser_page
        page.set_default_timeout(60_000)
        seen = {}
        for path, ready in (
            (f"export?run={run_id}", "Chosen instruction"),
            (f"compare?run={run_id}", "Changes"),
            (f"run?run={failed_id}", "The run failed"),
        ):
            page.goto(f"{server.url}/{path}")
            page.get_by_text(ready).first.wait_for()
            settle(page)
            page.wait_for_timeout(1500)  # time for any image the page would load
            seen[path.split("?")[0]] = _dom(page, port)
            if path.startswith("compare"):
                shot(page, "security-hostile-text")
        assert hits == [], hits  # no image fetched, nothing sent to the attacker's server
        for where, (links, images, text) in seen.items():
            assert links == [] and images == [], (where, links, images)
        export, compare, run = seen["export"][2], seen["compare"][2], seen["run"][2]
        for piece in texts["rule"].split(" ") + ["![u](", "[help]("]:
            assert piece in export and piece in compare, piece  # the text, as it was written
        assert texts["name"] in run and "[reset your key](" in run
    finally:
        server.stop()


def _dom(page: Any, port: int) -> tuple[list[str], list[str], str]:
    """(links and images of the page that lead to the attacker's server, the page's text)."""
    links = page.eval_on_selector_all(
        "a[href]", f"els => els.map(e => e.href).filter(h => h.includes(':{port}'))"
    )
    images = page.eval_on_selector_all(
        "img, image", f"els => els.map(e => e.src || e.href?.baseVal || '')"
        f".filter(s => s.includes(':{port}'))",
    )
    text = page.locator('[data-testid="stMain"]').inner_text()
    return links, images, text.replace("\u2060", "")  # the invisible joiners safe.md adds
