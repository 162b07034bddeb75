"""Fine-tuning through a provider's own API (OpenAI and OpenAI-compatible servers), via
litellm's file and fine-tuning calls: the rows are uploaded as a JSONL file, a fine-tuning job
is created on them and polled until it ends; the tuned model's name comes back as
`openai/<fine_tuned_model>`, which `engine.LM` calls like any other.

The job's id is kept in the run's folder (`hosted-<job key>.json`), so a worker started again
after a crash follows the job it created instead of paying for a second one. A cancel cancels
the job. The API key is passed to each call and never written anywhere (errors are masked).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.core import FinetuneUnavailable
from engine.lm import get_litellm
from engine.lm.local import models_dir
from engine.optimizers.finetune._llama_train import TrainStep
from engine.optimizers.finetune._process import TrainingCancelled, TrainingFailed

Messages = list[dict[str, str]]
PROVIDER = "openai"
# train_kwargs the provider's job takes: key -> its hyperparameter name there
HOSTED_KWARGS = {"num_train_epochs": "n_epochs", "per_device_train_batch_size": "batch_size",
                 "learning_rate_multiplier": "learning_rate_multiplier"}  # fmt: skip
HOSTED_CONTEXT = 65_536  # tokens of one training example (OpenAI's gpt-4o-mini fine-tuning)
ENDED = {"succeeded", "failed", "cancelled"}


def hosted_model(model: str) -> str | None:
    """The provider's own name of an OpenAI(-compatible) model ('openai/gpt-4o-mini' ->
    'gpt-4o-mini'), or None for other providers."""
    prefix = PROVIDER + "/"
    return model[len(prefix):] if model.startswith(prefix) and len(model) > len(prefix) else None


class HostedTrainer:
    """Fine-tunes `openai/<model>` models (OpenAI, or any server speaking its files and
    fine-tuning API at `api_base`). `poll_seconds` is the wait between status checks."""

    def __init__(
        self,
        api_base: str | None = None,
        api_key: str | None = None,
        folder: Path | None = None,
        poll_seconds: float = 10.0,
    ) -> None:
        self.api_base, self._api_key = api_base, api_key
        self.folder, self.poll_seconds = folder, poll_seconds

    def __repr__(self) -> str:  # never the key
        return f"HostedTrainer(api_base={self.api_base!r})"

    def problems(self, model: str, train_kwargs: Mapping[str, Any]) -> list[str]:
        out = []
        if hosted_model(model) is None:
            out.append(f"The model {model!r} cannot be fine-tuned through a provider: only "
                       f"OpenAI-compatible models ({PROVIDER}/<model>) are.")  # fmt: skip
        for key in sorted(set(train_kwargs) - set(HOSTED_KWARGS)):
            hint = (" (the provider takes learning_rate_multiplier instead)"
                    if key == "learning_rate" else "")  # fmt: skip
            out.append(f"train_kwargs[{key!r}] is not a setting of the provider's fine-tuning "
                       f"job{hint}; it takes {', '.join(HOSTED_KWARGS)}.")  # fmt: skip
        return out

    def count_tokens(self, model: str, messages: Messages) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 4 * len(messages)

    def context_length(self, train_kwargs: Mapping[str, Any]) -> int:
        return HOSTED_CONTEXT

    def disk_bytes(self, model: str) -> int:
        return 0  # the rows' file only: the model stays with the provider

    def train(
        self,
        model: str,
        rows: Sequence[Messages],
        train_kwargs: Mapping[str, Any],
        on_step: Callable[[TrainStep], bool | None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        problems = self.problems(model, train_kwargs)
        if problems:
            raise FinetuneUnavailable(" ".join(problems))
        jsonl = "".join(json.dumps({"messages": list(row)}) + "\n" for row in rows).encode()
        settings = json.dumps([model, dict(train_kwargs)], sort_keys=True).encode()
        key = hashlib.sha256(jsonl + settings).hexdigest()[:12]
        record = (self.folder or models_dir() / "finetuned") / f"hosted-{key}.json"
        try:
            job_id = self._known_job(record) or self._start(model, jsonl, train_kwargs, record)
            return self._follow(job_id, should_stop)
        except (TrainingCancelled, TrainingFailed, FinetuneUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001 - a provider error, said without the key
            said = f"the provider's fine-tuning API failed: {type(exc).__name__}: {exc}"
            raise TrainingFailed(self._masked(said)) from None

    # -- the provider's calls -------------------------------------------------------------
    def _endpoint(self) -> dict[str, Any]:
        out: dict[str, Any] = {"custom_llm_provider": PROVIDER}
        if self.api_base:
            out["api_base"] = self.api_base
        if self._api_key:
            out["api_key"] = self._api_key
        return out

    def _known_job(self, record: Path) -> str | None:
        try:
            return str(json.loads(record.read_text())["job"])
        except (OSError, ValueError, KeyError):
            return None

    def _start(self, model: str, jsonl: bytes, kwargs: Mapping[str, Any], record: Path) -> str:
        litellm = get_litellm()
        uploaded = litellm.create_file(file=("rows.jsonl", jsonl), purpose="fine-tune",
                                       **self._endpoint())  # fmt: skip
        hyper = {HOSTED_KWARGS[k]: v for k, v in kwargs.items() if k in HOSTED_KWARGS}
        job = litellm.create_fine_tuning_job(model=hosted_model(model), training_file=uploaded.id,
                                             hyperparameters=hyper, **self._endpoint())  # fmt: skip
        record.parent.mkdir(parents=True, exist_ok=True)
        partial = record.with_name(record.name + ".partial")
        partial.write_text(json.dumps({"job": job.id, "file": uploaded.id, "model": model}))
        partial.replace(record)
        return str(job.id)

    def _follow(self, job_id: str, should_stop: Callable[[], bool] | None) -> str:
        litellm = get_litellm()
        while True:
            job = litellm.retrieve_fine_tuning_job(fine_tuning_job_id=job_id, **self._endpoint())
            status = str(getattr(job, "status", ""))
            if status == "succeeded":
                name = getattr(job, "fine_tuned_model", None)
                if not name:
                    raise TrainingFailed(f"fine-tuning job {job_id} succeeded without a model")
                return f"{PROVIDER}/{name}"
            if status in ENDED:
                error = getattr(job, "error", None)
                message = (error.get("message") if isinstance(error, dict)
                           else getattr(error, "message", None))  # fmt: skip
                said = f"fine-tuning job {job_id} ended {status}"
                raise TrainingFailed(self._masked(f"{said}: {message}" if message else said))
            if should_stop is not None and should_stop():
                litellm.cancel_fine_tuning_job(fine_tuning_job_id=job_id, **self._endpoint())
                raise TrainingCancelled(f"fine-tuning job {job_id} cancelled")
            time.sleep(self.poll_seconds)

    def _masked(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text
