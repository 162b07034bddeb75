"""The default run of a sample project on the embedded model in process and on the same GGUF
behind llama.cpp's own server on 127.0.0.1 (litellm's `openai/`, the reply format the engine
finds for it): held-out before and after, LM calls, minutes. Each run in a store of its own.

    python -m bench.studies.served_default_run --spec support_tickets --split-seed 0

    python -m bench.studies.served_default_run --only served --peer json
    python -m bench.studies.served_default_run --only served --sms-seed 16

`--peer` adds DSPy 3.4.1 on the same server, same split, same model settings: the spec's
one step as a `dspy.Predict` (a `Literal` output), untuned and after the spec's optimizer (what
`auto` picks for it), with the same demo settings and candidates, in DSPy's adapter `--peer` names
(bench/core/peer.py; `json` is its JSONAdapter, which asks the server for JSON), through
litellm as Tunesmith (DSPy 3.4.1's own default client does not pass `max_tokens` on to this
server: one reply ran to 3,855 tokens under a cap of 128).

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


def split_spec(spec_path: Path, split_seed: int) -> dict:
    """The spec at `spec_path` as a dict, its rows split with `split_seed`."""
    from engine.runs import load_spec

    raw = load_spec(spec_path).to_dict()
    raw["data"]["seed"] = split_seed
    return raw


def one_run(spec_path: Path, split_seed: int, served: bool) -> dict:
    """The spec's default run, in process or behind a fresh llama.cpp server."""
    from bench.core.llama_server import LlamaServer
    from engine.runs import create_run, get_run, is_off_list
    from engine.runs.process.worker import run_worker
    from engine.runs.spec import spec_from_dict
    from engine.runs.store import RunStore

    raw = split_spec(spec_path, split_seed)
    server = LlamaServer().start() if served else None
    try:
        if server is not None:
            os.environ["OPENAI_API_KEY"] = server.api_key
            raw["models"]["task"].update(model=server.model, api_base=server.api_base)
        db = Path(tempfile.mkdtemp()) / "runs.db"
        run_id = create_run(spec_from_dict(raw, base_dir=spec_path.parent), db)
        start = time.perf_counter()
        status = run_worker(run_id, db)
        run = get_run(run_id, db_path=db)
        with RunStore(db) as store:
            held_out = store.example_results(run_id, subset="test")
    finally:
        if server is not None:
            server.stop()
    return {"spec": spec_path.stem, "split_seed": split_seed, "served": served,
            "status": status,
            "optimizer": run.get("optimizer"), "reason": run.get("reason"),
            "val": [run["baseline_score"], run["best_score"]],
            "test": [run["test_baseline"], run["test_best"]],
            "held_out_answers": len(held_out),
            "off_list": sum(is_off_list(r.get("error")) for r in held_out),
            "calls": (run.get("usage") or {}).get("calls"),
            "minutes": round((time.perf_counter() - start) / 60, 1)}  # fmt: skip


def peer_run(spec_path: Path, split_seed: int, config: str, threads: int) -> dict:
    """DSPy on the spec's split behind a fresh llama.cpp server: held out untuned and tuned."""
    import contextlib
    from typing import Literal

    from bench.core.common import isolate_caches

    isolate_caches()  # before dspy is imported
    import dspy

    from bench.core.llama_server import LlamaServer
    from bench.core.peer import configured
    from engine.optimizers.auto import auto_params, choose_optimizer
    from engine.optimizers.registry import get
    from engine.runs.data import load_data
    from engine.runs.spec import spec_from_dict

    raw = split_spec(spec_path, split_seed)
    spec = spec_from_dict(raw, base_dir=spec_path.parent)
    (step,) = raw["pipeline"]
    inputs = [f for f in step["fields"] if f["role"] == "input"]
    (output,) = [f for f in step["fields"] if f["role"] == "output"]
    fields = {f["name"]: (str, dspy.InputField(desc=f.get("description", ""))) for f in inputs}
    fields[output["name"]] = (Literal[tuple(output["choices"])],
                              dspy.OutputField(desc=output.get("description", "")))  # fmt: skip
    signature = dspy.Signature(fields, step["instructions"])
    split = load_data(spec)

    def examples(rows: list) -> list:
        names = [f["name"] for f in inputs]
        return [dspy.Example(**row.toDict()).with_inputs(*names) for row in rows]

    def metric(example, prediction, trace=None) -> bool:  # noqa: ANN001 - DSPy's call shape
        got = str(getattr(prediction, output["name"], "") or "").strip().lower()
        return got == str(example[output["name"]]).strip().lower()

    train, val, test = examples(split.train), examples(split.val), examples(split.test)
    auto = raw["optimizer"]["name"] == "auto"
    name = choose_optimizer(len(train))[0] if auto else get(raw["optimizer"]["name"]).name
    shared = ("max_bootstrapped_demos", "max_labeled_demos", "num_candidate_programs")
    params = {p.name: p.default for p in get(name).params if p.name in shared}
    given = auto_params(name) if auto else raw["optimizer"].get("params") or {}
    params.update({k: v for k, v in given.items() if k in params})
    model = raw["models"]["task"]
    server = LlamaServer().start()
    start = time.perf_counter()
    try:
        lm = dspy.LM(server.model, api_base=server.api_base, api_key=server.api_key,
                     temperature=model.get("temperature", 0.0), max_tokens=model["max_tokens"],
                     cache=False, engine="litellm")  # fmt: skip
        dspy.configure(lm=lm)

        def held_out(program) -> tuple[float, int]:  # noqa: ANN001
            """Accuracy on the test rows, and the rows whose reply did not parse (a row that
            fails scores 0; the Evaluate never gives up)."""
            evaluate = dspy.Evaluate(devset=test, metric=metric, num_threads=threads,
                                     display_progress=False, max_errors=len(test) + 1)  # fmt: skip
            result = evaluate(program)
            unparsed = sum(not getattr(p, output["name"], None) for _, p, _ in result.results)
            print(f"held out {result.score:.1f}%, {unparsed} unparsed", file=sys.stderr)
            return round(float(result.score) / 100, 4), unparsed

        with contextlib.redirect_stdout(sys.stderr), configured(config):
            before = held_out(dspy.Predict(signature))
            optimizer = getattr(dspy, name)(
                metric=metric, num_threads=threads, max_errors=len(train) + len(val) + 1, **params
            )
            tuned = optimizer.compile(dspy.Predict(signature), trainset=train, valset=val)
            after = held_out(tuned)
    finally:
        server.stop()
    return {"spec": spec_path.stem, "split_seed": split_seed, "served": True,
            "framework": f"DSPy {dspy.__version__} [{config}]", "optimizer": name,
            "params": params, "test": [before[0], after[0]], "unparsed": [before[1], after[1]],
            "calls": len(lm.history),
            "minutes": round((time.perf_counter() - start) / 60, 1)}  # fmt: skip


def main() -> int:
    from engine.runs.data import OUTSIDE_ENV

    os.environ[OUTSIDE_ENV] = "1"  # banking77 reads ../shared (as --allow-outside-data)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="support_tickets", help="a spec in sample_data/")
    parser.add_argument(
        "--sms-seed",
        type=int,
        help="instead: the generated spam/ham project "
        "of this generator seed (which seeds are unseen: bench/DATA.md)",
    )
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--only", choices=["local", "served", "none"], help="one of the runs")
    parser.add_argument("--peer", default="", help="DSPy adapter configurations, e.g. json,chat")
    parser.add_argument("--threads", type=int, default=1, help="DSPy's num_threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.sms_seed is None:
            spec_path = ROOT / "sample_data" / f"{args.spec}.yaml"
        else:
            from bench.studies.keep_start_rule import sms_project

            spec_path = sms_project(Path(folder), args.sms_seed)
        for served in (False, True):
            if args.only in (None, "served" if served else "local"):
                print(json.dumps(one_run(spec_path, args.split_seed, served)), flush=True)
        for config in filter(None, args.peer.split(",")):
            print(json.dumps(peer_run(spec_path, args.split_seed, config, args.threads)),
                  flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
