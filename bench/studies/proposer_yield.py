"""Distinct usable instructions proposed, and held-out accuracy, before and after a proposer
change (issue 41), on the sample projects with the embedded model as task model and proposer.

Each (engine version, project, optimizer, seed) is one worker run of the project's spec with
its data seed set, in a subprocess whose PYTHONPATH puts that version's `engine` first (the
"before" version is any checkout, e.g. main's, used read-only). From the stored run it reads
the latest `proposals` event per predictor: the instructions wanted (MIPROv2: its plan's new
instructions; COPRO: breadth - 1 + (depth - 1) x breadth), the distinct ones offered, how many
the model wrote and how many are templates, the proposer's calls, and the held-out scores.

    python -m bench.studies.proposer_yield --before /work/main --seeds 0 1 \\
        --out bench/results/proposer-yield.md

Optimizers: MIPROv2 with the Optimize page's defaults (auto="light", no demos: 6 instructions),
COPRO with its registry defaults (breadth 4, depth 2) and GEPA with 150 program runs. One run
at a time (the model is CPU-bound); each run is capped at --max-minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.core.common import committed_head

ROOT = Path(__file__).resolve().parents[2]

PROJECTS = {
    "support tickets": ROOT / "sample_data" / "support_tickets.yaml",
    "reviews": ROOT / "dashboard" / "samples" / "reviews.yaml",
    "banking77": ROOT / "sample_data" / "banking77.yaml",  # its CSVs: --banking77-data
}
# projects whose CSVs live outside the project: (train file, test file) in the --*-data folder
SHARED_DATA = {"banking77": ("train.csv", "test.csv")}
DEFAULT_SHARED = {"banking77": Path("/work/shared/benchmarks/banking77")}
OPTIMIZERS = {
    "MIPROv2": {"auto": "light", "max_bootstrapped_demos": 0, "max_labeled_demos": 0},
    "COPRO": {"breadth": 4, "depth": 2},
    # a fixed program-run budget that ends (auto="light" wants 460 on 20 rows: > 5 minutes
    # here, and a run stopped by the clock skips choice calibration)
    "GEPA": {"max_metric_calls": 150},
}


def one_run(
    spec_path: str, optimizer: str, seed: int, store: str, max_minutes: float,
    data: list[str] | None = None,
) -> dict:
    """Run in the child process: the engine on sys.path is the version measured. `data`, when
    given, is the (train CSV, test CSV) pair that replaces the spec's."""
    from engine.runs import RunStore, create_run, load_spec
    from engine.runs.process import run_worker

    spec = load_spec(Path(spec_path))
    if data:
        spec.data.csv, spec.data.test_csv = data
    spec.data.seed = seed
    spec.optimizer.name, spec.optimizer.params = optimizer, dict(OPTIMIZERS[optimizer])
    spec.optimizer.budget.max_calls = 3000
    spec.optimizer.budget.max_minutes = max_minutes
    started = time.perf_counter()
    run_id = create_run(spec, Path(store))
    status = run_worker(run_id, Path(store))
    seconds = time.perf_counter() - started
    with RunStore(Path(store)) as db:
        run = db.get_run(run_id)
        events = db.events(run_id)
        calls = db.lm_calls(run_id)
    latest: dict[str, dict] = {}
    for event in events:
        if event["type"] == "proposals":
            latest[event["data"]["predictor"]] = event["data"]
    wanted = offered = model = templates = 0
    for data in latest.values():
        new = data["instructions"][1:]
        offered += len({i["text"].strip().lower() for i in new})
        templates += sum(1 for i in new if (i.get("made") or {}).get("how") == "template")
        model += sum(1 for i in new if (i.get("made") or {}).get("how") != "template")
    for event in events:  # what the plan asked for
        if event["type"] == "phase" and event["data"].get("name") == "proposing instructions":
            detail = str(event["data"].get("detail", ""))
            if detail.split(" ")[0].isdigit():
                wanted = int(detail.split(" ")[0]) * max(1, len(latest))
    if optimizer == "COPRO":
        params = OPTIMIZERS["COPRO"]
        wanted = (params["breadth"] - 1 + (params["depth"] - 1) * params["breadth"]) * max(
            1, len(latest)
        )
    counts = {"wanted": wanted, "offered": offered, "by_model": model, "templates": templates}
    if optimizer == "GEPA":
        counts = reflection_counts(events)
    return {
        "status": status,
        "seconds": round(seconds, 1),
        **counts,
        "proposer_calls": sum(1 for c in calls if c.get("role") == "proposer"),
        "val": [run.get("baseline_score"), run.get("best_score")],
        "test": [run.get("test_baseline"), run.get("test_best")],
        "kept": counts.get("kept"),
        "test_rows": test_rows(db_path=Path(store), run_id=run_id, run=run),
        **search_scores(Path(store), run_id),
    }


def search_scores(db_path: Path, run_id: str) -> dict:
    """How the search's candidates compared on validation (calibration's own candidates
    left out): their trial scores, how many distinct, how many candidates answered one label
    on every validation row (the model's raw answers, also where calibrated search rescored a
    row: its trace keeps them under "uncalibrated"), and how many rows were rescored."""
    from engine.runs import RunStore

    with RunStore(db_path) as db:
        origins = {c["hash"]: c["origin"] for c in db.candidates(run_id)}
        trials = [t for t in db.trials(run_id, subset="val")
                  if "calibration" not in origins.get(t["candidate"], "")]  # fmt: skip
        rows = db.example_results(run_id, subset="val")
    searched = {t["candidate"] for t in trials}
    labels: dict[str, set] = {}
    rescored = 0
    for row in rows:
        if row["candidate"] not in searched:
            continue
        step = (row.get("trace") or [{}])[0] or {}
        raw = (step.get("uncalibrated") or {}).get("outputs") or row.get("outputs") or {}
        rescored += "uncalibrated" in step
        labels.setdefault(row["candidate"], set()).add(json.dumps(raw, sort_keys=True))
    scores = [round(float(t["score"]), 4) for t in trials]
    return {
        "val_scores": scores,
        "distinct_val_scores": len(set(scores)),
        "one_label_candidates": sum(1 for found in labels.values() if len(found) == 1),
        "searched_candidates": len(labels),
        "rescored_rows": rescored,
    }


def reflection_counts(events: list[dict]) -> dict[str, int]:
    """GEPA: reflections asked ("wanted"), reflections that gave an instruction ("written"),
    distinct new instruction texts among those, case and surrounding spaces ignored
    ("offered"; a reflection may repeat a rejected child's text, since only the pool's
    instructions are excluded), by the model / by template, and children kept on the minibatch.
    A reflection skipped because its parent was perfect asks for nothing."""
    counts = dict.fromkeys(("wanted", "written", "offered", "by_model", "templates", "kept"), 0)
    texts: set[tuple[str, str]] = set()
    for event in events:
        data = event["data"]
        if event["type"] != "reflection" or data.get("kind") != "reflection":
            continue
        if "perfect" in str(data.get("skipped", "")):
            continue
        counts["wanted"] += len(data.get("predictors") or [])
        for path, text in (data.get("instructions") or {}).items():
            counts["written"] += 1
            texts.add((path, str(text).strip().lower()))
            how = ((data.get("cleaning") or {}).get(path) or {}).get("made", {}).get("how")
            counts["templates"] += how == "template"
            counts["by_model"] += how != "template"
        counts["kept"] += bool(data.get("accepted"))
    counts["offered"] = len(texts)
    return counts


def test_rows(db_path: Path, run_id: str, run: dict) -> dict[str, dict[str, float]]:
    """Per-row held-out scores of the start ("start") and tuned ("tuned") programs."""
    from engine.runs import RunStore

    comparison = run.get("comparison") or {}
    wanted = {"start": comparison.get("baseline_candidate"), "tuned": run.get("best_candidate")}
    with RunStore(db_path) as db:
        rows = db.example_results(run_id, subset="test")
    out: dict[str, dict[str, float]] = {}
    for name, candidate in wanted.items():
        out[name] = {
            r["example_id"]: float(r["score"] or 0.0) for r in rows if r["candidate"] == candidate
        }
    return out


def shared_data(project: str, folder: Path | None) -> tuple[list[str] | None, str | None]:
    """(the project's train and test CSV paths in `folder`, None), or (None, why it is skipped)
    when a file is missing; (None, None) for a project whose data is in the project."""
    if project not in SHARED_DATA:
        return None, None
    folder = folder or DEFAULT_SHARED[project]
    files = [folder / name for name in SHARED_DATA[project]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        return None, f"{project} skipped: no {', '.join(missing)} (--{project}-data FOLDER)"
    return [str(f.resolve()) for f in files], None


def measure(
    engine_root: Path, spec: Path, optimizer: str, seed: int, tmp: Path, minutes: float,
    data: list[str] | None = None,
):  # fmt: skip
    """One run in a subprocess with `engine_root` first on the path."""
    store = tmp / f"{engine_root.name}-{spec.stem}-{optimizer}-{seed}" / "runs.db"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(engine_root)
    env["TUNESMITH_HOME"] = str(store.parent)
    env["TUNESMITH_CACHE_DIR"] = str(tmp / f"cache-{engine_root.name}")
    env.setdefault("TUNESMITH_ALLOW_OUTSIDE_DATA", "1")  # the samples read shared data
    env.pop("TUNESMITH_TEST_LM", None)
    # this file is read by path (the old checkout has no such module); `engine` comes from
    # engine_root, first on the path
    code = (
        f"import json, runpy; one_run = runpy.run_path({__file__!r})['one_run']; "
        f"print('RESULT', json.dumps(one_run({str(spec)!r}, {optimizer!r}, {seed}, "
        f"{str(store)!r}, {minutes}, {data!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=str(tmp), capture_output=True, text=True,
        timeout=60 * (minutes + 5),
    )  # fmt: skip
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"status": "failed: " + (result.stderr.strip().splitlines() or ["?"])[-1]}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def format_row(name: str, optimizer: str, seed: int, version: str, row: dict) -> str:
    """One markdown table row."""
    test = row.get("test") or [None, None]
    return (
        f"| {name} | {optimizer} | {seed} | {version} | {row.get('wanted', '')} "
        f"| {row.get('offered', '')} ({row.get('by_model', '')} + {row.get('templates', '')}) "
        f"| {row.get('proposer_calls', '')} | {'' if row.get('kept') is None else row['kept']} "
        f"| {pct(test[0])} -> {pct(test[1])} "
        f"| {row.get('seconds', '')} | {row['status']} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old engine")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--projects", nargs="+", default=list(PROJECTS))
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS))
    parser.add_argument("--max-minutes", type=float, default=4.0)
    parser.add_argument("--after", type=Path, default=ROOT, help="checkout of the new engine")
    parser.add_argument("--fixed", type=Path, default=None, help="a third checkout, 'fixed'")
    parser.add_argument("--versions", nargs="+", default=["before", "after"])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--jsonl", type=Path, default=None, help="append each run's record")
    parser.add_argument(
        "--banking77-data", type=Path, default=None,
        help=f"banking77's train.csv and test.csv (default {DEFAULT_SHARED['banking77']})",
    )  # fmt: skip
    args = parser.parse_args()
    unknown = [name for name in args.projects if name not in PROJECTS]
    if unknown:
        parser.error(f"unknown project {unknown[0]!r}; known: {', '.join(PROJECTS)}")
    data: dict[str, list[str] | None] = {}
    for name in list(args.projects):
        data[name], skipped = shared_data(name, getattr(args, f"{name}_data", None))
        if skipped:
            print(skipped, file=sys.stderr, flush=True)
            args.projects.remove(name)
    lines = [
        "| project | optimizer | seed | version | wanted | distinct offered (model + template) "
        "| proposer calls | kept (GEPA) | held-out start -> tuned | seconds | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    roots = {"before": args.before.resolve(), "after": args.after.resolve()}
    if args.fixed is not None:
        roots["fixed"] = args.fixed.resolve()
    commits = {}
    if args.out is not None or args.jsonl is not None:  # results: each checkout committed
        commits = {version: committed_head(root) for version, root in roots.items()}
    runs = [
        (version, name, optimizer, seed)
        for name in args.projects
        for optimizer in args.optimizers
        for seed in args.seeds
        for version in args.versions
    ]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for version, name, optimizer, seed in runs:
            row = measure(
                roots[version], PROJECTS[name], optimizer, seed, tmp, args.max_minutes, data[name]
            )
            line = format_row(name, optimizer, seed, version, row)
            lines.append(line)
            print(line, flush=True)
            if args.out is not None:  # written as it goes: a cut run keeps its rows
                args.out.write_text("\n".join(lines) + "\n")
            if args.jsonl is not None:
                record = {"version": version, "commit": commits[version], "project": name,
                          "optimizer": optimizer, "seed": seed, **row}  # fmt: skip
                with args.jsonl.open("a") as out:
                    out.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
