"""Reply hints: what a caller expects of a reply, stated as request parameters.

An adapter (or a judge, or an optimizer) that knows the form of the reply it asked for passes
that knowledge with the request. Only the embedded model reads it (`engine.lm.local`); callers
send hints only to an LM with `supports_stop` (hosted models can neither be made to continue a
reply nor constrained per token), so litellm providers never see them. This module is the one
place the hints are named and shaped; it knows no transport and no model.

The parameters (their string values are part of the request cache key: never change them):

- `reply_drafts` (`REPLY_DRAFTS`): the texts the reply is expected to be (the chat adapter
  asking for one `Literal` field expects `[[ ## category ## ]]\\n<one of the choices>\\n`).
  The embedded model checks them in bulk; they decide how many model passes a reply takes, not
  what it says (up to the rounding of batched evaluation).
- `reply_start` (`REPLY_START`): a text the reply *must* begin with (the chat adapter sends its
  first output header). The model reads it as part of the prompt and writes the rest, and the
  reply it returns begins with it. Unlike drafts, this changes what a small model says: it can
  no longer start with prose and skip the format.
- `reply_closed` (`REPLY_CLOSED`): True when the drafts are the only acceptable replies (one
  label of a closed set): greedy replies are then always one of them.
- `reply_number` (`REPLY_NUMBER`): "int" or "float" when the first output is a number, written
  only with the tokens a number takes (`number_kind`).
- `reply_text` (`REPLY_TEXT`): True when the first output is plain text (a `str` with no closed
  values): its first token may not open like the format section (its `{name}` placeholder,
  which a small model copies: `engine.lm.local._placeholder_echo`). A later section says the
  same with its `text`.
- `reply_sections` (`REPLY_SECTIONS`): the outputs after the first (`Section`), so that a reply
  that ends before a later output's header has the header written in and continued.
- `reply_until` (`REPLY_UNTIL`): the name of a rule that stops a reply once more text could not
  change what its caller keeps of it (`register_until`, `until_kwargs`).
- `reply_bias` (`REPLY_BIAS`): offsets subtracted from closed choices' scores before the pick,
  keyed by the line written just before the choice (`Scores`, `read_bias`).

One more parameter goes to served and hosted models instead (the LM layer takes it out before
the provider sees it): `score_choices` (`SCORE_CHOICES`), {line before a closed choice: its
values}, sent with `logprobs` to a provider that reports log-probabilities, which the LM layer
turns into the same `Scores` the embedded model reports (`engine.lm._logprob_scores`).

`ReplyHints.pop` takes all of them out of a request's parameters at once, as the model reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

REPLY_DRAFTS = "reply_drafts"
REPLY_START = "reply_start"
REPLY_CLOSED = "reply_closed"
REPLY_NUMBER = "reply_number"
REPLY_TEXT = "reply_text"
REPLY_SECTIONS = "reply_sections"
REPLY_UNTIL = "reply_until"
REPLY_BIAS = "reply_bias"
SCORE_CHOICES = "score_choices"

NUMBER_KINDS = ("int", "float")

Scores = dict[str, dict[str, float]]  # line before the choice -> value -> logprob (or offset)


def number_kind(raw: Any) -> str | None:
    """The `reply_number` parameter (or a section's number) as a kind ("int", "float") or
    None."""
    return raw if raw in NUMBER_KINDS else None


@dataclass(frozen=True)
class Section:
    """A later output (`reply_sections`): its header, its closed values ([] when open), its
    token budget, for a number its kind ("int", "float"), and whether it is plain text (as
    `reply_text` says of the first output)."""

    header: str
    values: tuple[str, ...] = ()
    max_tokens: int = 16
    number: str | None = None
    text: bool = False

    @classmethod
    def from_param(cls, item: dict[str, Any]) -> Section:
        return cls(str(item["header"]), tuple(str(v) for v in item.get("values") or ()),
                   int(item.get("max_tokens") or 16), number_kind(item.get("number")),
                   bool(item.get("text")))  # fmt: skip

    def to_param(self) -> dict[str, Any]:
        param = {"header": self.header, "values": list(self.values), "max_tokens": self.max_tokens}
        if self.number:
            param["number"] = self.number
        if self.text:
            param["text"] = True
        return param


def read_sections(raw: Any) -> list[Section]:
    """The `reply_sections` parameter as sections ([] when absent)."""
    return [Section.from_param(item) for item in raw or []]


def read_bias(raw: Any) -> Scores:
    """The `reply_bias` parameter as {line: {value: offset}} ({} when absent)."""
    if not isinstance(raw, dict):
        return {}
    out: Scores = {}
    for line, offsets in raw.items():
        if isinstance(offsets, dict):
            out[str(line).strip()] = {str(v).strip(): float(o) for v, o in offsets.items()}
    return out


@dataclass(frozen=True)
class ReplyHints:
    """The hints of one request, as the model that reads them sees them."""

    drafts: tuple[str, ...] = ()
    start: str = ""
    closed: bool = False  # only with drafts: a closed reply is one of them
    number: str | None = None
    sections: tuple[Section, ...] = ()
    until: str | None = None  # a rule's name (`until_rule`, `until_keeper`)
    bias: Scores = field(default_factory=dict)
    text: bool = False  # the first output is plain text (`reply_text`)

    @classmethod
    def pop(cls, params: dict[str, Any]) -> ReplyHints:
        """Take the hints out of the request parameters `params` (the rest stay)."""
        drafts = tuple(str(d) for d in params.pop(REPLY_DRAFTS, None) or [])
        return cls(
            drafts=drafts,
            start=str(params.pop(REPLY_START, None) or ""),
            closed=bool(params.pop(REPLY_CLOSED, None)) and bool(drafts),
            number=number_kind(params.pop(REPLY_NUMBER, None)),
            text=bool(params.pop(REPLY_TEXT, None)),
            sections=tuple(read_sections(params.pop(REPLY_SECTIONS, None))),
            until=params.pop(REPLY_UNTIL, None),
            bias=read_bias(params.pop(REPLY_BIAS, None)),
        )


# Reply rules (`reply_until`). A caller that reads only part of a reply (an optimizer keeps one
# paragraph of a proposed instruction) names a rule; the embedded model checks it on the reply
# so far after every token and stops when it holds. A rule is registered by the code that reads
# the reply, so the rule and the reading cannot drift apart. A rule may also name what to keep
# of a reply it stopped (a loop rule stops once a line comes a second time and keeps the reply
# without the repeat).

_RULES: dict[str, Callable[[str], bool]] = {}
_KEEPERS: dict[str, Callable[[str], str]] = {}


def register_until(
    name: str, settled: Callable[[str], bool], keep: Callable[[str], str] | None = None
) -> None:
    """Make `settled(reply_so_far) -> bool` available as rule `name`; `keep(reply) -> str`, if
    given, is what the model returns of a reply (it must leave a reply the rule never stopped
    as it is)."""
    _RULES[name] = settled
    if keep is not None:
        _KEEPERS[name] = keep


def until_rule(name: str | None) -> Callable[[str], bool] | None:
    """The rule called `name`, or None (an unknown name is logged and ignored)."""
    if not name:
        return None
    found = _RULES.get(name)
    if found is None:
        logger.debug("unknown reply rule %r ignored", name)
    return found


def until_keeper(name: str | None) -> Callable[[str], str] | None:
    """What rule `name` keeps of a reply, or None when it keeps the whole reply."""
    return _KEEPERS.get(name) if name else None


def until_kwargs(lm: Any, name: str) -> dict[str, Any]:
    """`{reply_until: name}` for an LM that takes reply hints (the embedded model), else
    nothing."""
    return {REPLY_UNTIL: name} if getattr(lm, "supports_stop", False) else {}
