"""Cleaning instruction proposals from a proposer LM, weak ones included.

A small model asked for "an instruction" may answer with field markers, a label such as
"Instruction:", quotes, a chatty preamble, several paragraphs, nothing at all, or the same text
twice. `clean_proposal` turns one reply into a usable instruction or says why it dropped it;
`ProposalCleaner` keeps the counts, so what was dropped can be shown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.core import register_until, until_kwargs

MAX_INSTRUCTION_CHARS = 600
MIN_INSTRUCTION_CHARS = 12
REPEAT_MIN_WORDS = 16  # a reply this long whose distinct words are under REPEAT_MAX_SHARE
REPEAT_MAX_SHARE = 0.25  # of all its words is a loop, not an instruction

_MARKER = re.compile(r"\[\[\s*##\s*[\w ]+\s*##\s*\]\]")
_LABEL = re.compile(
    r"^\s*(?:\**\s*)(?:new |proposed |improved |final |the )?"
    r"(?:instruction|instructions|prompt|answer|response|output)s?\s*(?:\d+\s*)?[:\-–]\**\s*",
    re.IGNORECASE,
)
_CHATTER = re.compile(
    r"^(?:sure|certainly|of course|okay|ok|absolutely|great)\b|^here(?: is|'s| are)\b",
    re.IGNORECASE,
)
_QUOTES = "\"'`“”‘’«»"
# the openings of our requests (MIPROv2's proposal, GEPA's reflection and its system text) and
# of the reflection's example blocks: a reply that starts with one copies the request
_ECHO_OPENINGS = (
    "write one new instruction", "reply with the instruction", "write a better instruction",
    "you are an expert prompt engineer", "reply with the new instruction",
)  # fmt: skip
_EXAMPLE_HEADING = re.compile(r"^example \d+\b", re.IGNORECASE)
# program code instead of words: "python def classify(ticket): ..." (a fence's language name
# left after the fence is cut) or a function definition anywhere
_CODE = re.compile(r"^python\b|\bdef [A-Za-z_]\w*\s*\([^)]*\)\s*:", re.IGNORECASE)
INSTRUCTION_RULE = "instruction"  # the reply rule `instruction_settled` is registered as
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Two different next paragraphs: a pick that differs between them is not settled yet.
_PROBES = ("Probe paragraph one.", "Another probe:")


def _drop_chatter(text: str) -> str:
    """Drop leading lines such as "Sure! Here is the instruction:" (and the same on one line
    before the instruction)."""
    lines = text.splitlines()
    while lines and _CHATTER.search(lines[0].strip()):
        head, colon, rest = lines[0].partition(":")
        if colon and rest.strip():
            lines[0] = rest.strip()
            break
        if len(lines) == 1 and not colon:
            break  # a one-line reply that merely starts with "Okay": keep it
        lines.pop(0)
    return "\n".join(lines).strip()


def _first_after_introductions(paragraphs: list[str]) -> str:
    """The first paragraph, or the one after an introduction ("Here is the new instruction:",
    a paragraph ending with a colon) that announces it. Only the first one or two are read: a
    reply whose third paragraph is still an introduction has lost its way."""
    for position, paragraph in enumerate(paragraphs[:2]):
        if not paragraph.endswith(":") or position + 1 == len(paragraphs):
            return paragraph
    return paragraphs[1] if len(paragraphs) > 1 else (paragraphs[0] if paragraphs else "")


def _strip_quotes(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text.strip(_QUOTES + " ").strip() if text[:1] in _QUOTES else text


def _cap(text: str, limit: int) -> str:
    """Cut at the last sentence end before `limit` (or at a word boundary)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]].strip()
    return head.rsplit(" ", 1)[0].rstrip(",;:") + "."


def _picked_paragraph(text: str) -> str:
    """The paragraph of a reply that holds the instruction: markers, bold marks, chatter and a
    leading label removed, introductions skipped."""
    text = _MARKER.sub("\n", text)
    text = text.replace("**", "")
    lines = [line.strip() for line in text.strip().splitlines()]
    text = "\n".join(lines).strip()
    text = _drop_chatter(text)
    text = _LABEL.sub("", text, count=1).strip()
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    return _first_after_introductions(paragraphs)


def instruction_settled(reply_so_far: str) -> bool:
    """Whether more text could no longer change what `clean_proposal` keeps of a reply being
    written: the paragraph it picks is complete. Decided on the completed paragraphs only: the
    pick is settled when it is the same whatever paragraph comes next."""
    breaks = list(_PARAGRAPH_BREAK.finditer(reply_so_far))
    if not breaks:
        return False
    done = reply_so_far[: breaks[-1].start()]
    if not done.strip():
        return False
    picks = {_picked_paragraph(f"{done}\n\n{probe}") for probe in _PROBES}
    return len(picks) == 1 and picks.pop() not in _PROBES


def normalize(text: str) -> str:
    """Lower case, single spaces, no punctuation: two proposals equal here are duplicates."""
    return re.sub(r"[^\w ]+", "", re.sub(r"\s+", " ", text.lower())).strip()


def clean_proposal(text: str | None, max_chars: int = MAX_INSTRUCTION_CHARS) -> tuple[str, str]:
    """(cleaned instruction, "") or ("", reason it was dropped). Reasons: "empty", "too short",
    "echoed the request", "code", "incomplete", "repetitive"."""
    if not text or not text.strip():
        return "", "empty"
    text = re.sub(r"^#+\s*", "", _picked_paragraph(text))  # a markdown heading mark
    text = _strip_quotes(re.sub(r"\s+", " ", text))
    text = _LABEL.sub("", text, count=1).strip()
    if not text:
        return "", "empty"
    if text.lower().startswith(_ECHO_OPENINGS) or _EXAMPLE_HEADING.match(text):
        return "", "echoed the request"
    if _CODE.search(text):
        return "", "code"
    if text.endswith(":"):  # an introduction whose instruction never came
        return "", "incomplete"
    text = _cap(text, max_chars)
    if len(text) < MIN_INSTRUCTION_CHARS or not re.search(r"[a-zA-Z]{3}", text):
        return "", "too short"
    if _repetitive(text):
        return "", "repetitive"
    return text, ""


def _repetitive(text: str) -> bool:
    """A degenerate reply such as "- to: - to: - to: ...": long, and mostly the same words."""
    words = normalize(text).split()
    return len(words) >= REPEAT_MIN_WORDS and len(set(words)) / len(words) < REPEAT_MAX_SHARE


@dataclass
class ProposalCleaner:
    """Cleans replies for one predictor; drops duplicates of what it already holds."""

    existing: list[str] = field(default_factory=list)
    max_chars: int = MAX_INSTRUCTION_CHARS
    proposed: int = 0
    capped: int = 0
    dropped: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._seen = {normalize(t) for t in self.existing}
        self.last_reason = ""  # why the last reply given to `add` was dropped ("" if kept)

    def add(self, reply: str | None, failure: str | None = None) -> str | None:
        """The cleaned instruction to keep, or None (the reason is counted and kept in
        `last_reason`)."""
        self.proposed += 1
        self.last_reason = ""
        if failure is not None:
            return self._drop(failure)
        text, reason = clean_proposal(reply, self.max_chars)
        if reason:
            return self._drop(reason)
        key = normalize(text)
        if key in self._seen:
            return self._drop("duplicate")
        self._seen.add(key)
        if reply is not None and len(reply.strip()) > self.max_chars:
            self.capped += 1
        return text

    def _drop(self, why: str) -> None:
        """Count a dropped reply; the caller records the reply itself, with how it was asked
        for (the proposer's `rejected`, GEPA's per-step record)."""
        self.dropped[why] += 1
        self.last_reason = why

    def hold(self, text: str) -> str | None:
        """Clean and hold a text the proposer did not write (a template): the cleaned text, or
        None when it is unusable or already held. Nothing is counted."""
        cleaned, reason = clean_proposal(text, self.max_chars)
        if reason or normalize(cleaned) in self._seen:
            return None
        self._seen.add(normalize(cleaned))
        return cleaned

    def summary(self, kept: int) -> dict:
        """The counts: replies proposed, kept, shortened, and dropped by reason."""
        return {
            "proposed": self.proposed,
            "kept": kept,
            "capped": self.capped,
            "dropped": dict(self.dropped),
        }


def instruction_reply_kwargs(lm: Any) -> dict[str, Any]:
    """LM arguments for a reply read by `clean_proposal`: on the embedded model, stop once the
    kept paragraph is complete (the rest would be thrown away); nothing for hosted models."""
    return until_kwargs(lm, INSTRUCTION_RULE)


register_until(INSTRUCTION_RULE, instruction_settled)
