"""DSPy's own unit tests as a yardstick for `import engine as dspy` (issue 39).

    python tools/dspy_yardstick.py --tests /work/.mirror/stanfordnlp+dspy/repo
    python tools/dspy_yardstick.py --tests ~/src/dspy/tests --write

`--tests` is a DSPy checkout: its `tests/` folder, a repository holding one, or a bare git
repository (read with `git archive HEAD tests`). The tests are copied to a temporary folder at
run time only. The chosen test files run twice under pytest, each in a subprocess: once with the
installed `dspy`, once with `dspy` resolved to `engine` (a temporary `dspy` package whose
`__init__` puts `engine` in its place and maps every `dspy.X` import to `engine.X`). The table
gives, per folder and per file, the tests passing on dspy, how many of those pass on engine, and
the ratio; `--write` also saves, per file, the tests that pass on dspy and fail on engine.

Some of those differ on purpose: the engine does the thing another way by design (DIFFERS below,
each with its reason). They are counted as lost, and listed and counted apart as well, so the
table gives the ratio both with and without them.

The engine run sets `TUNESMITH_DSPY_PROMPTS=1`: DSPy's own prompt layout, an opt-in of the chat
and JSON adapters (engine/adapters/dspy_layout.py; the engine's default layout is prefix-friendly
and is what its optimizers use), since DSPy's adapter tests compare its prompts word for word.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "bench" / "results" / "dspy-yardstick.json"

# folder label -> DSPy test files (relative to tests/), the API issue 39 names
SUITE: dict[str, tuple[str, ...]] = {
    "signatures": ("signatures/test_signature.py", "signatures/test_custom_types.py"),
    "primitives": ("primitives/test_example.py", "primitives/test_module.py"),
    "predict": (
        "predict/test_predict.py", "predict/test_chain_of_thought.py", "predict/test_react.py",
        "predict/test_best_of_n.py", "predict/test_refine.py", "predict/test_parallel.py",
        "predict/test_multi_chain_comparison.py", "predict/test_program_of_thought.py",
        "predict/test_aggregation.py", "predict/test_code_act.py",
    ),
    "adapters": (
        "adapters/test_chat_adapter.py", "adapters/test_json_adapter.py", "adapters/test_audio.py",
    ),
    "evaluate": ("evaluate/test_evaluate.py", "evaluate/test_metrics.py"),
    "teleprompt": (
        "teleprompt/test_bootstrap.py", "teleprompt/test_random_search.py",
        "teleprompt/test_knn_fewshot.py", "teleprompt/test_copro_optimizer.py",
        "teleprompt/test_ensemble.py", "teleprompt/test_gepa.py",
        "teleprompt/test_bootstrap_trace.py",
    ),
    "retrievers": ("retrievers/test_embeddings.py",),
    "utils": (
        "utils/test_settings.py", "utils/test_usage_tracker.py", "utils/test_saving.py",
        "utils/test_exceptions.py",
    ),
}  # fmt: skip

# the engine run's environment: DSPy's exact prompt layout (an opt-in, off by default)
ENGINE_ENV = {"TUNESMITH_DSPY_PROMPTS": "1"}
_ENDPOINTS = (
    "a saved LM's endpoint and key are never restored, even with allow_unsafe_lm_state=True "
    "(set them in code); a custom LM class without the opt-in warns and keeps the LM"
)
_GEPA = (
    "the engine's GEPA is its own search, not a wrapper of the gepa package: its adapter "
    "internals (gepa_utils, gepa_flex_utils, bootstrap_trace, DspyGEPAResult) and DSPy's exact "
    "reflection prompts (replayed from recorded LM histories) do not apply"
)
_PICKLE = (
    "saving uses the standard library's pickle (cloudpickle is not a dependency): a program's "
    "own classes must be importable and a lambda cannot be saved (engine/modules/saving.py)"
)
# test (fnmatch pattern on "file::name") -> why the engine differs there on purpose
DIFFERS: dict[str, str] = {
    "adapters/test_chat_adapter.py::test_chat_adapter_quotes_literals_as_expected*": (
        "an empty reply is asked again (up to num_retries times) instead of read as no "
        "answer; these tests count the calls made with an empty mocked reply (engine/lm/lm.py)"
    ),
    "adapters/test_chat_adapter.py::test_chat_adapter_exception_raised_on_failure": (
        "a reply without section headers is repaired before failing (a lone value is read as "
        "the one output, 'name: value' lines and JSON objects as fields), to spare a fallback "
        "call (engine/adapters/chat.py: repair)"
    ),
    "predict/test_predict.py::test_load_allows_serialized_endpoint_override_with_opt_in*":
        _ENDPOINTS,
    "predict/test_predict.py::test_load_state_allows_serialized_endpoint_override_with_opt_in*":
        _ENDPOINTS,
    "predict/test_predict.py::test_load_blocks_serialized_model_list_unless_opted_in": _ENDPOINTS,
    "predict/test_predict.py::test_custom_lm_load_state_requires_trusted_opt_in": _ENDPOINTS,
    "predict/test_predict.py::test_load_uses_env_api_key_without_honoring_serialized_*":
        _ENDPOINTS,
    "predict/test_predict.py::test_trace_size_limit": (
        "the trace (`settings.trace`) is None unless something collects one (an optimizer, "
        "Evaluate, "
        "`context(trace=[])`), so a long-running process does not hold every call's inputs and "
        "prediction; a collected trace keeps its last max_trace_size entries as DSPy's"
    ),
    "predict/test_predict.py::test_missing_required_input_field_still_warns": (
        "a missing input raises MissingInputError before any LM call (DSPy warns and pays "
        "for a call made without it)"
    ),
    "predict/test_program_of_thought.py::test_pot_warns_that_rlm_is_preferred": (
        "ProgramOfThought is kept, not deprecated: the engine has no RLM, and PoT's code runs "
        "in the engine's sandbox"
    ),
    "teleprompt/test_gepa.py::test_metric_requires_feedback_signature": (
        "GEPA accepts any metric shape Evaluate accepts (a plain score metric reflects on "
        "scores alone); DSPy requires the five-argument feedback signature"
    ),
    "utils/test_usage_tracker.py::test_parallel_executor_with_usage_tracker": (
        "Parallel's workers add to the caller's usage tracker, so a run's usage is counted in "
        "full; DSPy gives each worker a copy and the caller's tracker misses their calls"
    ),
    "predict/test_parallel.py::test_parallel_timeout_and_straggler_limit_params": (
        "Parallel's timeout defaults to None (DSPy: 120 s): a resubmitted straggler's LM call "
        "is paid twice, so resubmitting is opt-in (engine/modules/attempts/parallel.py)"
    ),
    "predict/test_react.py::test_tool_error_observation_format": (
        "a failed tool's observation is its error line (`Execution error in tool: "
        "ValueError: ...`), not the whole traceback: fewer tokens for the agent to read"
    ),
    "utils/test_saving.py::test_save_custom_model": _PICKLE,
    "utils/test_settings.py::test_dspy_settings_save_load": _PICKLE,
    "teleprompt/test_ensemble.py::test_ensemble_deterministic_behavior": (
        "Ensemble(deterministic=True) works (a seeded choice per input); DSPy raises that it "
        "is not implemented"
    ),
    "teleprompt/test_gepa.py::test_gepa_adapter_*": _GEPA,
    "teleprompt/test_gepa.py::test_gepa_flex_evaluation_*": _GEPA,
    "teleprompt/test_gepa.py::test_adapter_state_round_trips_rng": _GEPA,
    "teleprompt/test_gepa.py::test_batch_evaluate_is_parallel_and_preserves_context": _GEPA,
    "teleprompt/test_gepa.py::test_track_stats_result_structure": _GEPA,
    "teleprompt/test_gepa.py::test_track_best_outputs_result_structure": _GEPA,
    "teleprompt/test_gepa.py::test_workflow_with_custom_instruction_proposer_and_*": _GEPA,
}  # fmt: skip


def differs_reason(file: str, name: str) -> str | None:
    """Why the engine differs on purpose in this test of `file`, or None."""
    node = f"{file}::{name.split('::')[-1]}"
    return next((why for pattern, why in DIFFERS.items() if fnmatch.fnmatchcase(node, pattern)),
                None)  # fmt: skip


# The shim: `import dspy` gives engine, `import dspy.X` gives engine.X (no copy, same objects).
SHIM = '''"""`dspy` resolved to `engine` (written by tools/dspy_yardstick.py)."""
import importlib
import importlib.abc
import importlib.util
import sys

import engine


class _EngineAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("dspy."):
            return None
        try:
            module = importlib.import_module("engine." + fullname[len("dspy."):])
        except ImportError:
            return None
        package = hasattr(module, "__path__")
        spec = importlib.util.spec_from_loader(fullname, self, is_package=package)
        spec.loader_state = (module, module.__spec__)
        return spec

    def create_module(self, spec):
        return spec.loader_state[0]

    def exec_module(self, module):
        # importlib stamped the alias spec on engine's module: give it back its own
        module.__spec__ = module.__spec__.loader_state[1]


sys.meta_path.insert(0, _EngineAlias())
for _name, _module in list(sys.modules.items()):
    if _name.startswith("engine."):
        sys.modules.setdefault("dspy." + _name[len("engine."):], _module)
sys.modules["dspy"] = engine
'''


def copy_tests(source: Path, dest: Path) -> Path:
    """Copy DSPy's tests/ under dest (as dest/tests, a package like in DSPy's repo)."""
    source = source.expanduser().resolve()
    if (source / "conftest.py").exists() and source.name == "tests":
        shutil.copytree(source, dest / "tests")
    elif (source / "tests" / "conftest.py").exists():
        shutil.copytree(source / "tests", dest / "tests")
    else:
        archive = subprocess.run(
            ["git", "-C", str(source), "archive", "HEAD", "tests"],
            capture_output=True, check=False,
        )  # fmt: skip
        if archive.returncode != 0:
            raise SystemExit(f"--tests {source}: no tests/conftest.py there and not a git "
                             f"repository with a tests/ folder ({archive.stderr.decode().strip()})")
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "tests"


def run_pytest(
    workdir: Path,
    files: list[str],
    extra_path: list[Path],
    label: str,
    timeout: int,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """Run pytest on files in a subprocess; returns node id -> 'passed'/'failed'/'skipped'."""
    report = workdir / f"report-{label}.xml"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in extra_path] + [str(workdir)])
    env.pop("PYTEST_ADDOPTS", None)
    env.update(extra_env or {})
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
        "--continue-on-collection-errors",
        f"--junitxml={report}", "--timeout=120", "-o", "junit_family=xunit1",
        "--rootdir", str(workdir), *[f"tests/{f}" for f in files],
    ]  # fmt: skip
    subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, timeout=timeout, check=False)
    return parse_junit(report)


def parse_junit(report: Path) -> dict[str, str]:
    """Node ids (file::class::name) and their outcome; a file that failed to import gives none."""
    if not report.exists():
        return {}
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        node = f"{file}::{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("skipped") is not None:
            state = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            state = "failed"
        else:
            state = "passed"
        # a teardown error adds a second entry for the same test: failed wins
        if outcomes.get(node) != "failed":
            outcomes[node] = state
    return outcomes


def measure(tests: Path, timeout: int) -> dict:
    """Run the suite on dspy and on engine; returns the per-file counts."""
    files = [f for group in SUITE.values() for f in group]
    with tempfile.TemporaryDirectory(prefix="dspy-yardstick-") as tmp:
        work = Path(tmp)
        copy_tests(tests, work)
        missing = [f for f in files if not (work / "tests" / f).exists()]
        present = [f for f in files if f not in missing]
        on_dspy = run_pytest(work, present, [], "dspy", timeout)
        shim = work / "shim"
        (shim / "dspy").mkdir(parents=True)
        (shim / "dspy" / "__init__.py").write_text(SHIM, encoding="utf-8")
        on_engine = run_pytest(work, present, [shim, ROOT], "engine", timeout, ENGINE_ENV)
        # the same with the engine's default prompt layout, to say what the opt-in gains
        plain = {"TUNESMITH_DSPY_PROMPTS": "0"}
        on_default = run_pytest(work, present, [shim, ROOT], "engine-default", timeout, plain)
    per_file = {}
    for f in files:
        def in_file(node: str, f: str = f) -> bool:
            return node.startswith(f"tests/{f}::") or node.startswith(f"{f}::")

        passing = {n for n, s in on_dspy.items() if in_file(n) and s == "passed"}
        also = {n for n in passing if on_engine.get(n) == "passed"}
        by_default = {n for n in passing if on_default.get(n) == "passed"}
        lost = sorted(n.split("::", 1)[1] for n in passing - also)  # pass on dspy only
        differs = {n: why for n in lost if (why := differs_reason(f, n)) is not None}
        per_file[f] = {
            "dspy": len(passing), "engine": len(also), "engine_default_layout": len(by_default),
            "missing": f in missing,
            "lost": lost, "differs": differs,
        }  # fmt: skip
    return {"files": per_file, "suite": {k: list(v) for k, v in SUITE.items()}}


def table(results: dict) -> str:
    """The markdown table: one row per folder with its files below it, and a total. "Differ on
    purpose" counts the lost tests listed in DIFFERS; the last column leaves them out."""
    lines = [
        "| Folder / file | Pass on dspy | Of those, pass on engine | Ratio | Differ on purpose "
        "| Ratio without those |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def ratio(a: int, b: int) -> str:
        return f"{b / a:.0%}" if a else "-"

    def row(label: str, d: int, e: int, x: int, bold: bool = False) -> str:
        cells = [str(d), str(e), ratio(d, e), str(x), ratio(d - x, e)]
        if bold:
            cells = [f"**{c}**" for c in cells]
        return f"| {label} | " + " | ".join(cells) + " |"

    total_d = total_e = total_x = 0
    for folder, files in results["suite"].items():
        rows = [results["files"][f] for f in files]
        d, e = sum(r["dspy"] for r in rows), sum(r["engine"] for r in rows)
        x = sum(len(r.get("differs", {})) for r in rows)
        total_d, total_e, total_x = total_d + d, total_e + e, total_x + x
        lines.append(row(f"**{folder}**", d, e, x, bold=True))
        for f in files:
            r = results["files"][f]
            note = " (not in this checkout)" if r["missing"] else ""
            lines.append(row(f"&nbsp; {f}{note}", r["dspy"], r["engine"],
                             len(r.get("differs", {}))))  # fmt: skip
    lines.append(row("**total**", total_d, total_e, total_x, bold=True))
    rows = list(results["files"].values())
    if all("engine_default_layout" in r for r in rows):
        plain = sum(r["engine_default_layout"] for r in rows)
        lines += ["", f"With the engine's default prompt layout (no `TUNESMITH_DSPY_PROMPTS`): "
                      f"{plain} of {total_d} ({plain / total_d:.0%})."]  # fmt: skip
    return "\n".join(lines)


def differs_list(results: dict) -> str:
    """The tests that differ on purpose, grouped by reason (markdown)."""
    by_reason: dict[str, list[str]] = {}
    for f, r in results["files"].items():
        for name, why in sorted(r.get("differs", {}).items()):
            by_reason.setdefault(why, []).append(f"{f}::{name.split('::')[-1]}")
    out = []
    for why, names in by_reason.items():
        out.append(f"- {why[0].upper()}{why[1:]} ({len(names)}): " +
                   ", ".join(f"`{n.split('::')[-1]}`" for n in names))  # fmt: skip
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=Path, required=True,
                        help="a DSPy checkout, its tests/ folder, or a bare git repository")
    parser.add_argument("--write", type=Path, nargs="?", const=DEFAULT_RESULTS, default=None,
                        help=f"also save the counts as JSON (default {DEFAULT_RESULTS.name})")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per pytest run")
    args = parser.parse_args(argv)
    results = measure(args.tests, args.timeout)
    sys.stdout.write(table(results) + "\n\nDiffer on purpose:\n" + differs_list(results) + "\n")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n",
                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
