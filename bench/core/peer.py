"""DSPy at its best on the embedded model: its adapter configurations, and a count of the replies
it could not parse.

Tunesmith's adapter forces the reply's header, closes the answer to the labels and calibrates;
DSPy's calls get none of that, so on SmolLM2 many of DSPy's replies do not parse and score 0.
Each head-to-head therefore also runs DSPy in the configuration that parses best on this model
(`BEST`, chosen by `python -m bench.core.peer_choice`), and records DSPy's parse failures beside
its accuracy. `adapter(name)` builds a configuration's adapter (DSPy's own classes; "lenient"
is the bench's ChatAdapter that reads an unmarked reply as the answer), `install_parse_tally()`
counts, for every DSPy reply, whether it parsed (the signals, in dspy 3.4.1's code:
`Adapter._call_postprocess` raising `AdapterParseError`, `ChatAdapter._make_json_adapter_fallback`
building the JSON retry, `Predict.forward` raising `AdapterParseError` when every attempt failed).

Imported after `bench.core.common.isolate_caches()`.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dspy
from dspy.adapters.baml_adapter import BAMLAdapter
from dspy.adapters.utils import parse_value
from dspy.utils.exceptions import AdapterParseError

from bench.core.parsing import CONFIG_TITLES, ParseCounts

# the configuration the head-to-heads run beside DSPy's default ("chat"), chosen by
# `python -m bench.core.peer_choice --rows 16 --demos 0,4` (banking77 train.csv rows, seed 61;
# bench/DATA.md): BAMLAdapter left 7 of 32 rows unparsed (zero-shot 7/16, with 4 demos 0/16),
# every other configuration 14 or more (all 14-16 of the 16 zero-shot rows). On the shape
# matrix's literal, bool, int and two_outputs cases (8 rows each, 0 and 2 demos, seed 61) the
# configurations nearly tie (rows unparsed of 64: chat 28, baml 30, json 30, xml 31)
BEST = "baml"
DEFAULT = "chat"
_MARKER = re.compile(r"\[\[ ## \w+ ## \]\]")


class LenientTaskParse:
    """Mixin: a reply to a one-output signature that the adapter cannot parse is read as the
    answer itself: its field markers dropped, its first non-empty line parsed as the field's
    type (a Literal must still be one of its values)."""

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        try:
            return super().parse(signature, completion)  # type: ignore[misc]
        except AdapterParseError:
            outputs = list(signature.output_fields.items())
            lines = [line.strip() for line in _MARKER.sub("\n", completion).splitlines()]
            first = next((line for line in lines if line), "")
            if len(outputs) != 1 or not first:
                raise
            name, field = outputs[0]
            try:
                return {name: parse_value(first, field.annotation)}
            except (ValueError, TypeError):
                raise AdapterParseError(
                    adapter_name=type(self).__name__, signature=signature, lm_response=completion,
                    message=f"lenient parse: {first!r} is not a {field.annotation}",
                ) from None  # fmt: skip


class LenientChatAdapter(LenientTaskParse, dspy.ChatAdapter):
    """DSPy's ChatAdapter (JSON retry included) with the lenient read of an unmarked reply."""


# each configuration's adapter (CONFIG_TITLES says what each is)
CONFIGS: dict[str, Callable[[], Any]] = {
    "chat": dspy.ChatAdapter,
    "chat-noretry": lambda: dspy.ChatAdapter(use_json_adapter_fallback=False),
    "json": dspy.JSONAdapter,
    "xml": dspy.XMLAdapter,
    "baml": BAMLAdapter,
    "lenient": LenientChatAdapter,
}
assert set(CONFIGS) == set(CONFIG_TITLES)


def resolve(name: str) -> str:
    """A configuration's name, `best` standing for `BEST`; unknown names stop the run."""
    name = BEST if name == "best" else name
    if name not in CONFIGS:
        known = ", ".join(CONFIGS)
        raise SystemExit(f"unknown DSPy configuration {name!r}; choose from best, {known}")
    return name


def peer_configs(spec: str) -> list[str]:
    """The configurations named in a comma-separated `--peer` option, without repeats."""
    names = [resolve(n.strip()) for n in spec.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def adapter(name: str, base_mixins: tuple[type, ...] = ()) -> Any:
    """A fresh adapter of configuration `name`; `base_mixins` go before its class (the bench's
    lenient proposer parse), so one adapter serves task and proposer calls."""
    made = CONFIGS[resolve(name)]()
    if not base_mixins:
        return made
    cls = type(f"{''.join(m.__name__ for m in base_mixins)}{type(made).__name__}",
               (*base_mixins, type(made)), {})  # fmt: skip
    return cls()


@contextlib.contextmanager
def configured(name: str, base_mixins: tuple[type, ...] = ()) -> Iterator[None]:
    """DSPy's calls in this block (and in the worker threads DSPy starts from it) use `name`."""
    with dspy.context(adapter=adapter(name, base_mixins)):
        yield


def framework_name(base: str, config: str) -> str:
    """How a DSPy run in `config` is named in the tables ("DSPy 3.4.1" for the default)."""
    return base if config == DEFAULT else f"{base} [{config}]"


# -- the parse tally ---------------------------------------------------------------------------
def role_of(lm: Any) -> str:
    return str(getattr(lm, "role", None) or "task")


class ParseTally:
    """Replies parsed or not, JSON retries, and predictions left without their fields, by the
    role of the LM that replied (the bench's RoleLM sets it; a plain dspy.LM is "task")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roles: dict[str, ParseCounts] = {}

    def add(self, role: str, **counts: int) -> None:
        with self._lock:
            out = self._roles.setdefault(role, ParseCounts())
            for key, value in counts.items():
                setattr(out, key, getattr(out, key) + value)

    def read(self) -> dict[str, ParseCounts]:
        with self._lock:
            return {role: ParseCounts(**vars(c)) for role, c in self._roles.items()}


_TALLY: ParseTally | None = None
_ROLE = contextvars.ContextVar("peer_parse_role", default="task")  # the prediction being made


def install_parse_tally() -> ParseTally:
    """Count every DSPy reply's parse (once per process; later calls return the same tally)."""
    global _TALLY
    if _TALLY is not None:
        return _TALLY
    tally = _TALLY = ParseTally()
    base = dspy.adapters.base.Adapter
    postprocess = base._call_postprocess
    make_fallback = dspy.ChatAdapter._make_json_adapter_fallback
    forward = dspy.Predict.forward

    def counted_postprocess(self: Any, processed: Any, original: Any, outputs: Any, lm: Any,
                            lm_kwargs: Any) -> Any:  # fmt: skip
        try:
            values = postprocess(self, processed, original, outputs, lm, lm_kwargs)
        except AdapterParseError:
            tally.add(role_of(lm), replies=len(outputs) or 1, failed_replies=1)
            raise
        tally.add(role_of(lm), replies=len(outputs))
        return values

    def counted_fallback(self: Any) -> Any:
        tally.add(_ROLE.get(), retries=1)
        return make_fallback(self)

    def counted_forward(self: Any, **kwargs: Any) -> Any:
        role = role_of(kwargs.get("lm") or self.lm or dspy.settings.lm)
        token = _ROLE.set(role)
        try:
            out = forward(self, **kwargs)
        except AdapterParseError:
            tally.add(role, predictions=1, failed_predictions=1)
            raise
        finally:
            _ROLE.reset(token)
        tally.add(role, predictions=1)
        return out

    base._call_postprocess = counted_postprocess  # type: ignore[method-assign]
    dspy.ChatAdapter._make_json_adapter_fallback = counted_fallback  # type: ignore[method-assign]
    dspy.Predict.forward = counted_forward  # type: ignore[method-assign]
    return tally
