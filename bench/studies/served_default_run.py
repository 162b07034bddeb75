"""The default run of a sample project on the embedded model in process and on the same GGUF
behind llama.cpp's own server on 127.0.0.1 (litellm's `openai/`, the reply format the engine
finds for it): held-out before and after, LM calls, minutes. Each run in a store of its own.

    python -m bench.studies.served_default_run --spec support_tickets --split-seed 0

Prints one JSON line a run (results in BENCHMARKS by hand). Which splits are tuning data:
bench/DATA.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def one_run(spec_name: str, split_seed: int, served: bool) -> dict:
    from bench.core.llama_server import LlamaServer
    from engine.runs import create_run, get_run, load_spec
    from engine.runs.process.worker import run_worker
    from engine.runs.spec import spec_from_dict

    samples = ROOT / "sample_data"
    raw = load_spec(samples / f"{spec_name}.yaml").to_dict()
    raw["data"]["seed"] = split_seed
    server = LlamaServer().start() if served else None
    try:
        if server is not None:
            os.environ["OPENAI_API_KEY"] = server.api_key
            raw["models"]["task"].update(model=server.model, api_base=server.api_base)
        db = Path(tempfile.mkdtemp()) / "runs.db"
        run_id = create_run(spec_from_dict(raw, base_dir=samples), db)
        start = time.perf_counter()
        status = run_worker(run_id, db)
        run = get_run(run_id, db_path=db)
    finally:
        if server is not None:
            server.stop()
    return {"spec": spec_name, "split_seed": split_seed, "served": served, "status": status,
            "optimizer": run.get("optimizer"), "reason": run.get("reason"),
            "val": [run["baseline_score"], run["best_score"]],
            "test": [run["test_baseline"], run["test_best"]],
            "calls": (run.get("usage") or {}).get("calls"),
            "minutes": round((time.perf_counter() - start) / 60, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="support_tickets", help="a spec in sample_data/")
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--only", choices=["local", "served"], help="one of the two runs")
    args = parser.parse_args()
    for served in (False, True):
        if args.only in (None, "served" if served else "local"):
            print(json.dumps(one_run(args.spec, args.split_seed, served)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
