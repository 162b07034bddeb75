"""The registry's builder of BootstrapFinetune: spec parameters (epochs, learning rate, steps,
window, packing, rows, threads) turned into its `train_kwargs`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.optimizers.finetune._finetune import MIN_TRACES, BootstrapFinetune
from engine.optimizers.finetune._trainer import LLAMA_KWARGS


def train_kwargs_of(
    epochs: int,
    learning_rate: float,
    max_steps: int | None,
    window: int,
    threads: int,
    loss_on: str = "answer",
    lr_schedule: str = "constant",
    warmup: float = 0.0,
    packing: bool = LLAMA_KWARGS["packing"][0],
) -> dict[str, Any]:
    """The trainer's settings from the spec's parameter names (`max_steps` 0 or None: none)."""
    kwargs: dict[str, Any] = {"num_train_epochs": epochs, "learning_rate": learning_rate,
                              "n_ctx": window, "num_threads": threads, "loss_on": loss_on,
                              "lr_scheduler_type": lr_schedule,
                              "warmup_ratio": warmup, "packing": packing}  # fmt: skip
    if max_steps:
        kwargs["max_steps"] = max_steps
    return kwargs


def bootstrap_finetune(
    metric: Callable[..., Any] | None = None,
    *,
    epochs: int = LLAMA_KWARGS["num_train_epochs"][0],
    learning_rate: float = LLAMA_KWARGS["learning_rate"][0],
    max_steps: int | None = None,
    window: int = 512,
    max_rows: int | None = None,
    threads: int = 1,
    multitask: bool = True,
    min_traces: int = MIN_TRACES,
    exclude_demos: bool = False,
    train_on: str = "traces",
    loss_on: str = "answer",
    lr_schedule: str = "constant",
    warmup: float = 0.0,
    packing: bool = LLAMA_KWARGS["packing"][0],
) -> BootstrapFinetune:
    """BootstrapFinetune from a spec's parameters."""
    return BootstrapFinetune(
        metric=metric, multitask=multitask, min_traces=min_traces, max_rows=max_rows or None,
        exclude_demos=exclude_demos, train_on=train_on,
        train_kwargs=train_kwargs_of(epochs, learning_rate, max_steps, window, threads,
                                     loss_on, lr_schedule, warmup, packing),
    )  # fmt: skip
