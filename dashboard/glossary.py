"""The pages' words for the engine's terms: one explanation per term (used as `help=` tooltips
and captions on every page), and the one place that turns the engine's candidate labels and
log lines into plain words. The engine's own labels stay as they are (the store keeps them);
only what the pages show is translated. Pure functions (no Streamlit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

TERMS: dict[str, str] = {
    "candidate": "One version of the prompt the optimizer tried: an instruction, and maybe some "
    "solved examples shown to the model.",
    "baseline": "Your prompt as you wrote it, before any tuning: the score every candidate must "
    "beat.",
    "validation rows": "Rows the optimizer scores candidates on while it searches, to pick the "
    "best. It never copies them into the prompt.",
    "held-out rows": "Rows kept aside and scored only at the end, on your prompt and on the "
    "best one: the fair before/after.",
    "training rows": "Rows the optimizer may copy into the prompt as solved examples or learn "
    "from.",
    "trial": "One scoring of one candidate on some rows.",
    "examples in the prompt": "Solved rows (an input and its expected output) put in the prompt "
    "so the model sees what is wanted. Some are taken from your rows as they are; others are "
    "rows the model already got right, with its own wording of the answer.",
    "sample of rows": "A few rows drawn at random, to score a candidate quickly before spending "
    "the whole set on it.",
    "part of the rows": "A candidate scored on some of the rows only: a sample drawn to score it "
    "quickly, or a candidate dropped as soon as it could no longer beat the best one. Those are "
    "scored on the rows the best one finds hardest first, so their score reads low: a 0 means "
    "it missed the hardest rows, not every row.",
    "stopped early": "Scoring of a candidate stops as soon as it can no longer beat the best "
    "one; this saves model calls and never changes which one wins.",
    "who is best where": "The candidates that are best on at least one row. A candidate that "
    "gets rows right that the others miss stays in play even with a lower average.",
    "rewrite": "The proposer model read rows the prompt got wrong, with the metric's reasons, "
    "and wrote a new instruction.",
    "proposer model": "The model that writes new instructions to try; it may be a larger model "
    "than the one that answers.",
    "calibrated choices": "Small shifts to how the model picks between the allowed answers, "
    "fitted on the validation rows, to undo a constant lean toward one answer.",
    "95% range": "The gain could plausibly be anywhere in this range; when it includes 0, more "
    "rows are needed to tell.",
}


def explain(term: str) -> str:
    """The one explanation of `term` (a key of TERMS)."""
    return TERMS[term]


# -- candidate labels -----------------------------------------------------------------------------

_DEMOS = re.compile(r"(\d+) bootstrapped \+ (\d+) labeled demos")


def plain_demos(text: str) -> str:
    """'2 bootstrapped + 4 labeled demos' -> '2 examples the model got right + 4 taken from
    your rows'."""
    return _DEMOS.sub(_demo_words, text)


def _demo_words(match: re.Match[str]) -> str:
    made, copied = int(match[1]), int(match[2])
    if made and copied:
        return f"{made} example{'s' * (made != 1)} the model got right + {copied} from your rows"
    if made:
        return f"{made} example{'s' * (made != 1)} the model got right"
    if copied:
        return f"{copied} example{'s' * (copied != 1)} taken from your rows"
    return "no examples"


def _seed_set(match: re.Match[str]) -> str:
    seed = int(match[1])
    order = "rows in file order" if match[2] == "unshuffled" else "rows in a shuffled order"
    return f"example set {seed + 2} ({plain_demos(match[3])}; {order})"


def _copro(match: re.Match[str]) -> str:
    step = "" if match[1] in ("predict", "self") else f"step {match[1]}: "
    return f"{step}new instruction {match[2]} (round {match[3]})"


def _mipro_part(part: str) -> str:
    part = re.sub(r"^instruction 0\b", "your instruction", part)
    part = re.sub(r"^instruction (\d+)", r"new instruction \1", part)
    part = re.sub(r"^(\S+): instruction 0\b", r"\1: your instruction", part)
    part = re.sub(r"^(\S+): instruction (\d+)", r"\1: new instruction \2", part)
    return part.replace(" × demo set ", " + example set ")


_ORIGINS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^baseline\b.*$"), "your prompt as written"),
    (re.compile(r"^best program$"), "the chosen prompt"),
    (re.compile(r"^zero-shot \(seed -3\)$"), "your instruction, no examples"),
    (re.compile(r"^labeled demos only \(seed -2, k=(\d+)\)$"),
     r"up to \1 examples copied from your rows"),
    (re.compile(r"^labeled demos \(k=(\d+)\)$"), r"up to \1 examples copied from your rows"),
    (re.compile(r"^bootstrap seed (-?\d+) \((unshuffled|shuffled), (.*)\)$"), _seed_set),
    (re.compile(r"^bootstrap \((.*)\)$"), lambda m: plain_demos(m[1])),
    (re.compile(r"^KNN few-shot \(k=(\d+).*\)$"),
     r"examples picked for each input from its \1 most similar training rows"),
    (re.compile(r"^(\S+): instruction (\d+) \(round (\d+)\)$"), _copro),
    (re.compile(r"^iteration (\d+): candidate (\d+) on a minibatch$"),
     r"round \1: candidate \2 on a sample of rows"),
    (re.compile(r"^iteration (\d+): reflection on (.*)$"),
     r"round \1: rewrite of \2, scored on a sample of rows"),
    (re.compile(r"^reflection on (.*) \(iteration (\d+)\)$"), r"rewrite of \1 (round \2)"),
    (re.compile(r"^iteration (\d+): merge of (\d+) and (\d+)$"),
     r"round \1: candidates \2 and \3 combined, on a sample of rows"),
    (re.compile(r"^merge of (\d+) and (\d+)$"), r"candidates \1 and \2 combined"),
    (re.compile(r"^step (\d+): variant (\d+) \((.*)\)$"), r"round \1: variant \2 (\3)"),
    (re.compile(r"^choice calibration$"), "calibrated choices"),
    (re.compile(r"^content-free calibration$"), "calibrated choices"),
]  # fmt: skip


def plain_origin(origin: str | None) -> str:
    """How a candidate was made, in the pages' words, from the engine's label of it (labels the
    glossary does not know are shown with their terms translated)."""
    text = " ".join(str(origin or "").split())
    for pattern, words in _ORIGINS:
        if pattern.match(text):
            return pattern.sub(words, text)
    if re.match(r"^(\S+: )?instruction \d+", text):
        return "; ".join(_mipro_part(p) for p in text.split("; "))
    if text.startswith("step "):  # SIMBA: "step 2: rule for predict from example 1a2b3c; ..."
        text = re.sub(r"^step (\d+): ", r"round \1: ", text)
        text = re.sub(r"(rule|demo) for (\S+) from example \w+", _simba_addition, text)
    return plain_text(text)


def _simba_addition(match: re.Match[str]) -> str:
    what = "a rule" if match[1] == "rule" else "an example"
    return f"{what} for {match[2]} learned from one training row"


def _reuse(match: re.Match[str]) -> str:
    """How much of its reading work the model reuses on this shuffle of the rows."""
    reuse = "less" if match[1] == "more" else "more"
    return f"with this order of your rows the model reuses {reuse} of its reading than usual"


def _percentages(match: re.Match[str]) -> str:
    """'0.625 -> 0.675 on ' as '62.5% → 67.5% on '."""
    return f"{100 * float(match[1]):g}% → {100 * float(match[2]):g}% on "


# -- log and phase lines --------------------------------------------------------------------------

_PHRASES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"the student as given"), "your prompt as written"),
    (re.compile(r"baseline \(student as given\)"), "your prompt as written"),
    (re.compile(r"teacher runs on up to (\d+) training examples for (\d+) demos; "
                r"these calls count as role task"),
     r"the model answers up to \1 training rows to find \2 examples it gets right"),
    (re.compile(r"labeled demos only \(seed -2, k=(\d+)\)"), r"up to \1 examples from your rows"),
    (re.compile(r"zero-shot \(seed -3\)"), "no examples"),
    (re.compile(r"bootstrap seed (-?\d+) \((unshuffled|shuffled), ([^)]*)\)"), _seed_set),
    (re.compile(r"bootstrap several candidate demo sets"),
     "try several sets of examples the model answers right"),
    (re.compile(r"bootstrap demos from the model's own correct answers"),
     "show the model examples it already answers right"),
    (re.compile(r"the program stays zero-shot"), "the prompt gets no examples"),
    (re.compile(r"\(zero-shot mode: "), "(no examples: "),
    (re.compile(r"\bvalidation set\b"), "validation rows"),
    (re.compile(r"\btraining example\(s\)"), "training row(s)"),
    (re.compile(r"\bcandidate programs\b"), "candidate prompts"),
    (re.compile(r"bootstrapping demos"), "finding examples"),
    (re.compile(r"bootstrapped (\d+) demos"), r"found \1 examples the model gets right"),
    (re.compile(r"(found \d+ examples the model gets right from \d+ training \w+) \(seed -?\d*\)"),
     r"\1"),
    (re.compile(r"bootstrapping the next candidate ahead"), "preparing the next candidate ahead"),
    (re.compile(r"\bbootstrapping\b"), "finding examples"),
    (re.compile(r"racing stops (scoring )?a candidate once"),
     "a candidate's scoring stops early once"),
    (re.compile(r"on this seed teacher runs (?:seldom )?meet their own demos early in the "
                r"prompt(?: \(each is left out for its own row\))?, so the model reads "
                r"(more|less) of its prompts again than usual"), _reuse),
    (re.compile(r"\bteacher runs\b"), "the model's answers on training rows"),
    (re.compile(r"\bpass the metric\b"), "score right"),
    (re.compile(r"would cost unraced \(([\d,]+) calls\)"),
     r"would cost if none were stopped early (\1 calls)"),
    (re.compile(r"\bunraced\b"), "with no early stops"),
    (re.compile(r"\bstop_at_score\b"), "a target score"),
    (re.compile(r"racing stops hopeless full evaluations"),
     "a hopeless candidate's scoring on all rows stops early"),
    (re.compile(r"\bbaseline and (?:the )?compiled program\b"), "your prompt and the tuned one"),
    (re.compile(r"\bbaseline and the labeled program\b"), "your prompt and the one with examples"),
    (re.compile(r"\bthe program as given\b"), "your prompt as written"),
    (re.compile(r"\bthe student\b"), "your prompt"),
    (re.compile(r"\bnew programs\b"), "new prompts"),
    (re.compile(r"\bthe valset\b"), "the validation rows"),
    (re.compile(r"^(?:choice|content-free) calibration: "), "calibrated choices: "),
    (re.compile(r"\b([01]\.\d{3}) -> ([01]\.\d{3}) on "), _percentages),
    (re.compile(r"\bcompiling makes no LM calls\b"), "tuning makes no model calls"),
    (re.compile(r"bootstraps demos from its (\d+) nearest"),
     r"finds examples the model gets right among its \1 most similar"),
    (re.compile(r"(\d+) metric calls \(program runs on one example\)"),
     r"\1 program runs (one row answered and scored each)"),
    (re.compile(r"reflections on minibatches of (\d+)"), r"rewrites, each from \1 rows"),
    (re.compile(r"(\d+%) of reflections usable, (\d+%) of their children kept"),
     r"\1 of rewrites usable, \2 of them kept"),
    (re.compile(r"\breflections\b"), "rewrites"),
    (re.compile(r"parse fallbacks and tool loops"),
     "the extra calls when a reply must be asked for again or a tool is used"),
    (re.compile(r"\breflective search\b"), "rewriting from feedback"),
    (re.compile(r"Pareto front on (\d+) validation examples"),
     r"keeping each candidate that is best on some of \1 validation rows"),
    (_DEMOS, _demo_words),
    (re.compile(r"\bdemo sets\b"), "example sets"),
    (re.compile(r"\bdemo set\b"), "example set"),
    (re.compile(r"\bdemos\b"), "examples"),
    (re.compile(r"\bminibatches of (\d+)\b"), r"samples of \1 rows"),
    (re.compile(r"\bminibatches\b"), "samples of rows"),
    (re.compile(r"\bon a minibatch\b"), "on a sample of rows"),
    (re.compile(r"\bminibatch\b"), "sample"),
    (re.compile(r"\bPareto front\b"), "the candidates each best on some row"),
    (re.compile(r"\bracing\b"), "stopping early"),
    (re.compile(r"^trial (\d+) of (\d+)$"), r"candidate \1 of \2"),
    (re.compile(r"\bbaseline and best program\b"), "your prompt and the best one"),
    (re.compile(r"\bheld-out test examples\b"), "held-out rows"),
    (re.compile(r"\bvalidation examples\b"), "validation rows"),
    (re.compile(r"\btraining examples\b"), "training rows"),
    (re.compile(r"\bmetric calls\b"), "program runs"),
    (re.compile(r"\bpredictor\b"), "step"),
    (re.compile(r"\biteration\b"), "round"),
    (re.compile(r"\bthe compiled program\b"), "the tuned prompt"),
]  # fmt: skip


def plain_text(line: str) -> str:
    """A log or phase line with the engine's terms in the pages' words."""
    for pattern, words in _PHRASES:
        line = pattern.sub(words, line)
    return line


# -- why a proposal was dropped before any scoring -------------------------------------------------

DROPPED = {
    "empty": "the proposer's reply was empty",
    "too short": "too short to be an instruction",
    "echoed the request": "it repeated the request instead of answering it",
    "code": "it wrote program code, not an instruction",
    "incomplete": "the reply stopped before the instruction came",
    "repetitive": "the same few words over and over",
    "duplicate": "the same as an instruction already tried",
}


def plain_drop(why: str) -> str:
    """Why cleaning dropped a proposal, in the pages' words ('call failed (Timeout)' included)."""
    if why.startswith("call failed"):
        return "the call to the proposer model failed" + why[len("call failed") :]
    return DROPPED.get(why, why)


def dropped_replies(
    rejected: list[dict[str, Any]] | None, counts: dict[str, int] | None
) -> list[tuple[str, str]]:
    """(reply, why) for each dropped proposer reply, from the one record of them (`rejected`:
    each draw with how it was asked for; stores of before 2026-11-26 kept `text` instead of
    `reply`). Stores that kept only the counts give one line per reason."""
    if rejected is None:
        return [
            (f"({n} repl{'ies' if n != 1 else 'y'} not recorded)", why)
            for why, n in sorted((counts or {}).items())
        ]
    out = []
    for item in rejected:
        reply = str(item.get("reply", item.get("text")) or "")
        if item.get("form") == "finished a stem" and item.get("stem"):
            reply = f"{item['stem']} {reply}".strip()
        out.append((reply or "(no reply)", str(item.get("why", ""))))
    return out
