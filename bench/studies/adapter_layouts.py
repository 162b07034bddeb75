"""Where the chat adapter puts its output request, measured on the embedded model.

The chat adapter keeps everything that does not depend on the inputs before them
(docs/design/DEVIATIONS.md, 6: every call of a candidate then shares its prompt up to the inputs).
This script scores fixed demo sets on a data seed's held-out rows under three placements of the
request for the output fields, with everything else equal:

- `request in system` (the chat adapter's layout): the request closes the system
  message, the last user message holds only the inputs, exactly like the demos' user messages;
- `request before inputs` (its layout until 2026-11-22): the last user message asks for the outputs,
  then gives the inputs (prefix reuse as good as `request in system`);
- `inputs first`: inputs, then the request (DSPy's order; the request is re-read every call).

Demo sets: Tunesmith's BootstrapFewShot (no valset) compiled on the seed's train split and,
with `--dspy-demos`, the demos DSPy 3.4.1's random search picks on that seed.

    python -m bench.studies.adapter_layouts --seeds 0,1,2,3 --dspy-demos 0 [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from bench.core.common import isolate_caches, markdown_table, ran_at, results_file, write_section

isolate_caches()  # before anything imports dspy or litellm

import engine as ts  # noqa: E402
from bench.core.data import DEFAULT_DATA, load_split, make_signatures  # noqa: E402
from bench.core.meter import ModelMeter  # noqa: E402
from bench.core.runners import DSPy, Tunesmith  # noqa: E402
from engine.adapters.chat import ChatAdapter  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402


def _without_request(adapter: ChatAdapter, signature: Any, demos: list[Any]) -> list[dict]:
    """The system message without its closing output request, then the demos."""
    system = adapter.system_message(signature)
    request = "\n\n" + adapter.output_request(signature)
    messages = [{"role": "system", "content": system.removesuffix(request)}]
    for demo in demos:
        messages.extend(adapter.format_demo(signature, demo))
    return messages


class RequestBeforeInputs(ChatAdapter):
    """The last user message asks for the outputs, then gives the inputs."""

    def format(self, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict]:
        user = self.output_request(signature) + "\n\n" + self.format_inputs(signature, inputs)
        return [*_without_request(self, signature, demos), {"role": "user", "content": user}]


class InputsFirst(ChatAdapter):
    """DSPy's order in the last user message: inputs, then the output request."""

    def format(self, signature: Any, demos: list[Any], inputs: dict[str, Any]) -> list[dict]:
        user = self.format_inputs(signature, inputs) + "\n\n" + self.output_request(signature)
        return [*_without_request(self, signature, demos), {"role": "user", "content": user}]


LAYOUTS = {
    "request in system": None,
    "request before inputs": RequestBeforeInputs(),
    "inputs first": InputsFirst(),
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dir with train.csv, test.csv")
    p.add_argument("--seeds", default="0", help="comma-separated data seeds")
    p.add_argument("--dspy-demos", default="", help="seeds on which to also score DSPy's demos")
    p.add_argument("--write", action="store_true", help="write bench/results/adapter-layouts.md")
    args = p.parse_args()
    # What the few-shot runners read (the same settings as bench/fewshot/__main__.py's defaults).
    defaults = dict(
        train_size=40,
        val_size=40,
        test_size=120,
        candidates=4,
        max_bootstrapped=4,
        max_labeled=8,
        max_tokens=64,
        threads=4,
    )
    for key, value in defaults.items():
        setattr(args, key, value)
    return args


def demo_sets(seed: int, args: argparse.Namespace, meter: ModelMeter) -> tuple[Any, dict]:
    """The Tunesmith runner for `seed` and {label: program} of the demo sets to score."""
    split = load_split(args.data, args.train_size, args.val_size, args.test_size, seed)
    ts_sig, dspy_sig = make_signatures(split.labels)
    runner = Tunesmith(split, args, meter, ts_sig)
    programs = {"Tunesmith BootstrapFewShot": runner.compile("BootstrapFewShot (no valset)")[0]}
    if str(seed) in args.dspy_demos.split(","):
        peer = DSPy(split, args, meter, dspy_sig)
        with contextlib.redirect_stdout(sys.stderr):
            chosen, _ = peer.compile("BootstrapFewShotWithRandomSearch")
        program = ts.Predict(ts_sig)
        program.demos = [
            ts.Example(**{k: v for k, v in dict(d.items()).items() if k in ("text", "category")})
            for d in chosen.predictors()[0].demos
        ]
        programs["DSPy random search's pick"] = program
    return runner, programs


def main() -> None:
    args = parse_args()
    if args.write:
        ran_at()  # refused from uncommitted code, before any run
    get_litellm()
    meter = ModelMeter()
    meter.install()
    rows = []
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        runner, programs = demo_sets(seed, args, meter)
        for label, program in programs.items():
            scores = []
            for adapter in LAYOUTS.values():
                start = time.perf_counter()
                with ts.context(adapter=adapter) if adapter else contextlib.nullcontext():
                    scores.append(
                        f"{runner.evaluate(program):.1f}% ({time.perf_counter() - start:.0f} s)"
                    )
            rows.append([seed, label, *scores])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    table = markdown_table(["data seed", "demo set", *LAYOUTS], rows)
    print(table)
    if args.write:
        body = (
            f"{__doc__.split(chr(10) + chr(10), 1)[1].rsplit(chr(10) + chr(10), 1)[0]}\n\n"
            f"**Command:** `python -m bench.studies.adapter_layouts --seeds {args.seeds}"
            + (f" --dspy-demos {args.dspy_demos}" if args.dspy_demos else "")
            + " --write`\n\nHeld-out accuracy on 120 rows of `test.csv` (evaluation seconds in "
            f"brackets).\n\n{table}"
        )
        title = "Where the chat adapter asks for the outputs"
        write_section("adapter-layouts", title, body, results_file("adapter-layouts"))


if __name__ == "__main__":
    main()
