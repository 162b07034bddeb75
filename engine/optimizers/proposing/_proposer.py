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

from engine.core import REPLY_START, BudgetExhausted, LMError, settings, until_kwargs
from engine.evaluate.texts import shorten
from engine.modules.predict import resolve_lm
from engine.optimizers.proposing._cleaning import ProposalCleaner, instruction_reply_kwargs
from engine.optimizers.proposing._grounding import (
    STEM_SENTENCE,
    TaskFacts,
    complete_stem,
    continues_stem,
    data_summary,
    stems,
    task_facts,
    template_variations,
)
from engine.optimizers.proposing._search_space import demo_set_hash
from engine.optimizers.spine import derive_seed

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
STEM_TOKENS = 40  # one sentence after a stem
DRAWS_PER_CANDIDATE = 3  # most proposer calls per new instruction wanted
# a stem's first lap is sampled within these bounds (a small model loses the thread above)
STEM_TEMPERATURE = (0.6, 0.9)
TEMPERATURE_STEP = 0.2  # added each time the stems come round again
MAX_TEMPERATURE = 1.5

SYSTEM = (
    "You are an expert prompt engineer. You write the instruction that tells a language model "
    "how to do one step of a task. Reply with the instruction only."
)


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
    return "\n".join(f"{k}: {shorten(items[k], FIELD_CHARS)}" for k in keys if k in items)


@dataclass
class ProposalSet:
    """One predictor's instructions: index 0 is the original; where each came from; cleaning;
    how each was made (`made`, one dict per instruction) and the replies dropped, with why
    (`rejected`)."""

    predictor: str
    instructions: list[str]
    origins: list[str]
    cleaning: dict[str, Any] = field(default_factory=dict)
    made: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


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
    def _call(
        self, user: str, max_tokens: int, rollout: tuple, temperature: float | None = None,
        **extra: Any,
    ) -> str:  # fmt: skip
        """One proposer reply (at `temperature`, else the proposer's own)."""
        lm = resolve_lm(self.prompt_model)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        with settings.context(lm_role="proposer"):
            texts = lm(
                messages=messages,
                temperature=self.temperature if temperature is None else temperature,
                max_tokens=max_tokens,
                rollout_id="/".join(str(p) for p in rollout),
                **extra,
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
            joined = "\n\n".join(f"Notes {i + 1}: {shorten(n, 500)}" for i, n in enumerate(notes))
            merged = self._safe_call(
                f"{joined}\n\nCombine these notes into one summary of two or three sentences.",
                SUMMARY_TOKENS,
                ("summary", "merge"),
            )
            notes = [merged.strip()] if merged.strip() else notes[:1]
        self.dataset_summary = shorten(notes[0], 600) if notes else ""
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
        parts.append(f"Its current instruction: {shorten(predictor.signature.instructions, 400)}")
        if self.fewshot_aware and demos:
            keys = list(predictor.signature.fields)
            shown = "\n\n".join(render_example(d, keys) for d in list(demos)[:DEMOS_SHOWN])
            parts.append(f"Examples of this step done right:\n\n{shown}")
        if history:
            ranked = sorted(history, key=lambda item: item[1], reverse=True)[:HISTORY_SHOWN]
            lines = [f"- score {score:.2f}: {shorten(text, 240)}" for text, score in ranked]
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

    def stem_prompt(
        self, path: str, predictor: Any, facts: TaskFacts, demos: Sequence[Any], stem: str
    ) -> str:
        """The short request a small model can follow: the step, the data in one line, a few
        examples, and the instruction's beginning to finish with one sentence."""
        parts = [f"You write the instruction for this step. {describe_step(path, predictor)}"]
        facts_line = data_summary(facts)
        if self.data_aware and self.dataset_summary:
            facts_line = f"{facts_line} {shorten(self.dataset_summary, 300)}".strip()
        if facts_line:
            parts.append(f"About the data: {facts_line}")
        if demos:
            keys = list(predictor.signature.fields)
            shown = "\n\n".join(render_example(d, keys) for d in list(demos)[:DEMOS_SHOWN])
            parts.append(f"Examples:\n\n{shown}")
        parts.append(
            "Finish the instruction below with one short sentence. Reply with the whole "
            f"instruction, starting with its first words.\n\nInstruction: {stem}"
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
        """`n` distinct instructions per predictor, the current one first. The proposer LM is
        asked up to `DRAWS_PER_CANDIDATE` times per instruction wanted (`draw_cap`); replies
        that are unusable or duplicates (of the current instruction, of one in `history`
        ({predictor: [(instruction, score)]}) or of each other) are dropped with the reason.
        When the draws or the proposer's own budget run out first, template variations built
        from the data fill the rest (origin "template ..."). `predictors` limits the
        proposals to those paths."""
        if self.data_aware and self.dataset_summary is None and trainset:
            self.describe_dataset(trainset)
        out: dict[str, ProposalSet] = {}
        for path, predictor in program.named_predictors():
            if predictors is not None and path not in predictors:
                continue
            sets = [s for s in (demo_sets or {}).get(path, []) if s]
            tried = list((history or {}).get(path, []))
            out[path] = _Drawing(self, program, path, predictor, trainset, sets, tried,
                                 round_index).run(n)  # fmt: skip
        return out

    def _draw(
        self, user: str, rollout: tuple, temperature: float, stem: str | None, seed: int
    ) -> tuple[str | None, str | None]:
        """One proposal reply, or None and why the call failed. A `stem` is the reply's
        required start on the embedded model (which then writes one sentence after it); other
        models are asked in words."""
        lm = resolve_lm(self.prompt_model)
        extra: dict[str, Any] = {}
        if stem is None:
            extra = instruction_reply_kwargs(lm)
        elif getattr(lm, "supports_stop", False):
            extra = {REPLY_START: stem, "seed": seed, **until_kwargs(lm, STEM_SENTENCE)}
        tokens = STEM_TOKENS if stem is not None else PROPOSAL_TOKENS
        try:
            return self._call(user, tokens, rollout, temperature, **extra), None
        except BudgetExhausted:
            raise
        except LMError as exc:
            return None, f"call failed ({type(exc).__name__})"


def draw_cap(n: int) -> int:
    """Most proposer calls for one predictor that wants `n` instructions (the original
    included): `DRAWS_PER_CANDIDATE` per new instruction."""
    return DRAWS_PER_CANDIDATE * max(0, n - 1)


class _Drawing:
    """The draws for one predictor: the asks, what each gave, and the template fill."""

    def __init__(
        self,
        proposer: GroundedProposer,
        program: Any,
        path: str,
        predictor: Any,
        trainset: list[Any],
        sets: list[list[Any]],
        tried: list[tuple[str, float]],
        round_index: int,
    ) -> None:
        self.proposer, self.program, self.path, self.predictor = proposer, program, path, predictor
        self.trainset, self.sets, self.tried, self.round = trainset, sets, tried, round_index
        self.original = predictor.signature.instructions
        self.facts = task_facts(predictor, trainset)
        self.cleaner = ProposalCleaner(existing=[self.original, *(t for t, _ in tried)])
        self.found = ProposalSet(path, [self.original], ["original"], made=[{"how": "original"}])
        tips = list(TIPS) if proposer.tip_aware else ["none"]
        self.stems = stems(self.facts, tips)
        offset = derive_seed(proposer.seed, "stems", path, round_index)
        if self.stems:
            turn = offset % len(self.stems)
            self.stems = self.stems[turn:] + self.stems[:turn]

    def run(self, n: int) -> ProposalSet:
        wanted = max(0, n - 1)
        # A model that takes a required reply start (the embedded, small one) is only asked
        # to finish stems; others first get the full request, then stems for the retries.
        small = wanted and getattr(resolve_lm(self.proposer.prompt_model), "supports_stop", False)
        free = 0 if small else wanted
        draws, stopped = 0, ""
        while len(self.found.instructions) - 1 < wanted and draws < draw_cap(n):
            try:
                if draws < free:
                    self._free_draw(draws)
                else:
                    self._stem_draw(draws - free)
            except BudgetExhausted as exc:
                if not str(getattr(exc, "limit", "")).startswith("proposer."):
                    raise
                stopped = "the proposer's budget ended"
                break
            draws += 1
        if len(self.found.instructions) - 1 < wanted and not stopped:
            stopped = f"{draws} draws (the most allowed) gave too few distinct instructions"
        filled = self._fill(wanted)
        cleaning = self.cleaner.summary(len(self.found.instructions) - 1 - filled)
        cleaning.update(draws=draws, templates=filled)
        if filled:
            cleaning["filled_because"] = stopped
        self.found.cleaning = cleaning
        return self.found

    def _keep(self, text: str, origin: str, made: dict[str, Any]) -> None:
        self.found.instructions.append(text)
        self.found.origins.append(origin)
        self.found.made.append(made)

    def _reject(self, made: dict[str, Any], why: str) -> None:
        self.found.rejected.append({**made, "why": why})

    def _free_draw(self, draw: int) -> None:
        """The full grounded request (summary, program, demos, history, a tip)."""
        proposer, number = self.proposer, draw + 1
        rng = random.Random(derive_seed(proposer.seed, "tip", self.path, self.round, number))
        tip = rng.choice(list(TIPS)) if proposer.tip_aware else "none"
        demos = self.sets[draw % len(self.sets)] if self.sets else []
        prompt = proposer.proposal_prompt(
            self.program, self.path, self.predictor, demos, self.tried, TIPS[tip]
        )
        summary = proposer.dataset_summary if proposer.data_aware else ""
        made = {"how": "model", "form": "full request", "tip": tip,
                "temperature": proposer.temperature, "demos": len(demos[:DEMOS_SHOWN]),
                "data": shorten(summary or "", 300)}  # fmt: skip
        reply, failure = proposer._draw(
            prompt, ("proposal", self.path, self.round, number), proposer.temperature, None, 0
        )
        made["reply"] = shorten(reply or "", 400)
        kept = self.cleaner.add(reply, failure)
        if kept is None:
            self._reject(made, self.cleaner.last_reason)
        else:
            self._keep(kept, f"proposal {number} (tip: {tip})", made)

    def _stem_draw(self, draw: int) -> None:
        """A stem to finish with one sentence; the stem, demos and temperature vary by draw."""
        proposer = self.proposer
        stem, grounded = self.stems[draw % len(self.stems)]
        lap = draw // len(self.stems)
        start = min(STEM_TEMPERATURE[1], max(STEM_TEMPERATURE[0], proposer.temperature))
        temperature = min(MAX_TEMPERATURE, start + TEMPERATURE_STEP * lap)
        demos = self._demos(draw) if proposer.fewshot_aware else []
        prompt = proposer.stem_prompt(self.path, self.predictor, self.facts, demos, stem)
        made = {"how": "model", "form": "finished a stem", "stem": stem, "grounded_in": grounded,
                "temperature": round(temperature, 2), "demos": len(demos),
                "data": data_summary(self.facts)}  # fmt: skip
        seed = derive_seed(proposer.seed, "stem draw", self.path, self.round, draw) % 2**31
        reply, failure = proposer._draw(
            prompt, ("stem", self.path, self.round, draw), temperature, stem, seed
        )
        made["reply"] = shorten(reply or "", 400)
        if not failure and not continues_stem(stem, reply):  # an instruction of its own
            made["form"] = "wrote its own instruction when asked to finish a stem"
            text, why = reply or "", ""
        else:
            text, why = complete_stem(stem, reply) if not failure else ("", failure)
        if why:
            self.cleaner.add(None, why)
            self._reject(made, why)
            return
        kept = self.cleaner.add(text)
        if kept is None:
            self._reject(made, self.cleaner.last_reason)
        else:
            how = "finished a stem" if made["form"] == "finished a stem" else "asked with a stem"
            number = len(self.found.instructions)
            self._keep(kept, f"proposal {number} ({how}: {grounded})", made)

    def _demos(self, draw: int) -> list[Any]:
        """A demo set by turns, else a different few training rows per draw."""
        if self.sets:
            return list(self.sets[draw % len(self.sets)])[:DEMOS_SHOWN]
        if not self.trainset:
            return []
        rng = random.Random(
            derive_seed(self.proposer.seed, "stem demos", self.path, self.round, draw)
        )
        return rng.sample(list(self.trainset), min(DEMOS_SHOWN, len(self.trainset)))

    def _fill(self, wanted: int) -> int:
        """Template variations for the instructions still missing; how many were added."""
        added = 0
        for text, template in template_variations(self.original, self.facts):
            if len(self.found.instructions) - 1 >= wanted:
                break
            kept = self.cleaner.hold(text)
            if kept is None:
                continue
            added += 1
            made = {"how": "template", "template": template, "data": data_summary(self.facts)}
            self._keep(kept, f"template {added} ({template}); the model did not write it", made)
        return added


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
            {"index": i, "text": text, "origin": origin, **({"made": made} if made else {})}
            for i, (text, origin, made) in enumerate(
                zip(found.instructions, found.origins, _padded(found.made, found), strict=True)
            )
        ],
        rejected=found.rejected,
        demo_sets=[
            {"index": i, "hash": demo_set_hash(demos), "size": len(demos), "origin": origin}
            for i, (demos, origin) in enumerate(demo_sets)
        ],
        cleaning=cleaning,
        optimizer=optimizer,
        round=round_index,
    )
    dropped = cleaning.get("dropped") or {}
    if cleaning.get("templates"):
        run.recorder.log(
            f"proposals for {found.predictor}: {cleaning['templates']} instruction(s) are "
            f"template variations built from the data ({cleaning.get('filled_because', '')})"
        )
    if dropped or cleaning.get("capped"):
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(dropped.items()))
        capped = f"; {cleaning['capped']} shortened" if cleaning.get("capped") else ""
        run.recorder.log(
            f"proposals for {found.predictor}: kept {cleaning.get('kept', 0)} of "
            f"{cleaning.get('proposed', 0)}" + (f", dropped {reasons}" if reasons else "") + capped
        )


def _padded(made: list[dict[str, Any]], found: ProposalSet) -> list[dict[str, Any]]:
    """`made` with one (possibly empty) dict per instruction."""
    return [*made, *({} for _ in range(len(found.instructions) - len(made)))][
        : len(found.instructions)
    ]
