"""BootstrapFinetune's estimate: the teacher's calls, the check's calls and what training would
take (rows, tokens, steps, minutes at the measured speed, disk)."""

from __future__ import annotations

from typing import Any

from engine.lm.local import PROVIDER
from engine.optimizers.finetune._blas import module_built
from engine.optimizers.finetune._rows import labelled_steps, model_of
from engine.optimizers.finetune._trainer import answer_loss, packs_rows, plan_steps, setting
from engine.optimizers.spine import (
    Estimate,
    Workload,
    baseline_and_result_scoring,
    calls_per_run,
    tokens_per_call,
)

# Training speed of the embedded model on this project's 2-core machines (tokens/s, one thread,
# docs/design/finetune.md), what the estimate forecasts with: on the BLAS backend (a real run's
# 36 steps of 256 tokens through the worker, idle Intel Xeon), and on the CPU backend alone
# (a real CLI run's 21 steps, other jobs running).
MEASURED_TOKENS_PER_SECOND = {"blas": 86, "cpu": 24}


def training_tokens_per_second() -> int:
    """What the embedded trainer is expected to reach here: the BLAS backend's rate when
    `make setup` built its module, else the CPU backend's."""
    return MEASURED_TOKENS_PER_SECOND["blas" if module_built() else "cpu"]


def finetune_estimate(optimizer: Any, work: Workload) -> Estimate:
    """A BootstrapFinetune's estimate: the teacher on every training row (none when it trains
    on the labels), the check on the validation rows, and the training forecast."""
    if optimizer.train_on == "labels":  # no teacher runs: the rows are the data's own answers
        estimate = Estimate({"task": 0}, 0, 0, "no model calls before training: its weights "
                            "are trained on the training rows' own answers")  # fmt: skip
    else:
        calls = len(work.trainset) * work.per_example
        tokens = calls * tokens_per_call(work.trainset, 0)
        also = " and on the training rows' own answers" if optimizer.train_on == "both" else ""
        estimate = Estimate({"task": calls}, tokens, 1,
                            "the model answers every training row once, then its weights "
                            f"are trained on the answers the metric accepts{also}")  # fmt: skip
    if optimizer.metric is not None and work.valset:  # the check: the start and the tuned one
        calls, tokens = baseline_and_result_scoring(work.valset, work.per_example, 0)
        estimate.calls["task"] += calls
        estimate.tokens += tokens
        estimate.trials += 2
        estimate.notes += (f"; then the program as given and the tuned one on "
                           f"{len(work.valset)} validation rows")  # fmt: skip
    estimate.training = training_forecast(optimizer, work)
    return estimate


def training_forecast(optimizer: Any, work: Workload) -> dict[str, Any]:
    """What training would take if every training row passed: rows (and how many from each
    source), tokens, steps, minutes on this machine at the measured speed, disk."""
    from_traces = from_labels = 0
    if optimizer.train_on != "labels":
        from_traces = len(work.trainset) * calls_per_run(work.student)
        if optimizer.max_rows is not None:
            from_traces = min(from_traces, optimizer.max_rows)
    if optimizer.train_on != "traces":
        steps = 1
        if work.student is not None:
            steps = len(labelled_steps(work.student, work.trainset)[0])
        from_labels = len(optimizer.capped(work.trainset)) * steps
    rows = from_traces + from_labels
    tokens = rows * tokens_per_call(work.trainset, 0)
    kwargs = optimizer.train_kwargs
    packing = packs_rows(kwargs)
    whole_rows = rows if answer_loss(kwargs) or not packing else None
    plan = plan_steps(tokens, int(setting(kwargs, "n_ctx")),
                      int(setting(kwargs, "num_train_epochs")), kwargs.get("max_steps"),
                      whole_rows, packing)  # fmt: skip
    students = work.student.predictors() if work.student is not None else []
    models = sorted({model_of(p) for p in students} - {""})
    local = [m for m in models if m.startswith(PROVIDER + "/")]
    out: dict[str, Any] = {
        "rows": rows, "rows_from": {"traces": from_traces, "labels": from_labels},
        "tokens": tokens, "epochs": plan.epochs, "steps": plan.steps,
        "window": plan.window, "tokens_per_second": training_tokens_per_second(),
    }  # fmt: skip
    if local or not models:  # the embedded trainer: its speed on this machine
        out["minutes"] = round(plan.steps * plan.window / out["tokens_per_second"] / 60, 1)
    try:
        out["disk_bytes"] = sum(optimizer.trainer_for(m).disk_bytes(m) for m in models) or None
    except Exception:  # noqa: BLE001 - a model it cannot tune: the checks say so
        out["disk_bytes"] = None
    return out
