"""The registry of optimizers: each one declares itself once (names, words for the UI, its
parameters as a typed schema, its search sizes, the model roles it fills, the events it emits,
its facts for the estimate, the exports and `auto`), as data: spec validation, the CLI, the
worker, the estimate, the exports and the dashboard read it and none of them names an optimizer.

Built-in optimizers register when `engine.optimizers` is imported (each subpackage's
`__init__`). Others register from their own module, loaded from the `tunesmith.optimizers`
entry point group or from the modules named in $TUNESMITH_OPTIMIZERS (comma-separated), so a
worker process started for a run knows them too.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

logger = logging.getLogger(__name__)

PLUGINS_ENV = "TUNESMITH_OPTIMIZERS"
ENTRY_POINT_GROUP = "tunesmith.optimizers"
AUTO = "auto"
SIZES = ("train", "val", "steps")  # what a bound may name instead of a number


@dataclass(frozen=True)
class Param:
    """One constructor parameter a spec may set. `label` puts it on the Optimize page's form
    (empty: the spec and the CLI only); `low`/`high` bound it (a bound may name a data size:
    "train", "val" or "steps"); `shown` hides it on the form for some settings; `optional`
    accepts None; `choices` ((value, words on the form), ...) are the only values it takes
    (the form offers them as a list)."""

    name: str
    type: type
    default: Any
    label: str = ""
    help: str = ""
    low: float | None = None
    high: float | str | None = None
    step: float | None = None
    shown: Callable[[Mapping[str, Any]], bool] | None = None
    optional: bool = False  # None is a value (the optimizer decides)
    choices: tuple[tuple[Any, str], ...] = ()

    def check(self, value: Any) -> str | None:
        """Why `value` cannot be this parameter (None: it can): its type, its choices, its
        numeric bounds (a bound naming a data size is the form's only: sizes are not known
        yet). Other values the optimizer cannot run with it refuses itself."""
        if value is None and self.optional:
            return None
        accepted = {float: int | float}.get(self.type, self.type)  # an int is a float here
        # a bool is an int to Python, never a number here
        if not isinstance(value, accepted) or (self.type is not bool and isinstance(value, bool)):
            return f"{self.name} must be {self.type.__name__}, not {value!r}"
        values = [choice for choice, _ in self.choices]
        if values and value not in values:
            return f"{self.name} must be one of {', '.join(map(repr, values))}, not {value!r}"
        low, high = (b if isinstance(b, int | float) else None for b in (self.low, self.high))
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and low is not None and value < low:
            return f"{self.name} must be {low} or more, not {value!r}"
        if number and high is not None and value > high:
            return f"{self.name} must be {high} or less, not {value!r}"
        return None


# Shared by every optimizer that scores candidates: the spec's `optimizer.try_shapes` (the
# structure stage, `engine.runs.pipeline._structure`). Off by default until measured: on a
# one-step program it does nothing, on others it costs a scoring of each simpler shape.
TRY_SHAPES = Param(
    "try_shapes", bool, False, "Try simpler program shapes",
    help="Before tuning, score simpler shapes of the program on the validation rows, each "
    "with the same few labelled rows as examples (a reasoning step answering directly, a text "
    "step left out), and tune the best one.",
)


@dataclass(frozen=True)
class EventKind:
    """An event type an optimizer emits; `step` names one search step in a payload (a resumed
    run does not announce a step twice)."""

    type: str
    step: Callable[[dict[str, Any]], str | None] | None = None


@dataclass(frozen=True)
class Preset:
    """One search size: its words, `caption(SettingsContext)`, the spec params it `sets`, and
    the declared ones it `asks` for (drawn under it, not on the form)."""

    value: str
    label: str
    caption: Callable[[SettingsContext], str]
    sets: Mapping[str, Any] = field(default_factory=dict)
    asks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Presets:
    """A choice of search sizes; `chosen(params)`: the one the spec params amount to."""

    label: str
    choices: tuple[Preset, ...]
    chosen: Callable[[Mapping[str, Any]], str]

    def get(self, value: str) -> Preset:
        return next(p for p in self.choices if p.value == value)

    def apply(self, params: dict[str, Any], value: str) -> None:
        """Pick `value`: what the preset in `params` set or asked goes, then `value`'s own."""
        before = self.get(self.chosen(params))
        for name in (*before.sets, *before.asks):
            params.pop(name, None)
        params.update(self.get(value).sets)


@dataclass(frozen=True)
class ExportHook:
    """An optimizer's own export of a program no fixed prompt holds: whether it `owns(state)`;
    `program(state, train, metric, student)` rebuilt; `code(state, train, metric_code,
    literal)`, the .py lines making `program`; `note(state)` for the Export page."""

    owns: Callable[[Mapping[str, Any]], bool]
    program: Callable[..., Any]
    code: Callable[..., list[str]]
    note: Callable[[Mapping[str, Any]], str]
    engine_only: bool = True  # the .py runs with the engine only


@dataclass(frozen=True)
class AutoPick:
    """`auto` picks it for at most `up_to` training rows (None: more), says `why(train_size)`."""

    up_to: int | None
    why: Callable[[int], str]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OptimizerEntry:
    """What the registry knows of one optimizer.

    `factory(metric=..., **params)` builds it; `roles` maps a model role of the spec
    ("proposer") to the constructor parameter that role fills; `presets` (its search sizes) are
    drawn under the goal on the Optimize page, before the form drawn from `params`;
    `note(params)` is a line under that form; `pilot` says what a pilot measures for it on so
    many rows (None: it takes none); `rank` orders the Optimize page's goals; `export`: its own
    (None: the spec's program with its state); `estimate_tolerance` is how far (relative) its
    estimate of LM calls may be from a run's actual calls, None when the estimate is an upper
    bound (a search that may stop early), of which runs spent `typical_share` (point, low,
    high) on our benchmarks; `smoke_params`: the smallest settings that still search (for the
    contract tests and the crash matrix)."""

    name: str
    factory: Callable[..., Any]
    label: str
    goal: str
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)
    events: tuple[EventKind, ...] = ()
    presets: Presets | None = None
    note: Callable[[Mapping[str, Any]], str | None] | None = None
    pilot: Callable[[int], str] | None = None
    rank: int = 100
    auto_pick: AutoPick | None = None
    export: ExportHook | None = None
    estimate_tolerance: float | None = 0.2
    typical_share: tuple[float, float, float] | None = None
    needs_train: bool = True  # refuses an empty training set
    tunes_weights: bool = False  # its program answers with a tuned model
    smoke_params: Mapping[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def spellings(self) -> tuple[str, ...]:
        """The class name, then the aliases that differ from it beyond case and separators."""
        out, seen = [self.name], {_key(self.name)}
        for alias in self.aliases:
            if _key(alias) not in seen:
                out.append(alias)
                seen.add(_key(alias))
        return tuple(out)

    def form(self) -> tuple[Param, ...]:
        """The parameters drawn on the Optimize page's form (a preset's asked ones are not)."""
        asked = {name for p in self.presets.choices for name in p.asks} if self.presets else ()
        return tuple(p for p in self.params if p.label and p.name not in asked)

    def settings(self, optimizer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
        """What each declared parameter is in `optimizer`, built by `factory(**given)`: its
        attribute of that name, else the value given, else the factory's own default, else the
        form's. A run records these, so its pages say what ran, not what a form would offer."""
        defaults = _factory_defaults(self.factory)
        out: dict[str, Any] = {}
        for p in self.params:
            if hasattr(optimizer, p.name):
                value = getattr(optimizer, p.name)
            elif p.name in given:
                value = given[p.name]
            else:
                value = defaults.get(p.name, p.default)
            plain = isinstance(value, str | int | float | bool | None)
            out[p.name] = value if plain else str(value)
        return out

    def check_params(self, params: Mapping[str, Any]) -> list[str]:
        """Problems with the declared parameters among `params` (others go to the factory)."""
        found = (p.check(params[p.name]) for p in self.params if p.name in params)
        return [problem for problem in found if problem]


@dataclass(frozen=True)
class SettingsContext:
    """What an Optimize-page widget may size its settings by."""

    steps: int
    train: int
    val: int

    def size(self, bound: float | str | None) -> float | None:
        return getattr(self, bound) if isinstance(bound, str) else bound


def _factory_defaults(factory: Callable[..., Any]) -> dict[str, Any]:
    """The defaults of the factory's keyword parameters (a class: its constructor's)."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin or a callable with no readable signature
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


_ENTRIES: dict[str, OptimizerEntry] = {}
_plugins_loaded = False


def register(entry: OptimizerEntry) -> OptimizerEntry:
    """Add `entry` (registering a name again replaces it). Its names and aliases must not be
    taken by another optimizer."""
    taken = {_key(n): e.name for e in _ENTRIES.values() for n in (e.name, *e.aliases)}
    for alias in (entry.name, *entry.aliases):
        owner = taken.get(_key(alias))
        if owner is not None and owner != entry.name or _key(alias) == AUTO:
            raise ValueError(f"optimizer name {alias!r} is taken (by {owner or 'auto'})")
    _ENTRIES[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    _ENTRIES.pop(name, None)


def entries() -> tuple[OptimizerEntry, ...]:
    """Every registered optimizer, by rank (then registration order)."""
    _load_plugins()
    return tuple(sorted(_ENTRIES.values(), key=lambda e: e.rank))


def get(name: str) -> OptimizerEntry | None:
    """The entry for a name or alias (any case; '-', '_' and spaces alike); None if unknown."""
    canonical = canonical_name(name)
    return _ENTRIES.get(canonical) if canonical and canonical != AUTO else None


def canonical_name(name: str) -> str | None:
    """'random_search' / 'BootstrapRS'-style names -> the class name; 'auto' stays; None if
    unknown."""
    key = _key(name)
    if key == AUTO:
        return AUTO
    for entry in entries():
        if key in {_key(n) for n in (entry.name, *entry.aliases)}:
            return entry.name
    return None


def names() -> tuple[str, ...]:
    """What a spec may write: 'auto', then each optimizer's short name(s) and class name
    (spellings that differ only in case or separators are listed once)."""
    out = [AUTO]
    for entry in entries():
        out += [*entry.spellings()[1:], entry.name]
    return tuple(out)


def event_kinds() -> dict[str, EventKind]:
    """Event type -> its declaration, over every optimizer (the first declaration wins)."""
    out: dict[str, EventKind] = {}
    for entry in entries():
        for kind in entry.events:
            out.setdefault(kind.type, kind)
    return out


def export_hook(state: Mapping[str, Any]) -> ExportHook | None:
    """The export of the optimizer whose program a stored state is (None: a plain program's)."""
    hooks = (e.export for e in entries() if e.export is not None)
    return next((hook for hook in hooks if hook.owns(state)), None)


def _key(name: str) -> str:
    return str(name).strip().lower().replace("-", "").replace("_", "").replace(" ", "")


def _load_plugins() -> None:
    """Import the optimizers installed as plugins once (entry points, $TUNESMITH_OPTIMIZERS);
    one that fails to import is logged and skipped."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    modules = [m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()]
    for point in entry_points(group=ENTRY_POINT_GROUP):
        modules.append(point.value.partition(":")[0])
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            logger.warning("optimizer plugin %s failed to load: %s", module, exc)


def reload_plugins() -> None:
    """Read $TUNESMITH_OPTIMIZERS and the entry points again (after the environment changed)."""
    global _plugins_loaded
    _plugins_loaded = False
    _load_plugins()
