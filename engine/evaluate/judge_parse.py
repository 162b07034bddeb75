"""Reading an LLM judge's reply: its scale, its score, its reason.

Small judges (the embedded SmolLM2-135M) rarely follow a format, so every reader here is
tolerant: a number anywhere, "4/5", "4 out of 5", pass/fail words. A reader returns None when
nothing can be read; the caller turns that into a score of 0 with a clear feedback text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.evaluate.texts import shorten

NUMBER = r"-?\d+(?:\.\d+)?"
RATIONALE_CHARS = 400
REPLY_QUOTE_CHARS = 120
_PASS = r"pass(?:es|ed)?|yes|correct|good|acceptable|right|true"
_FAIL = r"fail(?:s|ed)?|no|incorrect|wrong|bad|unacceptable|false"
_VERDICT = re.compile(
    rf"\b(?:not\s+(?:\w+\s+)?(?P<negated>{_PASS})|(?P<fail>{_FAIL})|(?P<pass>{_PASS}))\b", re.I
)
_LABELLED = re.compile(
    rf"\b(?:score|rating|grade|verdict|mark)\b\s*(?:is|of|=|:|-)?\s*(?P<n>{NUMBER})", re.I
)
_REASON = re.compile(
    r"\b(?:reason|rationale|explanation|justification|because)\b\s*[:\-]?\s*(?P<text>.+)",
    re.I | re.S,
)
_MARKER = re.compile(r"\[\[\s*##\s*\w+\s*##\s*\]\]")
_LEADING_SCORE = re.compile(  # "4/5." or "pass," left at the start once "Score:" is gone
    rf"^\s*(?:{NUMBER}(?:\s*(?:/|out of)\s*{NUMBER})?%?|pass|fail)(?!\w)\s*[.:,;-]?\s*", re.I
)
_PLACEHOLDER = re.compile(r"<[^<>\n]{0,60}>")
_SCORE_LABEL = re.compile(r"^\s*(?:score|rating|grade|verdict)\b\s*[:=-]?", re.I)


@dataclass(frozen=True)
class Scale:
    """The scale a judge scores on: `low`..`high`, or pass/fail (`binary`)."""

    low: float
    high: float
    binary: bool = False

    def normalise(self, raw: float) -> float:
        """A raw score on this scale as 0..1 (clamped)."""
        value = (raw - self.low) / (self.high - self.low)
        return min(1.0, max(0.0, value))

    def label(self, raw: float) -> str:
        """How a raw score reads in feedback: "4/5" or "pass"."""
        if self.binary:
            return "pass" if raw >= self.high else "fail"
        return f"{raw:g}/{self.high:g}"

    def ask(self) -> str:
        """The line the judge is asked to start its reply with."""
        if self.binary:
            return "Verdict: <pass or fail>"
        return f"Score: <a number from {self.low:g} to {self.high:g}>"

    def to_spec(self) -> str:
        return "pass/fail" if self.binary else f"{self.low:g}-{self.high:g}"


_BINARY_NAMES = {"pass/fail", "pass-fail", "pass_fail", "passfail", "binary", "yes/no"}


def parse_scale(scale: Any) -> Scale:
    """(1, 5), [0, 10], "1-5", "1 to 10" or "pass/fail" -> Scale; ValueError naming `scale`."""
    if isinstance(scale, Scale):
        return scale
    if isinstance(scale, str):
        text = scale.strip().lower()
        if text.replace(" ", "") in _BINARY_NAMES:
            return Scale(0.0, 1.0, binary=True)
        match = re.fullmatch(rf"({NUMBER})\s*(?:-|to|\.\.|–)\s*({NUMBER})", text)
        if match:
            return _range(float(match.group(1)), float(match.group(2)), scale)
    elif isinstance(scale, Sequence) and len(scale) == 2:
        try:
            low, high = float(scale[0]), float(scale[1])
        except (TypeError, ValueError):
            low = high = None
        if low is not None and high is not None:
            return _range(low, high, scale)
    raise ValueError(
        f"scale {scale!r} is not understood; use a range such as (1, 5) or '1-5', or 'pass/fail'"
    )


def _range(low: float, high: float, given: Any) -> Scale:
    if high <= low:
        raise ValueError(f"scale {given!r}: the top ({high:g}) must be above the bottom ({low:g})")
    return Scale(low, high)


def clean_reply(reply: str) -> str:
    """The reply without chat-format field markers or template placeholders, on tidy lines."""
    text = _MARKER.sub("\n", str(reply or ""))
    text = _PLACEHOLDER.sub(" ", text)  # an echoed "<pass or fail>" is not a verdict
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def read_score_and_word(reply: str, scale: Scale) -> tuple[float, str] | None:
    """(raw score, the verdict word it was read from, or "" when the judge gave a number)."""
    text = clean_reply(reply)
    if scale.binary:
        word = _verdict(text)
        if word is not None:
            return (1.0 if word[0] else 0.0), ""
        labelled = _LABELLED.search(text)
        if labelled and float(labelled.group("n")) in (0.0, 1.0):
            return float(labelled.group("n")), ""
        return None
    for candidate in _numbers(text, scale):
        if scale.low <= candidate <= scale.high:
            return candidate, ""
    word = _verdict(text)
    if word is None:
        return None
    return (scale.high if word[0] else scale.low), word[1]


def _numbers(text: str, scale: Scale) -> list[float]:
    """Numbers in the order a judge most likely meant them as its score."""
    found: list[float] = []
    out_of = re.finditer(rf"(?P<n>{NUMBER})\s*(?:/|out of)\s*(?P<d>{NUMBER})", text, re.I)
    found += [float(m.group("n")) for m in out_of if float(m.group("d")) == scale.high]
    found += [float(m.group("n")) for m in _LABELLED.finditer(text)]
    # "on a scale of 1 to 5" names the scale, not a score
    bare = re.sub(rf"{NUMBER}\s*(?:-|to|and|–)\s*{NUMBER}", " ", text)
    found += [float(n) for n in re.findall(rf"(?<![\w.]){NUMBER}(?!\w|\.\d)", bare)]
    return found


def _verdict(text: str) -> tuple[bool, str] | None:
    match = _VERDICT.search(text)
    if match is None:
        return None
    return bool(match.group("pass")), " ".join(match.group(0).lower().split())


def read_rationale(reply: str, fallback: bool = True) -> str:
    """The judge's reason: the text after "Reason:" (or "because"), else (with `fallback`) the
    reply without its leading score; one line, shortened."""
    text = clean_reply(reply)
    match = _REASON.search(text)
    if match is None and not fallback:
        return ""
    reason = match.group("text") if match else _LEADING_SCORE.sub("", _SCORE_LABEL.sub("", text))
    return shorten(reason, RATIONALE_CHARS).strip(" -:")


def read_fraction(reply: str, name: str) -> float | None:
    """The value after `name` (e.g. "recall: 0.8", "Recall = 80%") as 0..1, or None."""
    pattern = rf"\b{name}\b[^\d\n]{{0,20}}?(?P<n>{NUMBER})\s*(?P<pct>%?)"
    match = re.search(pattern, clean_reply(reply), re.I)
    if match is None:
        return None
    value = float(match.group("n"))
    if match.group("pct") or 1.0 < value <= 100.0:
        value /= 100.0
    return value if 0.0 <= value <= 1.0 else None


def unreadable(reply: str) -> str:
    """Feedback for a reply with no score in it (quoted, shortened)."""
    quoted = shorten(reply, REPLY_QUOTE_CHARS) if str(reply or "").strip() else ""
    if not quoted:
        return "the judge's reply was empty, so it could not be read; scored 0"
    return f"the judge's reply could not be read, so it scored 0: {quoted!r}"
