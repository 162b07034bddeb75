"""An optimizer registered from its own module only appears everywhere an optimizer does: spec
validation, the CLI, the worker, the Optimize page (its settings drawn from its schema) and
the Run page (its event's view)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine.optimizers import registry
from engine.runs import spec_from_dict

ROOT = Path(__file__).resolve().parents[2]
DASH = ROOT / "tests" / "dashboard"
sys.path.insert(0, str(DASH))  # apphelpers, fake_lms

from apphelpers import fresh_app, go, isolated_home, k, open_sample, set_sizes, texts  # noqa: E402


def sample_spec(**optimizer) -> dict:
    spec = yaml.safe_load((ROOT / "sample_data" / "support_tickets.yaml").read_text())
    spec["data"]["csv"] = str(ROOT / "sample_data" / "support_tickets.csv")
    spec["optimizer"] = optimizer
    return spec


def test_spec_validation_knows_it_by_name_alias_and_schema(first_rows):
    assert registry.get("first-rows").factory is first_rows.FirstRows
    spec = spec_from_dict(sample_spec(name="first_rows", params={"k": 3}))
    assert spec.optimizer.name == "FirstRows"
    with pytest.raises(ValueError, match="k must be int"):
        spec_from_dict(sample_spec(name="FirstRows", params={"k": "three"}))
    assert "FirstRows" in registry.names()


def test_unknown_names_list_it(first_rows):
    with pytest.raises(ValueError, match="FirstRows"):
        spec_from_dict(sample_spec(name="last_rows"))


def test_the_cli_validates_and_estimates_a_spec_that_names_it(first_rows, tmp_path):
    path = tmp_path / "spec.yaml"
    spec = sample_spec(name="first_rows", params={"k": 2})
    (tmp_path / "tickets.csv").write_bytes(Path(spec["data"]["csv"]).read_bytes())
    spec["data"]["csv"] = "tickets.csv"
    path.write_text(yaml.safe_dump(spec))
    for command in ("validate", "estimate"):
        out = subprocess.run(
            [sys.executable, "-m", "engine", command, str(path)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert "FirstRows" in out.stdout + out.stderr, out.stdout


def test_the_cli_lists_it_with_its_parameters(first_rows):
    out = subprocess.run(
        [sys.executable, "-m", "engine", "optimizers"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "FirstRows: The first rows" in out.stdout  # first_rows differs only in case and _
    assert "params.k (int, 2): Rows in the prompt" in out.stdout
    assert "KNNFewShot, knn" in out.stdout  # the built-ins too


def test_the_optimize_and_run_pages_draw_it_from_its_entry(first_rows, tmp_path, monkeypatch):
    isolated_home(tmp_path, monkeypatch)
    at = set_sizes(open_sample(fresh_app()), 6, 6, 6)
    go(at, "optimize")
    goal = at.radio(key=k(at, "goal"))
    assert "The first rows: FirstRows" in goal.options
    goal.set_value("FirstRows").run()
    box = at.number_input(key=k(at, "opt_k"))
    assert box.label == "Rows in the prompt" and box.max == 6  # bounded by the training rows
    box.set_value(3).run()
    assert at.session_state["draft"]["optimizer"] == {
        **at.session_state["draft"]["optimizer"], "name": "FirstRows", "params": {"k": 3},
    }  # fmt: skip
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Finished" in page and "Rows FirstRows picked" in page
