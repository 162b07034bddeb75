"""Study: what a tuned model learnt of a closed output's labels. For every labelled row of a
spec's training and test splits (the chat a `train_on="labels"` run trains on), the loss in
nats of each label as the answer, under the base model and each tuned GGUF given: which label
it prefers (the closed choice picks the likeliest), how often that is right, and the mean loss
of the right label per label. A model that learnt only the labels' frequencies prefers one
label everywhere, on its own training rows too.

    flock /tmp/tunesmith-model.lock python -m bench.studies.finetune_labels_nll \\
        --spec sample_data/support_tickets.yaml [TUNED.gguf ...]

The tuned files are in a run's folder (`runs/<run id>/model/`, `python -m engine show RUN`).
About 1 minute per model on 40 rows of three labels.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from engine.adapters.chat import closed_values
from engine.lm.local import import_llama_cpp, local_model_path
from engine.optimizers.finetune import LlamaTrainer, label_rows
from engine.runs import build_program, load_data, load_spec


def answer_losses(llama: object, prompt: list[int], answers: list[list[int]]) -> list[float]:
    """The summed loss of each answer's tokens after `prompt`."""
    out = []
    for answer in answers:
        llama.reset()
        llama.eval([*prompt, *answer])
        logits = np.asarray(llama.scores[: len(prompt) + len(answer)], dtype=np.float64)
        total = 0.0
        for offset, token in enumerate(answer):
            row = logits[len(prompt) + offset - 1]
            top = row.max()
            total += float(np.log(np.exp(row - top).sum()) + top - row[token])
        out.append(total)
    return out


def study(spec_path: Path, models: list[Path]) -> None:
    spec = load_spec(spec_path)
    data, program = load_data(spec), build_program(spec)
    (name, predictor), *_ = program.named_predictors()
    field, info = list(predictor.signature.output_fields.items())[-1]
    labels = [str(v) for v in closed_values(info) or ()]
    if not labels:
        raise SystemExit(f"{name}'s output {field!r} is not a closed choice")
    trainer = LlamaTrainer()
    splits = {"train": label_rows(program, data.train), "test": label_rows(program, data.test)}
    tokenized = {}
    for split, rows in splits.items():
        items = []
        for row in rows:
            right = row.messages[-1]["content"]
            gold = next(label for label in labels if f"\n{label}\n" in right)
            variants = [trainer.tokens("local/smollm2-135m", [*row.messages[:-1], {
                "role": "assistant", "content": right.replace(f"\n{gold}\n", f"\n{label}\n")}])
                for label in labels]  # fmt: skip
            prompt = variants[0].tokens[: variants[0].counted_from]
            items.append((gold, prompt, [v.tokens[v.counted_from :] for v in variants]))
        tokenized[split] = items
    for model in [local_model_path("local/smollm2-135m"), *models]:
        llama_cpp = import_llama_cpp(model)
        llama = llama_cpp.Llama(str(model), n_ctx=1024, n_threads=1, logits_all=True,
                                verbose=False)
        print(f"\n{model.name}")
        for split, items in tokenized.items():
            picked, right, loss_of_gold = Counter(), 0, defaultdict(list)
            for gold, prompt, answers in items:
                losses = answer_losses(llama, prompt, answers)
                choice = labels[int(np.argmin(losses))]
                picked[choice] += 1
                right += choice == gold
                loss_of_gold[gold].append(losses[labels.index(gold)])
            means = ", ".join(f"{label} {np.mean(v):.2f}" for label, v in loss_of_gold.items())
            print(f"  {split}: {right}/{len(items)} right; picks {dict(picked)}; "
                  f"mean loss of the right label (nats): {means}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=Path("sample_data/support_tickets.yaml"))
    parser.add_argument("models", nargs="*", type=Path, help="tuned GGUF files")
    args = parser.parse_args()
    study(args.spec, args.models)


if __name__ == "__main__":
    main()
