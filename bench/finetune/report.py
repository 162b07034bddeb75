"""The finetune bench's report: its records as tables (bench/results/finetune.md), each method
against zero-shot and against the BootstrapFewShot run of the same command, and the default
recipe pooled over the splits that chose it (tuning) and those that confirmed it once
(confirmation; bench/DATA.md). Imported by `bench.finetune` after
`bench.core.common.isolate_caches()`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.core.common import machine, markdown_table
from engine.evaluate.statistics import paired_by_id, points
from engine.optimizers.finetune import training_params

OPTIMIZERS = {
    "fewshot": ("BootstrapFewShot", {}),
    "finetune": ("bootstrap_finetune", {}),
    "finetune_labels": ("bootstrap_finetune", {"train_on": "labels"}),
    "finetune_both": ("bootstrap_finetune", {"train_on": "both"}),
    "together": ("better_together", {}),
    "together_labels": ("better_together", {"train_on": "labels"}),
    "together_both": ("better_together", {"train_on": "both"}),
}
TRAINING = ("finetune", "finetune_labels", "finetune_both", "together", "together_labels",
            "together_both")  # fmt: skip
DEFAULT_STRATEGY = "p -> w -> p"  # BetterTogether's own default (DSPy's)
# The default recipe's splits (bench/DATA.md): those it was chosen on, then those that
# confirmed it once at e2be1e1 (tuning data since).
RECIPE = "finetune_labels"  # its label: train_on="labels", every other setting the engine's
TUNING_SPLITS = ("support_tickets", "support_tickets (data seed 1)",
                 "support_tickets (data seed 2)", "reviews", "banking77",
                 "banking77 (data seed 1)")  # fmt: skip
CONFIRMATION_SPLITS = ("support_tickets (data seed 3)", "reviews (data seed 3)",
                       "banking77 (data seed 3)", "sms (generator seed 4)")  # fmt: skip
ENGINE = {p.name: p.default for p in training_params()}  # what a user gets: the bench's defaults
# what a record that names no such setting ran with (the trainer's defaults before 2026-11-27)
BEFORE_THE_SETTING = {"learning_rate": 1e-4, "packing": True, "loss_on": "all"}

def wilson(correct: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson interval of an accuracy of `correct` out of `n`."""
    if n == 0:
        return 0.0, 0.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def setting(params: dict[str, Any], name: str) -> Any:
    """What a run's training setting was: as recorded, else what a record without it ran with."""
    return params.get(name, BEFORE_THE_SETTING.get(name, ENGINE.get(name)))


def label(record: dict[str, Any]) -> str:
    """A record's method as the table names it: the method, and where it differs from the
    engine's defaults its strategy, epochs, window, learning rate, schedule, packing and loss
    (`finetune_labels (2 epochs, learning rate 0.0001, rows packed)`)."""
    params = record.get("params", {})
    notes = [params["strategy"]] if params.get("strategy") else []
    if record["method"] in TRAINING:
        if setting(params, "epochs") != ENGINE["epochs"]:
            notes.append(f"{params['epochs']} epochs")
        if params.get("exclude_demos") is False:
            notes.append("rows with demos")
        if setting(params, "window") != ENGINE["window"]:
            notes.append(f"{params['window']}-token windows")
        if setting(params, "learning_rate") != ENGINE["learning_rate"]:
            notes.append(f"learning rate {setting(params, 'learning_rate'):g}")
        if setting(params, "lr_schedule") != ENGINE["lr_schedule"]:
            notes.append(f"{params['lr_schedule']} schedule")
        if setting(params, "warmup"):
            notes.append(f"{params['warmup']:.0%} warm-up")
        if setting(params, "packing") != ENGINE["packing"]:
            notes.append("rows packed" if setting(params, "packing") else "a row a window")
        if setting(params, "loss_on") != ENGINE["loss_on"]:
            notes.append("loss on every token" if setting(params, "loss_on") == "all"
                         else f"loss on the {setting(params, 'loss_on')}")  # fmt: skip
    return record["method"] + (f" ({', '.join(notes)})" if notes else "")


def points_range(comparison: dict[str, Any] | None) -> str:
    """`+12 [-5, +30]`: a paired difference in points with its 95% interval, or a dash."""
    if not comparison or comparison.get("diff") is None or comparison.get("ci_low") is None:
        return "—"
    return f"{points(comparison['diff'])} [{points(comparison['ci_low'])}, " + (
        f"{points(comparison['ci_high'])}]"
    )


def fewshot_of(record: dict[str, Any], records: list[dict[str, Any]]) -> tuple[dict, bool]:
    """The BootstrapFewShot run a method is paired with: the one of the same command (same
    splits, same code), else the dataset's latest (False: from another run)."""
    same = [r for r in records if r["method"] == "fewshot" and r.get("invocation")
            and r.get("invocation") == record.get("invocation")]  # fmt: skip
    if same:
        return same[-1], True
    other = [r for r in records if r["method"] == "fewshot" and r["dataset"] == record["dataset"]]
    return (other[-1] if other else {}), False


def check_text(r: dict[str, Any]) -> str:
    """The run's check on its validation rows: start → result, and whether the start came back."""
    if r.get("val_base") is None or r.get("val_method") is None or r["method"] == "fewshot":
        return "—"
    kept = "; **the start kept**" if r.get("kept_start") else ""
    return f"{100 * r['val_base']:.0f}% → {100 * r['val_method']:.0f}%{kept}"


def report(records: Path) -> str:
    """The results tables from the records file (the last record per dataset and method)."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    every = [json.loads(line) for line in records.read_text().splitlines()]
    for record in every:
        latest[(record["dataset"], label(record))] = record
    rows = []
    order = sorted(latest.items(), key=lambda kv: (
        kv[0][0], list(OPTIMIZERS).index(kv[1]["method"]), kv[0][1]))  # fmt: skip
    bases: dict[str, set[float]] = {}
    for (dataset, _), r in order:
        if r["test_base"] is not None:
            bases.setdefault(dataset, set()).add(r["test_base"])
    for (dataset, method), r in order:
        scored = [m for (d, m), x in order if d == dataset and x["test_base"] is not None]
        if scored and method == scored[0]:  # the runs' shared start
            n, acc = r["n_test"], r["test_base"]
            low, high = wilson(acc * n, n)
            same = "" if len(bases[dataset]) == 1 else f" (runs differ: {sorted(bases[dataset])})"
            rows.append([dataset, "zero-shot", "the start of every run" + same,
                         f"{100 * acc:.0f}% [{100 * low:.0f}, {100 * high:.0f}]", "—", "—", "—",
                         "—", "—", "—"])  # fmt: skip
        if r["test_method"] is None:  # the run failed: say why
            rows.append([dataset, method, r["optimizer"], "—", "—", "—", "—", f"{r['wall_s']:.0f}",
                         r.get("reason", "")[:160], r["status"]])  # fmt: skip
            continue
        n, acc = r["n_test"], r["test_method"]
        low, high = wilson(acc * n, n)
        diff = points_range({"diff": r["diff"], "ci_low": r["diff_ci"][0],
                             "ci_high": r["diff_ci"][1]})  # fmt: skip
        fewshot, same_run = fewshot_of(r, every)
        vs_fewshot = "—" if method == "fewshot" or not r.get("test_scores") else points_range(
            paired_by_id(fewshot.get("test_scores") or {}, r["test_scores"]))  # fmt: skip
        if vs_fewshot != "—" and not same_run:
            vs_fewshot += " (another run's)"
        training = "—" if not r["training_steps"] else (
            f"{r['training_steps']} steps, {r['training_s']:.0f} s, "
            f"{r['tokens_per_second']:.1f} tok/s, loss {r['losses'][0]:.2f} → "
            f"{r['losses'][-1]:.2f}" + (f", {r['model_mb']} MB" if r["model_mb"] else "")
        )  # fmt: skip
        if r.get("step_scores"):  # BetterTogether: each step's program on the validation rows
            scores = [float(m.split("): ")[1].split()[0]) for m in r["step_scores"]]
            training += "; validation after each step: " + ", ".join(
                f"{100 * x:.0f}%" for x in scores)  # fmt: skip
            if not r["model_mb"]:
                training += " (a prompt-only step kept)"
        accuracy = f"{100 * acc:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"
        rows.append([dataset, method, r["optimizer"], accuracy, diff, vs_fewshot,
                     check_text(r), f"{r['wall_s']:.0f}", training, r["status"]])  # fmt: skip
    header = ["data", "method", "optimizer", "held-out acc [95% Wilson]",
              "vs base, points [95% paired]", "vs fewshot, points [95% paired]",
              "validation: start → result", "wall s", "training", "status"]  # fmt: skip
    commands = sorted({r["command"] for r in latest.values()})
    commits = ", ".join(sorted({r["commit"] for r in latest.values()}))
    return "\n".join([
        "### The default recipe: tuning and confirmation", "",
        recipe_table(every), "",
        "### Every run", "",
        "Which splits chose the default recipe and which confirmed it: bench/DATA.md. \"vs "
        "fewshot\" pairs a run with the BootstrapFewShot run of the same command (same splits, "
        "same commit), marked \"another run's\" for records from before commands were recorded. "
        "Commands recorded before e2be1e1 ran with the bench's defaults of then (2 epochs, "
        "learning rate 1e-4, rows packed, 256-token windows); since, its defaults are the "
        "engine's; each row's label names the settings that differ from the engine's. "
        "\"Validation\": the run's check of its result against the start on the validation rows "
        "(records since the check).", "",
        markdown_table(header, rows), "",
        f"Machine: {machine()}. Commit(s): {commits}.",
        "Commands:", "", *[f"    {c}" for c in commands],
    ])  # fmt: skip


def pooled(records: list[dict[str, Any]], splits: tuple[str, ...]) -> list[Any] | None:
    """The recipe pooled over `splits` (its last run on each): held-out rows right for the
    untuned start, BootstrapFewShot and the recipe, and the recipe's paired difference against
    BootstrapFewShot over every row (None when a split has no run yet)."""
    base = fewshot = tuned = n = 0.0
    ours: dict[str, float] = {}
    theirs: dict[str, float] = {}
    for split in splits:
        runs = [r for r in records if r["dataset"] == split and label(r) == RECIPE
                and r["test_method"] is not None]  # fmt: skip
        if not runs:
            return None
        r = runs[-1]
        few, _ = fewshot_of(r, records)
        n += r["n_test"]
        base += r["test_base"] * r["n_test"]
        tuned += r["test_method"] * r["n_test"]
        fewshot += few["test_method"] * few["n_test"]
        ours.update({f"{split}/{k}": v for k, v in r["test_scores"].items()})
        theirs.update({f"{split}/{k}": v for k, v in few["test_scores"].items()})
    return [f"{int(n)} rows, {len(splits)} splits", f"{100 * base / n:.1f}%",
            f"{100 * fewshot / n:.1f}%", f"{100 * tuned / n:.1f}%",
            points_range(paired_by_id(theirs, ours))]  # fmt: skip


def recipe_table(records: list[dict[str, Any]]) -> str:
    """Tuning and confirmation figures of the default recipe, side by side."""
    rows = []
    for name, splits in (("tuning", TUNING_SPLITS), ("confirmation", CONFIRMATION_SPLITS)):
        row = pooled(records, splits)
        rows.append([name, ", ".join(splits), *(row or ["not run yet", "", "", "", ""])])
    return markdown_table(["data", "splits", "held-out rows", "untuned", "BootstrapFewShot",
                           "the recipe", "recipe vs few-shot, points [95% paired]"],
                          rows)  # fmt: skip
