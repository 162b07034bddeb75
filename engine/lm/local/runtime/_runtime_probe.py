"""The child side of the embedded runtime's probe (`_runtime`), run by path as
`python -s _runtime_probe.py MODEL.gguf`: it imports llama-cpp-python alone (never `engine`),
prints the build's system info, then loads the model and makes one short call that runs the
matrix kernels a real prompt runs. Each step prints one JSON line and is flushed before the next,
so a parent that sees this process die by a signal knows how far it got. Last, it times a
~500-token prompt read cold (`read_speed`): how fast this machine reads prompts, which the
forecast of a run's minutes scales by before any run was measured here. The read is timed on
one thread by the CPU time it took, which other work on the machine barely moves (the wall
time of a 2-thread read fell 4x beside two busy processes; this fell 5%: docs/design/forecast.md).
"""

from __future__ import annotations

import json
import sys
import time

# Long enough that llama.cpp reads it as a batch (the batched matmul kernels: where AMX faulted).
PROMPT = (
    "<|im_start|>system\nYou sort customer messages into one of three teams: billing, shipping "
    "or technical. Answer with the team's name only.<|im_end|>\n<|im_start|>user\nMessage: My "
    "parcel was meant to arrive on Monday and the tracking page has not moved for a week. Can "
    "you tell me where it is?<|im_end|>\n<|im_start|>assistant\n"
)


# The prompt the read speed is timed on: READ_TOKENS tokens of plain prose, read READS times from
# a different first token (nothing reused), on one thread, by CPU time; the fastest read counts.
READ_TEXT = (
    "The customer wrote that the parcel had not arrived and the tracking page showed no "
    "movement since Monday, so they asked for a refund or a new shipment. "
)
READ_TOKENS = 500
READS = 3


def say(step: str, **data: object) -> None:
    sys.stdout.write(json.dumps({"step": step, **data}) + "\n")
    sys.stdout.flush()


def main(model_path: str) -> int:
    start = time.perf_counter()
    import llama_cpp

    version = getattr(llama_cpp, "__version__", "?")
    say("imported", version=version, lib=str(llama_cpp.llama_cpp._base_path))
    say("system_info", text=llama_cpp.llama_print_system_info().decode("utf-8", "replace"))
    llama = llama_cpp.Llama(
        model_path=model_path, n_ctx=1024, n_threads=2, n_threads_batch=2, seed=0, verbose=False
    )
    say("loaded")
    out = llama.create_completion(prompt=PROMPT, max_tokens=4, temperature=0.0, seed=0)
    say(
        "answered",
        text=out["choices"][0]["text"],
        prompt_tokens=out["usage"]["prompt_tokens"],
        seconds=round(time.perf_counter() - start, 3),
    )
    tokens = llama.tokenize((READ_TEXT * 20).encode())[:READ_TOKENS]
    llama_cpp.llama_set_n_threads(llama.ctx, 1, 1)
    best = float("inf")
    for first in range(READS):
        llama.reset()
        began = time.process_time()
        llama.eval([tokens[0] + first, *tokens[1:]])
        best = min(best, time.process_time() - began)
    say("read_speed", tokens_per_cpu_second=round(len(tokens) / max(best, 1e-6), 1))
    llama.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
