"""Pre-flight: what a run of a spec will do and cost (the budget card); without a pilot, no LM
call."""

from __future__ import annotations

from typing import Any

from engine.core import settings
from engine.optimizers.registry import get as registry_entry
from engine.optimizers.spine import Estimate, PilotFigures, calls_per_run, run_pilot
from engine.runs.cluster import pilot_pool
from engine.runs.data import load_data, validate_spec_against_data
from engine.runs.estimate._cached_rows import scored_before
from engine.runs.estimate._forecast import forecast
from engine.runs.pipeline import (
    build_lm,
    build_metric,
    build_program,
    extra_calls,
    make_optimizer,
    shape_rows,
    task_lm,
    use_run_cache,
)
from engine.runs.spec import ProjectSpec
from engine.runs.store import store_location


def preflight(
    spec: ProjectSpec,
    pilot_rows: int = 0,
    pilot: PilotFigures | dict[str, Any] | None = None,
    db_path: Any = None,
    watched: bool = False,
) -> dict[str, Any]:
    """Validate `spec` (SpecError like `validate_spec_against_data`) and forecast its run
    (`watched`: the dashboard's Run page will follow it). Without `pilot_rows` or `pilot`, no
    LM call; with `pilot_rows` > 0 a pilot first runs the student on that many training rows
    through the run's LM cache (PilotError when it fails); `pilot` gives an earlier pilot's
    figures instead.

    Returns {"report", "optimizer", "reason", "estimate" (the optimization's, with an LM-judged
    metric's calls under "judge"), "test_calls" (the held-out scoring, outside the budget),
    "cached_calls", "budget", "pilot", "problems" (what the optimizer refuses for these data
    sizes: then no pilot, no estimate), "forecast" (`_forecast.forecast`, from the store at
    `db_path`)}.
    """
    report = validate_spec_against_data(spec)
    data = load_data(spec)
    program = build_program(spec)
    metric = build_metric(spec)
    optimizer, name, reason, _ = make_optimizer(spec, len(data.train), metric)
    seed = spec.data.seed
    with settings.context(lm=build_lm(spec.models.task)):  # checks may read the model
        problems = optimizer.check_settings(data.train, data.val or None, student=program)
    if problems:
        return _refused(report.to_dict(), name, reason, spec, problems)
    if isinstance(pilot, dict):
        pilot = PilotFigures.from_dict(pilot)
    with settings.context(lm=build_lm(spec.models.task)):  # what the run will be configured with
        if pilot is None and pilot_rows > 0:
            use_run_cache(store_location())
            with settings.context(lm=task_lm(spec)), pilot_pool(spec) as pool:
                # the run's LM (test hook included); rows on Ray as the run's, when it is set
                pilot = run_pilot(
                    optimizer, program, data.train, metric, rows=pilot_rows, seed=seed,
                    row_pool=pool,
                )  # fmt: skip
        estimate = optimizer.estimate(
            data.train, data.val or None, student=program, seed=seed, pilot=pilot
        ).to_dict()
    _count_shapes(estimate, spec, shape_rows(optimizer, data.train, data.val or None))
    steps = calls_per_run(program)  # task calls per row, at most (tries and samples counted)
    per_run = pilot.calls_per_run if pilot is not None and pilot.calls_per_run else steps
    test_calls = round(2 * len(data.test) * per_run)
    judged = int(getattr(metric, "lm_calls_per_score", 0) or 0)
    if judged:  # an LM-judged metric: its calls per scored example, under role "judge"
        runs = round(estimate["calls"].get("task", 0) / per_run)
        estimate["calls"]["judge"] = runs * judged
        estimate["total_calls"] = sum(estimate["calls"].values())
        if estimate.get("at_most") is not None:  # a call target's bound, judged likewise
            estimate["at_most"] += round(estimate["at_most"] / per_run) * judged
        test_calls += 2 * len(data.test) * judged
    valset = optimizer.effective_valset(data.train, data.val or None)
    scored = valset if getattr(optimizer, "uses_valset", True) else []
    task_model, store = spec.to_dict()["models"]["task"], store_location(db_path)
    cached = {  # the program as given: the search's baseline and the held-out baseline
        "search": scored_before(program, scored, task_model, store) * steps,
        "test": scored_before(program, data.test, task_model, store) * steps,
    }
    plan = {
        "report": report.to_dict(),
        "optimizer": name,
        "reason": reason,
        "estimate": estimate,
        "test_calls": test_calls,
        "cached_calls": cached,
        "budget": spec.optimizer.budget.model_dump(),
        "pilot": pilot.to_dict() if pilot is not None else None,
        "problems": [],
    }
    entry = registry_entry(name)
    upper_bound = entry is not None and entry.estimate_tolerance is None
    plan["forecast"] = forecast(
        plan, spec.models.task.model, upper_bound, store_location(db_path), spec.name, watched
    )
    plan["plateau"] = plateau(spec.optimizer.stop_when_flat, int(estimate.get("trials") or 0))
    plan["out_of_reach"] = out_of_reach(
        spec.optimizer.stop_when_out_of_reach, spec.optimizer.budget.max_calls
    )
    return plan


# the page's wait of 8 on three generated message sets no lever had seen (bench/results/plateau.md)
PLATEAU_MEASURED = (
    "measured with a wait of 8 on three message sets no setting was chosen on, it saved 26% of "
    "the calls and lost 5 of 90 held-out answers"
)


def plateau(wait: int | None, scorings: int) -> dict[str, Any] | None:
    """What stopping on a plateau (`stop_when_flat` = `wait`) can save of a search that scores
    about `scorings` candidates: {"wait", "scorings", "saved_at_most" (a share of the scorings:
    the first scoring sets the best, then `wait` flat ones stop it), "never" (the wait is as
    long as the search), "words"}; None when the option is off or the search scores nothing."""
    if wait is None or scorings <= 0:
        return None
    saved = max(0.0, (scorings - wait - 1) / scorings)
    if saved == 0:
        words = (
            f"the search scores about {scorings} candidate{'s' if scorings != 1 else ''}, so "
            f"waiting for {wait} scoring{'s' if wait != 1 else ''} in a row without a better "
            f"score cannot end it early: wait fewer than {max(1, scorings - 1)} or turn it off"
        )
    else:
        words = (
            f"stopping once {wait} scoring{'s' if wait != 1 else ''} in a row find nothing "
            f"better saves at most {100 * saved:.0f}% of the search's ~{scorings} scorings (if "
            f"the best comes first); {PLATEAU_MEASURED}"
        )
    return {"wait": wait, "scorings": scorings, "saved_at_most": round(saved, 3),
            "never": saved == 0, "words": words}  # fmt: skip


def out_of_reach(chance: float | None, max_calls: int | None) -> dict[str, Any] | None:
    """What stopping once the best is out of reach (`stop_when_out_of_reach` = `chance`) does
    with a budget of `max_calls`: {"chance", "never" (no call limit: it cannot fire), "words"};
    None when the option is off. No saving is given: it depends on the scores the run meets."""
    if chance is None:
        return None
    limit = f"{100 * chance:g}%"
    if max_calls is None:
        words = (
            "stopping once the best score is out of reach needs a limit on LM calls: without "
            "one it never stops the search (set a maximum of LM calls or turn it off)"
        )
    else:
        words = (
            f"stopping once the rest of the {max_calls:,}-call budget has less than a {limit} "
            "chance of beating the best score so far (judged from the spread of the scorings "
            "on the same rows, from the third on) saves only calls unlikely to help; how many "
            "cannot be told before the run; on five generated message sets at 5% it never "
            "fired: the budget ended every search first"
        )
    return {"chance": chance, "never": max_calls is None, "words": words}


def _count_shapes(estimate: dict[str, Any], spec: ProjectSpec, rows: list[Any]) -> None:
    """Add the structure stage's scorings of the program's other shapes to the estimate."""
    shapes, calls = extra_calls(spec, len(rows))
    if not calls:
        return
    estimate["calls"]["task"] = estimate["calls"].get("task", 0) + calls
    estimate["total_calls"] = sum(estimate["calls"].values())
    if estimate.get("at_most") is not None:
        estimate["at_most"] += calls
    said = f"{shapes} program shapes scored first on {len(rows)} rows: {calls} calls"
    estimate["notes"] = "; ".join(n for n in (estimate.get("notes"), said) if n)


def _refused(
    report: dict[str, Any], name: str, reason: str, spec: ProjectSpec, problems: list[str]
) -> dict[str, Any]:
    """The pre-flight of settings the optimizer refuses: its problems, no forecast."""
    return {
        "report": report,
        "optimizer": name,
        "reason": reason,
        "estimate": Estimate(notes="no forecast: the settings must be fixed first").to_dict(),
        "test_calls": 0,
        "budget": spec.optimizer.budget.model_dump(),
        "pilot": None,
        "problems": list(problems),
        "forecast": None,
    }


def forecast_line(forecast: dict[str, Any]) -> str:
    """The forecast in one line: '~420 LM calls (likely 330-560, at most 646, as in ...) + 60 to
    score the held-out rows, ~4 min (3-5 min; from ...)'."""
    calls, at_most = forecast["calls"], forecast["calls_at_most"]
    low, high = forecast.get("calls_range") or (calls, calls)
    spread = f"likely {low:,}-{high:,}, " if high > low else ""
    if forecast.get("targeted"):
        bound = f" (the search's target: {spread}at most {at_most:,})"
    elif at_most != calls:
        bound = f" ({spread}at most {at_most:,}, {forecast['share_source']})"
    else:
        bound = ""
    when = duration_words(forecast["seconds"])
    fast, slow = forecast.get("seconds_range") or (forecast["seconds"], forecast["seconds"])
    span = range_words(fast, slow)
    span = f"{span}; " if span else ""
    cached = int(forecast.get("cached_calls") or 0)
    reused = f"; {cached:,} more answered by the cache of earlier runs" if cached else ""
    return (
        f"~{calls:,} LM calls{bound} + {forecast['test_calls']:,} to score the held-out rows"
        f"{reused}, {when} ({span}{forecast['speed']})"
    )


def duration_words(seconds: float) -> str:
    """'~4 min' from 1.5 minutes up, '~40 s' below."""
    return f"~{seconds / 60:.0f} min" if seconds >= 90 else f"~{seconds:.0f} s"


def range_words(fast: float, slow: float) -> str:
    """'3-5 min', '40-70 s' or '50 s-2 min'; '' when both ends read the same."""
    if duration_words(fast) == duration_words(slow):
        return ""
    if fast >= 90:
        return f"{fast / 60:.0f}-{slow / 60:.0f} min"
    if slow < 90:
        return f"{fast:.0f}-{slow:.0f} s"
    return f"{fast:.0f} s-{slow / 60:.0f} min"


def budget_warnings(plan: dict[str, Any]) -> list[str]:
    """Where the spec's budget will likely end the search before it is done, or a plateau
    wait or the out-of-reach stop cannot end it (in words)."""
    forecast, budget = plan.get("forecast"), plan.get("budget") or {}
    if not forecast:
        return []
    out = []
    for stop in (plan.get("plateau") or {}, plan.get("out_of_reach") or {}):
        if stop.get("never"):
            out.append(stop["words"])
    max_calls, max_minutes = budget.get("max_calls"), budget.get("max_minutes")
    if max_calls and forecast["calls"] > max_calls:
        out.append(
            f"the search likely needs ~{forecast['calls']:,} LM calls, more than the limit of "
            f"{max_calls:,}: it will finish early with the best prompt found so far"
        )
    if max_minutes and forecast["seconds"] / 60 > max_minutes:
        out.append(
            f"the run likely needs ~{forecast['seconds'] / 60:.0f} min, more than the "
            f"{max_minutes:g}-minute limit: it will finish early with the best prompt so far"
        )
    return out


def fitting_budget(plan: dict[str, Any]) -> dict[str, Any]:
    """A budget the forecast run fits in with room to spare: every call the search may make
    (its upper bound, rounded up to 50) and three times the likely time, at least 10 minutes
    (a run watched in the browser shares the CPU with it: the default run of the e2e tour took
    twice its forecast)."""
    forecast = plan.get("forecast") or {}
    at_most = int(forecast.get("calls_at_most") or 0)
    minutes = 3 * float(forecast.get("seconds") or 0) / 60
    return {
        "max_calls": max(50, -(-at_most // 50) * 50),
        "max_minutes": float(max(10, -(-round(minutes) // 5) * 5)),
    }
