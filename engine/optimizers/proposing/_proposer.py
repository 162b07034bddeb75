"""The grounded proposer: writes instruction candidates for each predictor of a program.

Shared by MIPROv2 and COPRO. For each proposal it shows the proposer LM (role "proposer"):
- a dataset summary it wrote earlier from batches of training examples (`data_aware`);
- a description of the program, built from its signatures and steps (`program_aware`; no LM
  call: the signatures say it exactly, where DSPy spends calls asking an LM to describe code);
- a few demos of the step working (`fewshot_aware`);
- instructions tried so far with their scores (when a history is given);
- one prompting tip, drawn at random (`tip_aware`).
Replies are plain text, not a structured format, so a weak proposer cannot fail a parse; they
go through `ProposalCleaner`. Every prompt is kept small enough for a 4096-token context.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import BudgetExhausted, LMError
from engine.modules.predict import resolve_lm
from engine.optimizers.proposing._cleaning import ProposalCleaner, instruction_reply_kwargs
from engine.optimizers.proposing._search_space import demo_set_hash
from engine.optimizers.spine._base import derive_seed
from engine.settings import settings

# Tips in the spirit of DSPy's (creative, simple, description, high stakes, persona, none);
# the wording is ours.
TIPS = {
    "none": "",
    "creative": "Don't be afraid to be creative when writing the instruction.",
    "simple": "Keep the instruction clear and short.",
    "description": "Make the instruction very informative and descriptive.",
    "high_stakes": "The task is high stakes: say precisely what a correct answer needs.",
    "persona": "Begin the instruction by giving the model a fitting role or persona.",
}
FIELD_CHARS = 160  # longest field value shown to the proposer
DEMOS_SHOWN = 3
HISTORY_SHOWN = 8
SUMMARY_BATCHES = 2  # batches of training examples read for the dataset summary
PROPOSAL_TOKENS = 160
SUMMARY_TOKENS = 160

SYSTEM = (
    "You are an expert prompt engineer. You write the instruction that tells a language model "
    "how to do one step of a task. Reply with the instruction only."
)


def _short(value: Any, limit: int = FIELD_CHARS) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _field_line(field: Any) -> str:
    desc = f" — {field.desc}" if getattr(field, "desc", "") else ""
    return f"`{field.name}` ({field.type_name}){desc}"


def describe_step(path: str, predictor: Any) -> str:
    sig = predictor.signature
    ins = "; ".join(_field_line(f) for f in sig.input_fields.values())
    outs = "; ".join(_field_line(f) for f in sig.output_fields.values())
    return f"Step `{path}`: reads {ins}; writes {outs}."


def describe_program(program: Any) -> str:
    """A description of the program from its signatures and steps (no LM call)."""
    named = program.named_predictors()
    lines = [f"The program has {len(named)} step(s), run in this order:"]
    lines += [f"- {describe_step(path, p)}" for path, p in named]
    return "\n".join(lines)


def render_example(example: Any, keys: Sequence[str] | None = None) -> str:
    items = dict(example.items()) if hasattr(example, "items") else dict(example)
    keys = list(keys) if keys is not None else list(items)
    return "\n".join(f"{k}: {_short(items[k])}" for k in keys if k in items)


@dataclass
class ProposalSet:
    """One predictor's instructions: index 0 is the original; where each came from; cleaning."""

    predictor: str
    instructions: list[str]
    origins: list[str]
    cleaning: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroundedProposer:
    """Proposes instructions with `prompt_model` (None: the task LM) under role "proposer"."""

    prompt_model: Any = None
    program_aware: bool = True
    data_aware: bool = True
    tip_aware: bool = True
    fewshot_aware: bool = True
    view_data_batch_size: int = 10
    temperature: float = 1.0
    seed: int = 0
    dataset_summary: str | None = None

    # -- calls ------------------------------------------------------------------------------
    def _call(self, user: str, max_tokens: int, rollout: tuple, instruction: bool = False) -> str:
        """One proposer reply; `instruction`: the reply is read by `ProposalCleaner`."""
        lm = resolve_lm(self.prompt_model)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        until = instruction_reply_kwargs(lm) if instruction else {}
        with settings.context(lm_role="proposer"):
            texts = lm(
                messages=messages,
                temperature=self.temperature,
                max_tokens=max_tokens,
                rollout_id="/".join(str(p) for p in rollout),
                **until,
            )
        return texts[0] if texts else ""

    # -- dataset summary --------------------------------------------------------------------
    @staticmethod
    def summary_calls(n_train: int, batch_size: int) -> int:
        batches = min(SUMMARY_BATCHES, math.ceil(n_train / max(1, batch_size)))
        return 0 if batches == 0 else batches + (1 if batches > 1 else 0)

    def describe_dataset(self, trainset: list[Any]) -> str:
        """Notes on up to two batches of training examples, merged into one summary."""
        if self.dataset_summary is not None:
            return self.dataset_summary
        rng = random.Random(derive_seed(self.seed, "dataset summary"))
        data = list(trainset)
        rng.shuffle(data)
        size = max(1, self.view_data_batch_size)
        batches = [data[i : i + size] for i in range(0, len(data), size)][:SUMMARY_BATCHES]
        notes = []
        for number, batch in enumerate(batches):
            shown = "\n\n".join(render_example(ex) for ex in batch)
            user = (
                f"Here are {len(batch)} examples from a dataset:\n\n{shown}\n\n"
                "In two or three sentences, describe this data: what the inputs are, what the "
                "outputs or labels are, and any pattern that matters for getting them right."
            )
            notes.append(self._safe_call(user, SUMMARY_TOKENS, ("summary", number)))
        notes = [n.strip() for n in notes if n and n.strip()]
        if len(notes) > 1:
            joined = "\n\n".join(f"Notes {i + 1}: {_short(n, 500)}" for i, n in enumerate(notes))
            merged = self._safe_call(
                f"{joined}\n\nCombine these notes into one summary of two or three sentences.",
                SUMMARY_TOKENS,
                ("summary", "merge"),
            )
            notes = [merged.strip()] if merged.strip() else notes[:1]
        self.dataset_summary = _short(notes[0], 600) if notes else ""
        return self.dataset_summary

    def _safe_call(self, user: str, max_tokens: int, rollout: tuple) -> str:
        try:
            return self._call(user, max_tokens, rollout)
        except BudgetExhausted:
            raise
        except LMError:
            return ""

    # -- proposals --------------------------------------------------------------------------
    def proposal_prompt(
        self,
        program: Any,
        path: str,
        predictor: Any,
        demos: Sequence[Any],
        history: Sequence[tuple[str, float]],
        tip: str,
    ) -> str:
        parts = []
        if self.data_aware and self.dataset_summary:
            parts.append(f"About the data: {self.dataset_summary}")
        if self.program_aware:
            parts.append(describe_program(program))
        parts.append(f"You write the instruction for this step. {describe_step(path, predictor)}")
        parts.append(f"Its current instruction: {_short(predictor.signature.instructions, 400)}")
        if self.fewshot_aware and demos:
            keys = list(predictor.signature.fields)
            shown = "\n\n".join(render_example(d, keys) for d in list(demos)[:DEMOS_SHOWN])
            parts.append(f"Examples of this step done right:\n\n{shown}")
        if history:
            ranked = sorted(history, key=lambda item: item[1], reverse=True)[:HISTORY_SHOWN]
            lines = [f"- score {score:.2f}: {_short(text, 240)}" for text, score in ranked]
            parts.append(
                "Instructions tried so far, best first (score from 0 to 1):\n" + "\n".join(lines)
            )
        if self.tip_aware and tip:
            parts.append(f"Tip: {tip}")
        parts.append(
            "Write one new instruction for this step that would make the model's outputs more "
            "often correct. Reply with the instruction only, in one to three sentences."
        )
        return "\n\n".join(parts)

    def propose(
        self,
        program: Any,
        trainset: list[Any],
        n: int,
        *,
        demo_sets: dict[str, list[list[Any]]] | None = None,
        history: dict[str, list[tuple[str, float]]] | None = None,
        round_index: int = 0,
        predictors: Sequence[str] | None = None,
    ) -> dict[str, ProposalSet]:
        """Up to `n` instructions per predictor, the current one first (n - 1 proposer calls
        each). Fewer come back when replies are empty, unusable, or duplicates of the current
        instruction or of one in `history` ({predictor: [(instruction, score)]}). `predictors`
        limits the proposals to those paths."""
        if self.data_aware and self.dataset_summary is None and trainset:
            self.describe_dataset(trainset)
        out: dict[str, ProposalSet] = {}
        for path, predictor in program.named_predictors():
            original = predictor.signature.instructions
            tried = list((history or {}).get(path, []))
            cleaner = ProposalCleaner(existing=[original, *(text for text, _ in tried)])
            instructions, origins = [original], ["original"]
            sets = [s for s in (demo_sets or {}).get(path, []) if s]
            for i in range(1, max(1, n)):
                rng = random.Random(derive_seed(self.seed, "tip", path, round_index, i))
                tip_name = rng.choice(list(TIPS)) if self.tip_aware else "none"
                demos = sets[(i - 1) % len(sets)] if sets else []
                prompt = self.proposal_prompt(
                    program, path, predictor, demos, tried, TIPS[tip_name]
                )
                try:
                    reply, failure = (
                        self._call(
                            prompt,
                            PROPOSAL_TOKENS,
                            ("proposal", path, round_index, i),
                            instruction=True,
                        ),
                        None,
                    )
                except BudgetExhausted:
                    raise
                except LMError as exc:
                    reply, failure = None, f"call failed ({type(exc).__name__})"
                kept = cleaner.add(reply, failure)
                if kept is not None:
                    instructions.append(kept)
                    origins.append(f"proposal {i} (tip: {tip_name})")
            out[path] = ProposalSet(
                path, instructions, origins, cleaner.summary(len(instructions) - 1)
            )
        return out

    def proposal_calls(self, n_predictors: int, n: int) -> int:
        return n_predictors * max(0, n - 1)


def emit_proposals(
    run: Any,
    optimizer: str,
    found: ProposalSet,
    demo_sets: list[tuple[list[Any], str]],
    round_index: int,
) -> None:
    """The `proposals` event of one predictor (docs/design/instruction_search.md)."""
    cleaning = found.cleaning
    run.recorder.emit(
        "proposals",
        predictor=found.predictor,
        instructions=[
            {"index": i, "text": text, "origin": origin}
            for i, (text, origin) in enumerate(zip(found.instructions, found.origins, strict=True))
        ],
        demo_sets=[
            {"index": i, "hash": demo_set_hash(demos), "size": len(demos), "origin": origin}
            for i, (demos, origin) in enumerate(demo_sets)
        ],
        cleaning=cleaning,
        optimizer=optimizer,
        round=round_index,
    )
    dropped = cleaning.get("dropped") or {}
    if dropped or cleaning.get("capped"):
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(dropped.items()))
        capped = f"; {cleaning['capped']} shortened" if cleaning.get("capped") else ""
        run.recorder.log(
            f"proposals for {found.predictor}: kept {cleaning.get('kept', 0)} of "
            f"{cleaning.get('proposed', 0)}" + (f", dropped {reasons}" if reasons else "") + capped
        )
