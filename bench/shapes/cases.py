"""The signature-shape matrix: one task per output shape, built the same way in both frameworks,
and programs of several steps (`Case.steps`; bench/shapes/chain.py builds them).

Rows come from the project's `sample_data/` (support tickets, reviews) and the shared banking77
folder (`--data`); nothing is copied. Each case says how to read its rows, its signature (field
name -> (type, description)), whether it runs as ChainOfThought, and its metric.

A multi-step case's own signature (inputs, outputs, instructions, module kind) is its one-step
partner: the scored step alone on the program's inputs (`one_step`), run on the same split so
the report shows whether the chain helps.

Imported by bench/shapes/__main__.py after `bench.core.common.isolate_caches()`.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bench.core.common import REPO

SAMPLE = REPO / "sample_data"
BANKING = ["age_limit", "cancel_transfer", "card_arrival", "exchange_rate", "lost_or_stolen_card"]
BANKING += ["pin_blocked"]
CARD_INTENTS = {"card_arrival", "lost_or_stolen_card", "pin_blocked"}
TEAMS = {"billing": 1, "shipping": 2, "technical": 3}
Row = dict[str, Any]
Fields = dict[str, tuple[Any, str]]


@dataclass(frozen=True)
class Step:
    """One step of a multi-step program: its fields (the inputs named from the program's inputs
    or an earlier step's outputs), instructions and module kind."""

    name: str
    inputs: Fields
    outputs: Fields
    instructions: str
    chain_of_thought: bool = False


@dataclass
class Case:
    """One shape: rows, the signature's fields and instructions, module kind and metric; with
    `steps`, a program of those steps (the metric reads the last prediction's fields)."""

    name: str
    shape: str  # what the table calls it
    rows: Callable[[Path], list[Row]]
    inputs: Fields
    outputs: Fields
    instructions: str
    metric: Callable[..., float]
    chain_of_thought: bool = False
    steps: tuple[Step, ...] = ()


# -- rows --------------------------------------------------------------------------------------
def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise SystemExit(f"data not found: {path} (see --data)")
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def banking(data: Path) -> list[Row]:
    return [{"text": r["text"], "category": r["category"]} for r in read_csv(data / "train.csv")]


def tickets(_: Path) -> list[Row]:
    rows = read_csv(SAMPLE / "support_tickets.csv")
    return [{"ticket": r["ticket"], "category": r["category"]} for r in rows]


def tickets_team(data: Path) -> list[Row]:
    return [{"ticket": r["ticket"], "team": TEAMS[r["category"]]} for r in tickets(data)]


def reviews_bool(_: Path) -> list[Row]:
    rows = read_csv(SAMPLE / "reviews.csv")
    return [{"review": r["review"], "positive": r["sentiment"] == "positive"} for r in rows]


def reviews_sentiment(_: Path) -> list[Row]:
    rows = read_csv(SAMPLE / "reviews.csv")
    return [{"review": r["review"], "sentiment": r["sentiment"]} for r in rows]


def reviews_gist(_: Path) -> list[Row]:
    """Free text: the review's first sentence is its verdict (the gold to score by token F1)."""
    out = []
    for r in read_csv(SAMPLE / "reviews.csv"):
        first = re.split(r"(?<=[.!?])\s+", r["review"].strip())[0]
        out.append({"review": r["review"], "verdict": first})
    return out


def banking_two(data: Path) -> list[Row]:
    return [{**r, "about_card": r["category"] in CARD_INTENTS} for r in banking(data)]


def banking_long(data: Path, words: int = 280) -> list[Row]:
    """A ~400-token input: earlier messages from other customers, then the one to classify."""
    rows = banking(data)
    rng = random.Random(77)
    out = []
    for row in rows:
        notes: list[str] = []
        while sum(len(n.split()) for n in notes) < words:
            notes.append(rng.choice(rows)["text"].strip())
        log = "\n".join(f"- {n}" for n in notes)
        out.append({"history": log, "text": row["text"], "category": row["category"]})
    return out


# -- metrics -------------------------------------------------------------------------------------
def norm(value: Any) -> str:
    return str(value).strip().strip("'\"`.").strip().lower()


def same(field: str) -> Callable[..., float]:
    def metric(example: Any, prediction: Any, trace: Any = None) -> float:
        return float(norm(getattr(prediction, field, "")) == norm(example[field]))

    metric.__name__ = f"same_{field}"
    return metric


def both(example: Any, prediction: Any, trace: Any = None) -> float:
    """Mean of the two outputs' exact matches."""
    return (same("category")(example, prediction) + same("about_card")(example, prediction)) / 2


def tokens(text: Any) -> list[str]:
    return re.findall(r"[a-z0-9']+", str(text).lower())


def token_f1(example: Any, prediction: Any, trace: Any = None) -> float:
    """SQuAD-style token F1 of `verdict` against the gold."""
    gold, pred = tokens(example["verdict"]), tokens(getattr(prediction, "verdict", ""))
    if not gold or not pred:
        return float(gold == pred)
    common = sum(min(gold.count(t), pred.count(t)) for t in set(gold))
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


# -- the matrix ------------------------------------------------------------------------------------
INTENT = Literal[tuple(BANKING)]  # type: ignore[valid-type]
TICKET = Literal["billing", "shipping", "technical"]
MOOD = Literal["positive", "negative"]
CASES = [
    Case(
        "str_desc",
        "str, labels in the description",
        banking,
        {"text": (str, "")},
        {"category": (str, "one of: " + ", ".join(BANKING))},
        "Classify the intent of a banking customer's message.",
        same("category"),
    ),
    Case(
        "literal",
        "Literal",
        tickets,
        {"ticket": (str, "")},
        {"category": (TICKET, "")},
        "Route a customer support ticket to the right team.",
        same("category"),
    ),
    Case(
        "bool",
        "bool",
        reviews_bool,
        {"review": (str, "")},
        {"positive": (bool, "True if the review is positive")},
        "Tell whether a product review is positive.",
        same("positive"),
    ),
    Case(
        "int",
        "int",
        tickets_team,
        {"ticket": (str, "")},
        {"team": (int, "1 for billing, 2 for shipping, 3 for technical problems")},
        "Give the number of the team that should handle a support ticket.",
        same("team"),
    ),
    Case(
        "two_outputs",
        "two outputs (Literal + bool)",
        banking_two,
        {"text": (str, "")},
        {"category": (INTENT, ""), "about_card": (bool, "True if the message is about a card")},
        "Classify the intent of a banking customer's message.",
        both,
    ),
    Case(
        "cot",
        "ChainOfThought (Literal)",
        reviews_sentiment,
        {"review": (str, "")},
        {"sentiment": (MOOD, "")},
        "Classify the sentiment of a product review.",
        same("sentiment"),
        chain_of_thought=True,
    ),
    Case(
        "long_input",
        "long input (~400 tokens), Literal",
        banking_long,
        {"history": (str, "earlier messages, for context"), "text": (str, "the message")},
        {"category": (INTENT, "")},
        "Classify the intent of the last banking customer message.",
        same("category"),
    ),
    Case(
        "free_text",
        "free text, token F1",
        reviews_gist,
        {"review": (str, "")},
        {"verdict": (str, "the sentence of the review that gives its overall verdict")},
        "Quote the sentence of a product review that states the reviewer's verdict.",
        token_f1,
    ),
]
ONE_STEP = "_one_step"  # the suffix of a multi-step case's one-step partner


def one_step(case: Case) -> Case:
    """The multi-step case's partner: its own signature as one step, on the same rows (the
    scored step alone, on the program's inputs)."""
    kind = "ChainOfThought" if case.chain_of_thought else "Predict"
    scored = next(s.name for s in case.steps if set(case.outputs) <= set(s.outputs))
    shape = f"one step: {scored} ({kind}) alone, on {', '.join(case.inputs)}"
    return replace(case, name=case.name + ONE_STEP, shape=shape, steps=())


CHAINS = [
    Case(
        "restate_classify",
        "restate (Predict) → classify (ChainOfThought)",
        banking,
        {"text": (str, "")},
        {"category": (INTENT, "")},
        "Classify the intent of a banking customer's message.",
        same("category"),
        chain_of_thought=True,
        steps=(
            Step("restate", {"text": (str, "")},
                 {"request": (str, "what the customer wants, in one plain sentence")},
                 "Restate a banking customer's message as one plain sentence."),
            Step("classify", {"request": (str, "")}, {"category": (INTENT, "")},
                 "Classify the intent of a banking customer's request.", chain_of_thought=True),
        ),
    ),
    Case(
        "extract_classify",
        "extract product and problem → classify (Predict, Literal)",
        tickets,
        {"ticket": (str, "")},
        {"category": (TICKET, "")},
        "Route a customer support ticket to the right team.",
        same("category"),
        steps=(
            Step("extract", {"ticket": (str, "")},
                 {"product": (str, "what the ticket is about: an order, an invoice, an app, ..."),
                  "problem": (str, "the customer's problem, in a few words")},
                 "Extract what a customer support ticket is about and the problem."),
            Step("classify", {"product": (str, ""), "problem": (str, "")},
                 {"category": (TICKET, "")},
                 "Route a support ticket, given its product and problem, to the right team."),
        ),
    ),
    Case(
        "classify_explain",
        "classify (Predict, Literal) → explain (free text, not scored)",
        reviews_sentiment,
        {"review": (str, "")},
        {"sentiment": (MOOD, "")},
        "Classify the sentiment of a product review.",
        same("sentiment"),
        steps=(
            Step("classify", {"review": (str, "")}, {"sentiment": (MOOD, "")},
                 "Classify the sentiment of a product review."),
            Step("explain", {"review": (str, ""), "sentiment": (MOOD, "")},
                 {"explanation": (str, "why the review has this sentiment, in one sentence")},
                 "Explain in one sentence why a product review has the given sentiment."),
        ),
    ),
]  # fmt: skip
BY_NAME = {c.name: c for c in [*CASES, *CHAINS, *map(one_step, CHAINS)]}


def with_partners(names: list[str]) -> list[str]:
    """The cases to run: each multi-step case followed by its one-step partner (once)."""
    out: list[str] = []
    for name in names:
        partner = [name + ONE_STEP] if BY_NAME[name].steps else []
        out += [n for n in [name, *partner] if n not in out]
    return out


def signature(case: Case | Step, module: Any) -> type:
    """The case's (or step's) class signature in `module` (engine or dspy)."""
    namespace: dict[str, Any] = {"__doc__": case.instructions, "__annotations__": {}}
    for kind, fields in ((module.InputField, case.inputs), (module.OutputField, case.outputs)):
        for name, (annotation, desc) in fields.items():
            namespace["__annotations__"][name] = annotation
            namespace[name] = kind(desc=desc) if desc else kind()
    return type(f"{case.name.title().replace('_', '')}Sig", (module.Signature,), namespace)


def split(case: Case, data: Path, sizes: tuple[int, int, int], seed: int) -> list[list[Row]]:
    """Seeded train / val / test rows of the case."""
    rows = case.rows(data)
    need = sum(sizes)
    if need > len(rows):
        raise SystemExit(f"{case.name}: asked for {need} rows, have {len(rows)}")
    rng = random.Random(seed)
    rows = rng.sample(rows, need)
    n_train, n_val, _ = sizes
    return [rows[:n_train], rows[n_train : n_train + n_val], rows[n_train + n_val :]]


def examples(case: Case, module: Any, rows: list[Row]) -> list[Any]:
    return [module.Example(**row).with_inputs(*case.inputs) for row in rows]
