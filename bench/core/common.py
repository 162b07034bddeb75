"""Helpers shared by the benchmark scripts: environment, timing statistics, tables, docs.

Import this module before `dspy` or `litellm`: it points DSPy's and Tunesmith's caches at a
fresh temporary directory and keeps litellm offline, so benchmark runs never read a warm
cache left by an earlier run and never touch the network.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
DOCS = REPO / "docs" / "BENCHMARKS.md"  # the summary page; shapes.summary writes a section


def isolate_caches() -> Path:
    """Fresh temp cache dirs for DSPy and Tunesmith; litellm offline. Call before importing them."""
    root = Path(tempfile.mkdtemp(prefix="tunesmith-bench-"))
    os.environ["DSPY_CACHEDIR"] = str(root / "dspy")
    os.environ["TUNESMITH_CACHE_DIR"] = str(root / "tunesmith")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return root


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(ours: float, theirs: float) -> str:
    """`ours/theirs` formatted as `0.42×`, or `n/a`."""
    if not theirs or theirs != theirs or ours != ours:
        return "n/a"
    return f"{ours / theirs:.2f}×"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line describing this machine and the versions compared."""
    cores = os.cpu_count()
    try:
        import dspy

        dspy_version = dspy.__version__
    except ImportError:
        dspy_version = "absent"
    try:
        from importlib.metadata import version

        litellm_version = version("litellm")
    except Exception:  # noqa: BLE001 - purely informational
        litellm_version = "?"
    return (
        f"{platform.machine()}, {cores} cores, no GPU, Python {platform.python_version()}, "
        f"dspy {dspy_version}, litellm {litellm_version}, Tunesmith at {engine_commit()}"
    )


# What a bench writes (bench/results/) and prose (docs/, *.md): changes there are not code a run
# measures, so they do not make a tree dirty for `ran_at`.
OUTPUTS = ("bench/results/", "docs/")
_RAN_AT: str | None = None  # the commit this process's writing bench runs at, once checked


def git(*args: str, repo: Path | None = None) -> str:
    """git's output in `repo` (default: this checkout), or "" when git fails."""
    done = subprocess.run(["git", *args], cwd=repo or REPO, capture_output=True, text=True)
    return done.stdout.rstrip() if done.returncode == 0 else ""  # a status line starts with a space


def uncommitted(repo: Path | None = None) -> list[str]:
    """Paths of `repo` with changes no commit holds (edited, staged, deleted or untracked),
    outside `OUTPUTS` and markdown files: code a run would measure that its commit does not name."""
    paths = []
    for line in git("status", "--porcelain", "--untracked-files=all", repo=repo).splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        if not path.startswith(OUTPUTS) and not path.endswith(".md"):
            paths.append(path)
    return paths


def committed_head(repo: Path | None = None) -> str:
    """`repo`'s HEAD commit (short); a SystemExit naming the uncommitted paths when there are
    any, so no result is written from code that no commit holds."""
    head = git("rev-parse", "--short", "HEAD", repo=repo)
    if not head:
        raise SystemExit(f"refusing to write results: {repo or REPO} is not a git checkout")
    dirty = uncommitted(repo)
    if dirty:
        shown = ", ".join(dirty[:8]) + (f" and {len(dirty) - 8} more" if len(dirty) > 8 else "")
        raise SystemExit(
            f"refusing to write results from uncommitted code ({shown}): commit it (or stash "
            f"it) and run again, so the results name the commit they measured (HEAD {head})"
        )
    return head


def ran_at() -> str:
    """The commit a bench that writes results runs at: checked once per process, at the start
    of every entry that writes (and by `write_section`), refused when the tree is dirty."""
    global _RAN_AT
    if _RAN_AT is None:
        _RAN_AT = committed_head()
    return _RAN_AT


def engine_commit() -> str:
    """The commit this process runs at: `ran_at`'s once checked, else HEAD, marked
    `+uncommitted changes` when the tree has some (a run that writes nothing may)."""
    if _RAN_AT is not None:
        return _RAN_AT
    head = git("rev-parse", "--short", "HEAD") or "unknown commit"
    return head + (" +uncommitted changes" if uncommitted() else "")


def commit_line(commit: str | None) -> str:
    """The section header's line naming the commit (`None`: a run saved before commits were)."""
    return f"**Commit:** `{commit or 'not recorded'}`"


def today() -> str:
    return date.today().isoformat()


def command_line() -> str:
    """The command that ran this script: `python -m bench.x ...`, or its path in the repository."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name.startswith("bench."):
        return " ".join(["python", "-m", spec.name.removesuffix(".__main__"), *sys.argv[1:]])
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(REPO))
    except ValueError:
        script_text = str(script)
    return " ".join(["python", script_text, *sys.argv[1:]])


RESULTS_NOTE = """Written by the bench scripts (`--write` replaces one section, between its
markers); every table comes from one run that measured Tunesmith and the real `dspy` 3.4.1
package in the same process, on the same machine, with the same model and data. Ratios are
Tunesmith / DSPy (below 1 means Tunesmith is faster or cheaper). The summary is
docs/BENCHMARKS.md.
"""


def results_file(name: str) -> Path:
    """The generated results file of a family or study: bench/results/<name>.md."""
    return RESULTS / f"{name}.md"


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key}:begin -->", f"<!-- bench:{key}:end -->"


def _section_pattern(key: str) -> re.Pattern[str]:
    begin, end = _markers(key)
    return re.compile(re.escape(begin) + r"(.*?)" + re.escape(end), re.DOTALL)


def read_section(key: str, text: str) -> str | None:
    """The body of section `key` in a results file's text, or None when it has none."""
    found = _section_pattern(key).search(text)
    return found.group(1) if found else None


def write_section(key: str, title: str, body: str, path: Path) -> None:
    """Insert or replace the section `key` (between HTML comment markers) in the results file
    `path` (`results_file(name)`), which is created with a short header if absent. Refused from
    a dirty tree (`ran_at`)."""
    ran_at()  # never from uncommitted code (entries check at their start; this is the last stop)
    begin, end = _markers(key)
    block = f"{begin}\n## {title}\n\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else f"# Results: {path.stem}\n\n{RESULTS_NOTE}"
    pattern = _section_pattern(key)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")
    print(f"wrote section {key!r} to {path}")
