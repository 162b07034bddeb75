"""A bench writes results only from committed code and records the commit it ran at
(bench/core/common.py: `committed_head`, `ran_at`, `write_section`), on a real git repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.core import common


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with code, a results file and prose, all committed."""
    root = tmp_path / "repo"
    (root / "bench" / "results").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "engine.py").write_text("SPEED = 1\n")
    (root / "bench" / "results" / "x.md").write_text("# Results: x\n")
    (root / "docs" / "BENCHMARKS.md").write_text("# Benchmarks\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    return root


def test_a_clean_tree_gives_its_commit_and_results_or_prose_keep_it_clean(repo: Path) -> None:
    head = git(repo, "rev-parse", "--short", "HEAD")
    assert common.committed_head(repo) == head
    (repo / "bench" / "results" / "x.md").write_text("# Results: x\n\nnew\n")
    (repo / "bench" / "results" / "runs.jsonl").write_text("{}\n")
    (repo / "docs" / "BENCHMARKS.md").write_text("# Benchmarks, edited\n")
    (repo / "NOTES.md").write_text("prose\n")
    assert common.uncommitted(repo) == []
    assert common.committed_head(repo) == head


@pytest.mark.parametrize("change", ["edited", "untracked", "staged", "deleted"])
def test_uncommitted_code_is_refused_with_its_path_named(repo: Path, change: str) -> None:
    if change == "edited":
        (repo / "engine.py").write_text("SPEED = 2\n")
    elif change == "untracked":
        (repo / "helper.py").write_text("X = 1\n")
    elif change == "staged":
        (repo / "engine.py").write_text("SPEED = 3\n")
        git(repo, "add", "engine.py")
    else:
        (repo / "engine.py").unlink()
    with pytest.raises(SystemExit) as refused:
        common.committed_head(repo)
    named = "helper.py" if change == "untracked" else "engine.py"
    assert "refusing to write results from uncommitted code" in str(refused.value)
    assert named in str(refused.value)


def test_write_section_refuses_a_dirty_tree_and_leaves_the_file_as_it_was(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "REPO", repo)
    monkeypatch.setattr(common, "_RAN_AT", None)
    target = repo / "bench" / "results" / "x.md"
    (repo / "engine.py").write_text("SPEED = 2\n")
    with pytest.raises(SystemExit, match="engine.py"):
        common.write_section("s", "Section", "body", target)
    assert target.read_text() == "# Results: x\n"
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "faster")
    common.write_section("s", "Section", "body", target)
    assert "<!-- bench:s:begin -->\n## Section\n\nbody\n" in target.read_text()
    assert common.ran_at() == common.engine_commit() == git(repo, "rev-parse", "--short", "HEAD")


def test_an_entry_that_writes_refuses_before_it_runs(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`python -m bench.shapes.summary --write` (no model call) from a dirty tree: refused at
    its start, the page it would write untouched."""
    from bench.shapes import summary

    monkeypatch.setattr(common, "REPO", repo)
    monkeypatch.setattr(common, "_RAN_AT", None)
    (repo / "engine.py").write_text("SPEED = 2\n")
    page = tmp_path / "page.md"
    page.write_text("# page\n")
    monkeypatch.setattr(sys, "argv", ["summary", "--write", "--doc", str(page)])
    monkeypatch.setattr(summary, "results_text", lambda name: pytest.fail("it ran"))
    with pytest.raises(SystemExit, match="uncommitted code"):
        summary.main()
    assert page.read_text() == "# page\n"
