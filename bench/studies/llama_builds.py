"""Speed of llama-cpp-python builds on this machine: prompt reading and generation tokens/s.

Tunesmith only, no peer. Each build is a folder of llama.cpp shared libraries (a wheel's
`llama_cpp/lib`); each is measured in its own child process (`LLAMA_CPP_LIB_PATH`), so a build
that crashes here is reported, not fatal. Results go to docs/design/portable_build.md by hand.

    python -m bench.studies.llama_builds --build portable=/path/to/lib --build native=/other/lib
    python -m bench.studies.llama_builds --build installed=   # the installed build

Per build and weights file (SmolLM2's shipped Q4_1 and Tunesmith's Q8_0 copy): a ~500-token
prompt read cold (no shared prefix), three times, and 128 generated tokens, greedy, two threads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, time
import llama_cpp
path, threads = sys.argv[1], int(sys.argv[2])
info = llama_cpp.llama_print_system_info().decode()
llama = llama_cpp.Llama(model_path=path, n_ctx=2048, n_threads=threads,
                        n_threads_batch=threads, seed=0, verbose=False)
words = ("The customer wrote that the parcel had not arrived and the tracking page showed "
         "no movement since Monday, so they asked for a refund or a new shipment. ")
prompt_tokens = llama.tokenize((words * 20).encode())[:500]
reads = []
for i in range(3):
    llama.reset()
    start = time.perf_counter()
    llama.eval([prompt_tokens[0] + i % 2] + prompt_tokens[1:])  # a new first token: no reuse
    reads.append(len(prompt_tokens) / (time.perf_counter() - start))
llama.reset()
start = time.perf_counter()
out = llama.create_completion(prompt="Once upon a time, a ship", max_tokens=128,
                              temperature=0.0, seed=0, logit_bias={llama.token_eos(): -100.0})
gen = out["usage"]["completion_tokens"]
elapsed = time.perf_counter() - start
print(json.dumps({"system_info": info, "prompt_tps": reads, "gen_tokens": gen,
                  "gen_tps": gen / elapsed}))
"""


def weights() -> dict[str, Path]:
    """The shipped Q4_1 file and the Q8_0 copy Tunesmith runs by default (written if absent)."""
    sys.path.insert(0, str(ROOT))
    from engine.lm.local import requantized_q8, smollm2_path

    shipped = smollm2_path()
    return {"Q4_1": shipped, "Q8_0": requantized_q8(shipped)}


def measure(lib: str, model: Path, threads: int) -> dict:
    env = {**os.environ}
    if lib:
        env["LLAMA_CPP_LIB_PATH"] = lib
    done = subprocess.run(  # noqa: S603  (fixed argv)
        [sys.executable, "-c", CHILD, str(model), str(threads)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        return {"failed": done.returncode, "stderr": done.stderr[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build", action="append", required=True, help="NAME=LIB_DIR ('' = installed)"
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    files = weights()
    print("| build | weights | prompt tok/s (3 cold reads) | generation tok/s | features |")
    print("|---|---|---|---|---|")
    for item in args.build:
        name, _, lib = item.partition("=")
        for label, path in files.items():
            got = measure(lib, path, args.threads)
            if "failed" in got:
                print(f"| {name} | {label} | died ({got['failed']}) | | |")
                continue
            reads = ", ".join(f"{v:.0f}" for v in got["prompt_tps"])
            feats = " ".join(
                p.split("=")[0].strip().split(":")[-1].strip()
                for p in got["system_info"].split("|")
                if p.strip().endswith("= 1") and "LLAMAFILE" not in p and "REPACK" not in p
            )
            print(f"| {name} | {label} | {reads} | {got['gen_tps']:.0f} | {feats} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
