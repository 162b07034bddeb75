"""Study: can llama.cpp's own training API (through llama-cpp-python 0.3.36) fine-tune the
embedded SmolLM2-135M on this CPU, and how fast against the machine's FLOP limit?

Writes the shipped Q4_1 weights out as F32, tokenizes a few chat rows, runs a few AdamW steps
(loss per step), saves the tuned model as Q8_0, loads it back and asks it one row's question;
then measures numpy's float32 matmul rate (the physical limit a training step is set against).

    python -m bench.studies.llama_finetune [--steps 6] [--n-ctx 256] [--threads 1] [--lr 1e-4]
        [--no-blas]

Training runs on llama.cpp's BLAS backend when `make setup` built it (as the training process
does; the tuned model's answer then runs on it too), on the CPU backend alone with --no-blas.
~1 minute (the F32 copy, 3-10 s per step at n_ctx 256, the save).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from engine.lm.local import import_llama_cpp, smollm2_path
from engine.optimizers.finetune._llama_train import TokenRow, TrainStep, f32_copy, train, windows

ROWS = [
    ("Classify the message as spam or ham.\nmessage: WIN a FREE cruise! Text YES to 80082 now",
     "label: spam"),
    ("Classify the message as spam or ham.\nmessage: are we still on for lunch tomorrow?",
     "label: ham"),
    ("Classify the message as spam or ham.\nmessage: URGENT your account is locked, click here",
     "label: spam"),
    ("Classify the message as spam or ham.\nmessage: mum says dinner at 7, bring bread",
     "label: ham"),
]  # fmt: skip
PARAMETERS = 134.5e6  # SmolLM2-135M


def chat_text(question: str, answer: str) -> str:
    """SmolLM2's chat template, written out (ChatML)."""
    return (f"<|im_start|>user\n{question}<|im_end|>\n"
            f"<|im_start|>assistant\n{answer}<|im_end|>\n")  # fmt: skip


def tokenize(model_path: Path, texts: list[str]) -> list[list[int]]:
    llama_cpp = import_llama_cpp(model_path)
    llama = llama_cpp.Llama(str(model_path), vocab_only=True, verbose=False)
    return [llama.tokenize(text.encode(), add_bos=False, special=True) for text in texts]


def matmul_gflops(n: int = 2048, repeats: int = 3) -> float:
    """The best float32 matmul rate numpy reaches here (2 n^3 FLOPs per product)."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def answer(model_path: Path, question: str) -> str:
    llama_cpp = import_llama_cpp(model_path)
    llama = llama_cpp.Llama(str(model_path), n_ctx=512, n_threads=1, verbose=False)
    out = llama.create_chat_completion(
        [{"role": "user", "content": question}], max_tokens=12, temperature=0.0
    )
    return out["choices"][0]["message"]["content"]


def show_step(step: TrainStep) -> None:
    print(f"step {step.step}/{step.steps} loss {step.loss:.3f} {step.seconds:.1f} s "
          f"{step.tokens_per_second:.1f} tok/s", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--n-ctx", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--no-blas", action="store_true", help="the CPU backend alone")
    args = parser.parse_args()
    shipped = smollm2_path()
    with tempfile.TemporaryDirectory(prefix="tunesmith-ft-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        f32 = f32_copy(shipped, folder / "base.f32.gguf", threads=args.threads)
        print(f"F32 copy: {time.perf_counter() - start:.1f} s, "
              f"{f32.stat().st_size / 1e6:.0f} MB")  # fmt: skip
        rows = tokenize(f32, [chat_text(q, a) for q, a in ROWS])
        chunks = windows([TokenRow(row) for row in rows * 8], args.n_ctx)
        print(f"rows: {len(rows)} ({sum(map(len, rows))} tokens), windows: {len(chunks)}")
        out = folder / "tuned.Q8_0.gguf"
        result = train(f32, chunks, out, n_ctx=args.n_ctx, steps=args.steps,
                       learning_rate=args.lr, threads=args.threads, blas=not args.no_blas,
                       on_step=show_step)  # fmt: skip
        per_step = result.seconds / max(1, len(result.steps))
        tok_s = args.n_ctx / per_step
        print(f"backend: {result.backend}")
        print(f"load {result.load_seconds:.1f} s, train {result.seconds:.1f} s "
              f"({per_step:.1f} s/step, {tok_s:.1f} tok/s), save {result.save_seconds:.1f} s, "
              f"peak RSS {result.peak_rss_mb:.0f} MB, "
              f"tuned file {out.stat().st_size / 1e6:.0f} MB")  # fmt: skip
        print(f"base model answers: {answer(f32, ROWS[0][0])!r}")
        start = time.perf_counter()
        print(f"tuned model answers {ROWS[0][0]!r}: {answer(out, ROWS[0][0])!r} "
              f"({time.perf_counter() - start:.1f} s)")  # fmt: skip
    gflops = matmul_gflops()
    limit = gflops * 1e9 / (6 * PARAMETERS)
    print(f"numpy float32 matmul: {gflops:.1f} GFLOP/s -> limit {limit:.0f} tok/s "
          f"(6 x {PARAMETERS / 1e6:.0f}M FLOPs/token); measured {tok_s:.1f} tok/s = "
          f"{limit / tok_s:.1f}x below the limit")  # fmt: skip


if __name__ == "__main__":
    main()
