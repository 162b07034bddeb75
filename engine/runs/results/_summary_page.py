"""A run's one-page summary for stakeholders, as HTML that opens in any browser and prints well.

Self-contained: inline CSS, no scripts, no links or images from elsewhere. It leads with the
held-out result and its verdict (`engine.runs.results._outcome`), then the task, what it cost, a few
rows the tuned program fixed and still gets wrong (`engine.runs.results`), the project's prompt
versions with their held-out scores (when it has any), the optimizer and its settings in plain
words, and the date. Every value from outside (names, descriptions,
row text, model names) is HTML-escaped; secrets are redacted (`engine.runs.spec._redact`) first.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from engine.optimizers import registry
from engine.runs.export import stored_run
from engine.runs.pipeline import shape_choice
from engine.runs.results._outcome import Outcome, outcome_of, percent
from engine.runs.results._summary_rows import RowStories, RowStory, row_stories
from engine.runs.spec import redact
from engine.runs.store import RunStore
from engine.runs.versions import Version, list_versions, start_candidate

ROWS_SHOWN = 3
COLOURS = {"gain": "#15803d", "unclear": "#b45309", "loss": "#b91c1c", "no test": "#4b5563"}
TITLES = {
    "gain": "Better on new rows", "unclear": "No clear difference on new rows",
    "loss": "Worse on new rows", "no test": "Not checked on new rows",
}  # fmt: skip
SUBSET_WORDS = {"test": "held-out test rows", "val": "validation rows"}
KIND_WORDS = {"str": "text", "int": "whole number", "float": "number", "bool": "yes / no"}
SIZE_WORDS = {"train": "to learn from", "val": "to choose with (validation)",
              "test": "held out for the final check"}  # fmt: skip

CSS = """
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#111827;
max-width:860px;margin:2rem auto;padding:0 1.2rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;
border-bottom:1px solid #e5e7eb;padding-bottom:.2rem}
.muted{color:#6b7280}.verdict{border-left:6px solid;padding:.7rem 1rem;background:#f9fafb;
margin:1rem 0}.verdict strong{font-size:1.15rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #e5e7eb;
padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f3f4f6}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.4rem 0}
dt{color:#6b7280}dd{margin:0}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}
tr,.verdict{break-inside:avoid}}
"""


def esc(value: Any) -> str:
    """A value as HTML text: redacted of secrets, then escaped (quotes too)."""
    return html.escape(redact(str(value)) or "", quote=True)


def _duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "unknown"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _verdict_block(run: dict[str, Any], outcome: Outcome) -> str:
    if run.get("status") in ("failed", "queued", "running"):
        if run.get("status") == "failed":
            title, colour = "The run failed.", COLOURS["loss"]
            body = esc(run.get("reason") or "No reason was recorded.")
        else:
            title, colour = "The run is still going.", COLOURS["no test"]
            body = "The held-out check comes at the end; make this summary again then."
        return (
            f'<div class="verdict" style="border-color:{colour}"><strong style="color:'
            f'{colour}">{title}</strong><p>{body}</p></div>'
        )
    colour = COLOURS[outcome.kind]
    change = f"<p>{esc(outcome.change_text)}</p>" if outcome.change_text else ""
    unclear = (
        " More test rows would tell."
        if outcome.kind == "unclear" and outcome.change != "start kept"
        else ""
    )
    return (
        f'<div class="verdict" style="border-color:{colour}">'
        f'<strong style="color:{colour}">{TITLES[outcome.kind]}.</strong>'
        f"<p>{esc(outcome.headline)}.{unclear}</p>{change}</div>"
    )


def _kind(field: dict[str, Any]) -> str:
    if field.get("choices"):
        return "one of: " + ", ".join(map(str, field["choices"]))
    kind = str(field.get("type") or "")
    return KIND_WORDS.get(kind, kind)


def _task(run: dict[str, Any]) -> str:
    spec = run.get("spec") or {}
    fields = [
        f"<tr><td>{esc(f.get('name'))}</td><td>{esc(f.get('role'))}</td>"
        f"<td>{esc(_kind(f))}</td><td>{esc(f.get('description') or '')}</td></tr>"
        for step in spec.get("pipeline") or []
        for f in step.get("fields") or []
    ]
    sizes = run.get("sizes") or {}
    rows = ", ".join(f"{esc(v)} {esc(SIZE_WORDS.get(k, k))}" for k, v in sizes.items())
    return (
        "<h2>The task</h2>"
        f"<p>{esc(spec.get('description') or run.get('description') or '(no description)')}</p>"
        + ("<table><tr><th>Field</th><th>Role</th><th>Kind</th><th>Meaning</th></tr>"
           + "".join(fields) + "</table>" if fields else "")
        + (f"<p class='muted'>Rows used: {rows}.</p>" if rows else "")
    )  # fmt: skip


def _scores(outcome: Outcome) -> str:
    test = (
        f"<tr><td>Held-out test rows (never seen by the optimizer)</td>"
        f"<td>{percent(outcome.test_start)}</td><td>{percent(outcome.test_best)}</td>"
        f"<td>{esc(outcome.verdict.words)} ({esc(outcome.verdict.range_text)})</td></tr>"
        if outcome.verdict
        else "<tr><td>Held-out test rows</td>"
        "<td colspan='3'>none: not checked on new rows</td></tr>"
    )
    return (
        "<h2>Before and after</h2><table><tr><th>Scored on</th><th>Your prompt</th>"
        f"<th>Tuned</th><th>Verdict</th></tr>{test}"
        f"<tr><td>Validation rows (the optimizer chose on these)</td>"
        f"<td>{percent(outcome.val_start)}</td><td>{percent(outcome.val_best)}</td>"
        "<td class='muted'>not a fair check</td></tr></table>"
    )


def _cost(run: dict[str, Any], usage: dict[str, Any]) -> str:
    tokens = usage.get("total_tokens") or 0
    took = None
    if run.get("started_at") and run.get("finished_at"):
        took = run["finished_at"] - run["started_at"]
    models = ", ".join(sorted((usage.get("by_model") or {}).keys()))
    return (
        "<h2>What it cost</h2><dl>"
        f"<dt>Model calls</dt><dd>{int(usage.get('calls') or 0):,} "
        f"({int(usage.get('cache_hits') or 0):,} answered from the cache)</dd>"
        f"<dt>Tokens</dt><dd>{f'{int(tokens):,}' if tokens else 'not reported'}</dd>"
        f"<dt>Wall time</dt><dd>{_duration(took)}</dd>"
        + (f"<dt>Models</dt><dd>{esc(models)}</dd>" if models else "")
        + "</dl>"
    )


def _row_table(title: str, stories: list[RowStory], total: int) -> str:
    if not stories:
        return ""
    shown = stories[:ROWS_SHOWN]
    more = f" ({len(shown)} of {total} shown)" if total > len(shown) else ""
    body = "".join(
        f"<tr><td>{esc(s.inputs)}</td><td>{esc(s.expected)}</td><td>{esc(s.before)}</td>"
        f"<td>{esc(s.after)}</td></tr>"
        for s in shown
    )
    return (
        f"<h3>{title}{more}</h3><table><tr><th>Input</th><th>Expected</th>"
        f"<th>Before</th><th>After</th></tr>{body}</table>"
    )


def _rows(stories: RowStories) -> str:
    where = SUBSET_WORDS[stories.subset]
    counts = (
        f"On {stories.total} {where}: fixed {len(stories.fixed)}, broke {len(stories.broke)}, "
        f"still wrong {len(stories.still_wrong)}."
    )
    return (
        f"<h2>Rows that changed</h2><p>{counts}</p>"
        + _row_table("Fixed by the tuned prompt", stories.fixed, len(stories.fixed))
        + _row_table("Right before, wrong now", stories.broke, len(stories.broke))
        + _row_table("Still wrong", stories.still_wrong, len(stories.still_wrong))
    )


def _value(setting: Any) -> str:
    """A setting in words: yes/no for a switch, "not set" for none (a cap that is off, or
    left to the optimizer)."""
    if isinstance(setting, bool):
        return "yes" if setting else "no"
    return "not set" if setting is None else esc(setting)


def _optimizer(run: dict[str, Any], tried: int, shape: str | None = None) -> str:
    spec = run.get("spec") or {}
    chosen = spec.get("optimizer") or {}
    entry = registry.get(str(run.get("optimizer") or chosen.get("name") or ""))
    label = entry.label if entry else str(run.get("optimizer") or chosen.get("name") or "?")
    given = dict(chosen.get("params") or {})
    used = run.get("settings")  # what the run built (None: a run stored before it was kept)
    values = used if isinstance(used, dict) else given
    formed = [p for p in (entry.form() if entry else ()) if p.name in values]
    settings = [f"<dt>{esc(p.label)}</dt><dd>{_value(values[p.name])}</dd>" for p in formed] + [
        f"<dt>{esc(k)}</dt><dd>{_value(v)}</dd>" for k, v in given.items()
        if not (entry and entry.param(k) and entry.param(k).label)
    ]  # fmt: skip
    if not isinstance(used, dict):
        settings.append("<dt>Other settings</dt><dd>the optimizer's standard ones</dd>")
    if shape:  # the structure stage's choice, before the search
        settings.append(f"<dt>Program shape</dt><dd>{esc(shape)}</dd>")
    if tried:
        settings.append(f"<dt>Candidates tried</dt><dd>{tried}, besides your prompt</dd>")
    budget = chosen.get("budget") or {}
    limits = [
        f"at most {budget['max_calls']:,} model calls" if budget.get("max_calls") else "",
        f"at most {budget['max_minutes']:g} minutes" if budget.get("max_minutes") else "",
    ]
    keep = (
        "keep your prompt unless the gain on validation is clear"
        if chosen.get("keep_start") == "unreliable"
        else "keep your prompt only when nothing scored better on validation"
    )
    return (
        f"<h2>How it was tuned</h2><p>{esc(label)}"
        + (f" ({esc(entry.goal)})" if entry and entry.goal else "")
        + f"</p><dl>{''.join(settings)}"
        f"<dt>Limits</dt><dd>{esc(', '.join(x for x in limits if x) or 'none')}</dd>"
        f"<dt>Rule</dt><dd>{keep}</dd></dl>"
    )


def _versions(versions: list[Version]) -> str:
    """The project's prompt versions with their held-out scores and how each moved the score."""
    if not versions:
        return ""
    rows, before = [], None
    for v in versions:
        moved = (
            f"{100 * (v.test_score - before):+.1f} points" if None not in (v.test_score, before)
            else "—"
        )
        before = v.test_score if v.test_score is not None else before
        when = dt.datetime.fromtimestamp(v.created_at).strftime("%d %b %Y")
        rows.append(
            f"<tr><td>v{v.number}{' (in use)' if v.in_use else ''}</td><td>{esc(v.origin)}</td>"
            f"<td>{esc(v.made_by)}, {esc(when)}</td><td>{percent(v.test_score)}</td>"
            f"<td>{moved}</td></tr>"
        )
    return (
        "<h2>Prompt versions</h2><p>Each prompt this project accepted; the one in use labels "
        "new rows.</p><table><tr><th>Version</th><th>Where it came from</th><th>Who, when</th>"
        "<th>Held-out score</th><th>Change</th></tr>" + "".join(rows) + "</table>"
    )


def render_summary(
    run: dict[str, Any], outcome: Outcome, usage: dict[str, Any], stories: RowStories,
    tried: int = 0, versions: list[Version] | None = None, shape: str | None = None,
) -> str:
    """The page's HTML from what the store holds (see module), `tried` the candidate programs
    scored besides the start, `versions` the project's prompt versions; the same run and
    versions give the same page (it is dated by the run, not by when it was made); `shape`: the
    program shape chosen before the search, in a sentence."""
    finished = run.get("finished_at") or run.get("created_at")
    ran = dt.datetime.fromtimestamp(finished).strftime("%d %B %Y %H:%M") if finished else "?"
    name = esc(run.get("name") or "Tunesmith run")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{name}: results</title><style>{CSS}</style></head><body>"
        f"<h1>{name}</h1><p class='muted'>Run {esc(run.get('id'))}, finished {esc(ran)} "
        f"({esc(run.get('status'))}).</p>"
        + _verdict_block(run, outcome) + _task(run) + _scores(outcome) + _rows(stories)
        + _versions(versions or []) + _cost(run, usage) + _optimizer(run, tried, shape)
        + "<p class='muted'>Made by Tunesmith.</p></body></html>\n"
    )  # fmt: skip


def summary_html(run_id: str, db_path: str | Path | None = None) -> str:
    """The stakeholder summary of run `run_id` (a TunesmithError when there is no such run)."""
    run = stored_run(run_id, db_path)
    with RunStore(db_path) as store:
        cands = store.candidates(run_id)
        logs = [str((e.get("data") or {}).get("message", ""))
                for e in store.events(run_id, types=["log"])]  # fmt: skip
        outcome = outcome_of(run, cands, logs)
        start = start_candidate(run, cands)
        comp = run.get("comparison") or {}
        if outcome.verdict is not None:
            subset, pair = "test", (comp.get("baseline_candidate"), comp.get("best_candidate"))
        else:
            subset, pair = "val", ((start or {}).get("hash"), run.get("best_candidate"))
        before, after = (
            store.example_results(run_id, candidate=h, subset=subset) if h else [] for h in pair
        )
        usage = store.usage(run_id)
    stories = row_stories(run, before, after, subset)
    tried = sum(1 for c in cands if c is not start)
    versions = list_versions(run.get("name") or "", db_path)
    return render_summary(run, outcome, usage, stories, tried=tried, versions=versions,
                          shape=shape_choice(run_id, db_path))  # fmt: skip
