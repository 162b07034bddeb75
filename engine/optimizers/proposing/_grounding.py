"""What a weak proposer is given to work with, read from the task and its data (no LM call):
the step's fields and labels, a one-line summary of the training rows, stems that a small model
completes with one sentence, and template variations of an instruction built from the data.

A 135M-parameter model asked to "write an instruction" mostly returns junk or the same text
again; asked to finish "The category is "billing" when the ticket", it writes a usable clause.
When even that does not give enough distinct instructions, `template_variations` fills the
rest, and each such candidate says it is a template (the model did not write it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine.core import literal_choices, register_until
from engine.evaluate.texts import shorten

MAX_LABELS = 12  # an open text output with at most this many distinct values acts as labels
SNIPPET_CHARS = 90
STEM_SENTENCE = "stem_sentence"  # the reply rule registered below


@dataclass(frozen=True)
class TaskFacts:
    """One step's task as the data shows it."""

    inputs: tuple[str, ...]
    output: str
    labels: tuple[str, ...]  # Literal choices, else the few values the data shows; () if open
    label_counts: tuple[tuple[str, int], ...]  # most common first
    examples: tuple[tuple[str, str], ...]  # (first input, output) of training rows
    rows: int

    @property
    def input_words(self) -> str:
        return " and ".join(f"{name.replace('_', ' ')}" for name in self.inputs) or "input"

    @property
    def output_words(self) -> str:
        return self.output.replace("_", " ")


def _snippet(value: Any, limit: int = SNIPPET_CHARS) -> str:
    return shorten(value, limit).replace('"', "'")


def task_facts(predictor: Any, trainset: Sequence[Any]) -> TaskFacts:
    """The fields of `predictor` and what its first output looks like in `trainset`."""
    sig = predictor.signature
    inputs = tuple(sig.input_fields)
    outputs = list(sig.output_fields.values())
    output = outputs[-1] if outputs else None
    name = output.name if output is not None else "answer"
    rows = [dict(e.items()) if hasattr(e, "items") else dict(e) for e in trainset]
    values = [str(r[name]) for r in rows if r.get(name) not in (None, "")]
    counts = Counter(values)
    choices = literal_choices(output.annotation) if output is not None else None
    if choices:
        labels = tuple(str(c) for c in choices)
    elif values and len(counts) <= MAX_LABELS and len(counts) < len(values):
        labels = tuple(label for label, _ in counts.most_common())
    else:
        labels = ()
    first = inputs[0] if inputs else None
    examples = tuple(
        (_snippet(r.get(first, "")), _snippet(r[name], 60))
        for r in rows
        if first is not None and r.get(first) and r.get(name) not in (None, "")
    )
    return TaskFacts(inputs, name, labels, tuple(counts.most_common()), examples, len(rows))


def data_summary(facts: TaskFacts) -> str:
    """One line on the training rows: how many, and the output's values (no LM call)."""
    if not facts.rows:
        return ""
    text = f"{facts.rows} training rows"
    if facts.labels and facts.label_counts:
        shown = ", ".join(f"{label} ({n})" for label, n in facts.label_counts[:MAX_LABELS])
        text += f"; {facts.output_words} values: {shown}"
    elif facts.labels:
        text += f"; {facts.output_words} is one of: {', '.join(facts.labels)}"
    return text + "."


def lead_sentence(facts: TaskFacts) -> str:
    """The task in one sentence from its fields and labels."""
    lead = f"Read the {facts.input_words} and give the {facts.output_words}"
    if facts.labels:
        lead += ": " + ", ".join(facts.labels[:MAX_LABELS])
    return lead + "."


# Open clauses per tip: a small model finishes each with one sentence.
TIP_CLAUSES = {
    "none": "To get the {output} right,",
    "creative": "A useful trick is to",
    "simple": "Keep it short and",
    "description": "The {output} depends on",
    "high_stakes": "Mistakes are costly, so always",
    "persona": "As an expert at this task, you",
}


def stems(facts: TaskFacts, tips: Sequence[str]) -> list[tuple[str, str]]:
    """(stem, what it is grounded in) pairs: one per label ("The category is "billing" when
    the ticket"), interleaved with one per tip; every stem starts with the task's lead."""
    lead = lead_sentence(facts)
    by_label = [
        (f'{lead} The {facts.output_words} is "{label}" when the {facts.input_words}',
         f"label {label}")
        for label in facts.labels[:MAX_LABELS]
    ]  # fmt: skip
    by_tip = [
        (f"{lead} {TIP_CLAUSES[tip].format(output=facts.output_words)}", f"tip {tip}")
        for tip in tips
        if tip in TIP_CLAUSES
    ]
    mixed: list[tuple[str, str]] = []
    for index in range(max(len(by_label), len(by_tip))):
        mixed += [pair[index] for pair in (by_label, by_tip) if index < len(pair)]
    return mixed


_SENTENCE_END = re.compile(r"[.!?](?=\s)")
# a completion that talks about the request instead of the task
_ECHO = re.compile(r"\binstructions?\b|\bfinish the\b|\bthe next line\b", re.IGNORECASE)
_NEXT_STARTED = re.compile(r"[.!?]\s+\S*$|\n")


def stem_sentence_settled(text: str) -> bool:
    """Reply rule: the sentence being completed has ended (a next one has begun, or a line
    break came). Only the text's end is read, so the stem's own sentences never count."""
    return bool(_NEXT_STARTED.search(text.rstrip(" ")))


def keep_stem_sentence(text: str) -> str:
    """What the rule keeps of a reply it stopped: up to the sentence end (the started next
    sentence or line dropped); a reply it never stopped is unchanged."""
    line_break = text.find("\n")
    if line_break >= 0:
        return text[:line_break].rstrip()
    match = re.search(r"[.!?]\s+\S*$", text)
    return text[: match.start() + 1] if match else text


register_until(STEM_SENTENCE, stem_sentence_settled, keep_stem_sentence)


def continues_stem(stem: str, reply: str | None) -> bool:
    """Whether `reply` finishes `stem` (repeats it first, or starts in lower case) rather
    than being an instruction of its own."""
    text = " ".join((reply or "").split())
    if text.lower().startswith(" ".join(stem.split()).lower()):
        return True
    letters = re.search(r"[A-Za-z]", text)
    return bool(letters) and letters.group(0).islower()


def complete_stem(stem: str, reply: str | None) -> tuple[str, str]:
    """(stem + the first sentence the model wrote after it, "") or ("", why not). The reply may
    repeat the stem (the embedded model returns it first) or not (a hosted model)."""
    text = " ".join((reply or "").split())
    flat_stem = " ".join(stem.split())
    if text.lower().startswith(flat_stem.lower()):
        text = text[len(flat_stem) :]
    text = text.strip().strip("\"'`")
    if "[[" in text or "##" in text:
        return "", "field markers"
    end = _SENTENCE_END.search(text + " ")
    sentence = text[: end.end()] if end else text
    words = re.findall(r"[A-Za-z]{2,}", sentence)
    if len(words) < 2:
        return "", "empty completion"
    if _ECHO.search(sentence):
        return "", "echoed the request"
    if sentence.count('"') % 2:
        sentence = sentence.replace('"', "")
    if not sentence.endswith((".", "!", "?")):
        sentence = sentence.rstrip(",;: ") + "."
    return f"{flat_stem} {sentence}", ""


def _sentence(original: str) -> str:
    """`original` ending as a sentence (a full stop added when it has no end mark)."""
    base = original.rstrip()
    return base + "." if base and not base.endswith((".", "!", "?")) else base


def template_variations(original: str, facts: TaskFacts) -> Iterator[tuple[str, str]]:
    """(instruction, template name) variations of `original`, grounded in the data: the
    labels, the most common label, then one labelled example at a time (the rarest labels
    first). Deterministic; the caller drops duplicates."""
    base = _sentence(original)
    out, inputs = facts.output_words, facts.input_words
    if facts.labels:
        listed = ", ".join(facts.labels[:MAX_LABELS])
        yield f"{base} The {out} is exactly one of: {listed}.", "labels"
        yield (
            f"{base} Answer with the {out} only, written as in this list: {listed}.",
            "labels, answer only",
        )
    counts = [n for _, n in facts.label_counts]
    if facts.labels and counts and (len(counts) == 1 or counts[0] > counts[1]):
        top, count = facts.label_counts[0]
        yield (
            f"{base} The most common {out} in the examples is {top} ({count} of {facts.rows}); "
            f"pick it only when the {inputs} fits it.",
            "most common label",
        )
    yield f"{base} Read the whole {inputs} before you decide.", "read all of the input"
    rarity = {label: n for label, n in facts.label_counts}
    examples = sorted(facts.examples, key=lambda pair: rarity.get(pair[1], 0))
    for text, value in examples:
        yield f'{base} For example, "{text}" has {out} {value}.', "one labelled example"
    yield f"{base} Think about what the {inputs} asks for, then answer.", "think first"


def grounded_variation(original: str, records: Sequence[Any]) -> Iterator[tuple[str, str]]:
    """Variations of `original` from what a reflection saw (GEPA): one per record, a failed
    one first, stating its input, output and feedback. Deterministic."""
    base = _sentence(original)
    ordered = sorted(records, key=lambda r: r.score)
    for record in ordered:
        inputs = ", ".join(f"{k}: {_snippet(v, 70)}" for k, v in record.inputs.items())
        outputs = ", ".join(f"{k}: {_snippet(v, 40)}" for k, v in (record.outputs or {}).items())
        feedback = _snippet(record.feedback, 120).rstrip(".")
        if record.score >= 1.0:
            yield f'{base} Done right: "{inputs}" gives "{outputs}".', "a correct example"
        elif outputs:
            yield (
                f'{base} Watch out: for "{inputs}", "{outputs}" was wrong ({feedback}).',
                "a failed example and its feedback",
            )
        else:
            yield f'{base} Watch out: "{inputs}" failed ({feedback}).', "a failed example"


FROM_RECORDS = "the reflection's examples"
FROM_DATA = "the training data"


def reflection_variations(
    original: str, records: Sequence[Any], facts: TaskFacts | None
) -> Iterator[tuple[str, str, str]]:
    """(instruction, template name, grounded in) variations of `original` for a GEPA
    reflection whose reply was dropped: one per record it saw, then the data's own
    (`template_variations`, when `facts` is given), then one record's sentence with one of
    the data's. Deterministic; the caller drops what was tried before."""
    for text, name in grounded_variation(original, records):
        yield text, name, FROM_RECORDS
    if facts is None:
        return
    yield from ((text, name, FROM_DATA) for text, name in template_variations(original, facts))
    base = _sentence(original)
    # the added sentence of each variation, built on an empty instruction
    from_records = [(text.strip(), name) for text, name in grounded_variation("", records)]
    for data_sentence, data_name in template_variations("", facts):
        data_sentence = data_sentence.strip()
        for record_sentence, record_name in from_records:
            yield (
                f"{base} {record_sentence} {data_sentence}".strip(),
                f"{record_name}, and {data_name}",
                f"{FROM_RECORDS} and {FROM_DATA}",
            )
