"""Optimize page: the model, the optimizer (by goal, or auto with its reason), the budget, the
pre-flight estimate, and Start (a detached worker process; then the Run page opens)."""

from __future__ import annotations

import os

import streamlit as st

from dashboard import home, launcher, lmtools, safe, state, ui
from dashboard.glossary import plain_text
from dashboard.project import specs
from dashboard.run_data.mistakes import choice_outputs
from dashboard.widgets.number import number
from dashboard.widgets.optimize.budget_card import budget_card, preflight
from dashboard.widgets.optimize.early_stops import early_stops
from dashboard.widgets.optimize.optimizer_form import optimizer_form, search_size
from dashboard.widgets.optimize.pilot_button import pilot_controls, stored_pilot
from dashboard.widgets.optimize.proposer_choice import proposer_choice
from engine.optimizers import registry
from engine.runs import choose_optimizer, text_problem, url_problem

AUTO_GOAL = ("Auto (recommended)", "Picks the optimizer from the size of your training set.")


def goals() -> dict[str, tuple[str, str]]:
    """Goal -> (label, one line): Auto first, then every registered optimizer."""
    return {"auto": AUTO_GOAL, **{e.name: (e.label, e.goal) for e in registry.entries()}}


def drop_keyed_endpoints(models: dict) -> None:
    """An endpoint URL in the draft that holds a key (user:KEY@host, ?api_key=...) is refused:
    removed from the draft (so never saved), with a message saying where the key goes."""
    for role, model in (models or {}).items():
        if not isinstance(model, dict):
            continue
        problem = url_problem(model.get("api_base"), f"The {role} model's endpoint URL")
        if problem is not None:
            model["api_base"] = None
            st.error(
                f"{safe.md(problem)}. It was removed from the project: type it again without "
                "the key."
            )


ui.header(
    "Optimize", "Choose the model and how to search for a better prompt, check the estimate, start."
)
if not ui.require_data():
    st.stop()
draft = state.draft()
drop_keyed_endpoints(draft.get("models") or {})
check = specs.build_spec()
if not check.ok:
    ui.problems(check.problems, "The project is not complete yet")
    ui.go_button("data", "Back to Data", key="opt_back")
    st.stop()

# -- model -------------------------------------------------------------------------------------
task = draft["models"]["task"]
st.subheader("1. Model")
local = task["model"].startswith("local/")
choice = st.radio(
    "Which model answers",
    ["embedded", "hosted"],
    index=0 if local else 1,
    horizontal=True,
    key=f"model_kind_{state.rev()}",
    format_func={
        "embedded": "Embedded model (runs on this computer, free, no key)",
        "hosted": "A hosted model (OpenAI, Anthropic, … any litellm provider)",
    }.get,
)
key_env: dict[str, str] = {}
blocked = ""  # why Start is disabled, if it is
if choice == "embedded":
    task["model"] = state.DEFAULT_MODEL
    st.caption(
        "SmolLM2-135M: small and fast, good for trying things out. "
        "For real quality use a hosted model."
    )
else:
    a, b = st.columns(2)
    typed = a.text_input(
        "Model (provider/name)",
        value="" if local else task["model"],
        placeholder="openai/gpt-4o-mini",
        key=f"model_name_{state.rev()}",
    ).strip()
    name_problem = text_problem(typed) if typed else None
    if name_problem:  # a key typed into the name box: refused, never echoed nor saved
        a.error(f"The model name {safe.md(name_problem)}.")
        blocked = "Take the key out of the model name: the API key box is for keys."
    elif typed and "/" in typed:
        task["model"] = typed
    elif typed:
        a.error("Write the model as provider/name, e.g. openai/gpt-4o-mini.")
        blocked = "Write the hosted model's name as provider/name."
    else:
        blocked = (
            "Type the hosted model's name (e.g. openai/gpt-4o-mini), or pick the embedded model."
        )
    env_var = lmtools.key_env_var(task["model"]) if "/" in typed else None
    key = b.text_input(
        f"API key{f' ({safe.md(env_var)})' if env_var else ''}",
        type="password",
        value=state.api_key(),
        key="api_key_input",
        placeholder="sk-…",
    )
    state.set_api_key(key)
    b.caption(
        ":material/lock: Used for this browser session only: handed to the run's process, "
        "never saved in the "
        "project, the run history, logs or exports."
    )
    if env_var and key:
        key_env[env_var] = key
    elif env_var and not key:
        if os.environ.get(env_var):
            b.caption(f"No key typed: the server's {safe.md(env_var)} will be used.")
        else:
            b.warning(
                f"Enter an API key, or set {safe.md(env_var)} before starting the dashboard."
            )
            blocked = blocked or "Enter the API key for this model first."
with st.expander("Model settings"):
    a, b = st.columns(2)
    task["temperature"] = a.slider(
        "Temperature (0 = most predictable)",
        0.0,
        1.5,
        float(task.get("temperature") or 0.0),
        0.1,
        key=f"temp_{state.rev()}",
    )
    task["max_tokens"] = number(
        b, "Longest answer (tokens)", 16, 8192, task.get("max_tokens") or 128, "maxtok", step=16
    )
    if choice == "hosted":
        endpoint = st.text_input(
            "Endpoint URL (optional: a proxy, Azure, a local server)",
            value=task.get("api_base") or "",
            placeholder="https://my-proxy.example.com/v1",
            key=f"api_base_{state.rev()}",
            help="Only the address. The key goes in the API key box above, never in the URL.",
        ).strip()
        endpoint_problem = url_problem(endpoint, "Endpoint URL")
        if endpoint_problem:  # refused: not kept in the project, not echoed
            st.error(safe.md(endpoint_problem))
            task["api_base"] = None
            blocked = blocked or "Take the key out of the endpoint URL: use the API key box."
        else:
            task["api_base"] = endpoint or None

if choice_outputs(draft) and task.get("model"):  # a closed choice: can answers leave the list?
    st.caption(":material/checklist: " + lmtools.reply_words(task["model"], task.get("api_base")))

# -- optimizer ---------------------------------------------------------------------------------
st.subheader("2. Optimizer")
opt = draft["optimizer"]
GOALS = goals()
goal = st.radio(
    "Goal",
    list(GOALS),
    index=list(GOALS).index(opt.get("name") if opt.get("name") in GOALS else "auto"),
    format_func=lambda g: GOALS[g][0],
    captions=[GOALS[g][1] for g in GOALS],
    key=f"goal_{state.rev()}",
)
if goal != opt.get("name"):
    opt["params"] = {}
opt["name"] = goal
train_size = check.report.sizes["train"]
if goal == "auto":
    chosen, reason = choose_optimizer(train_size)
    st.info(
        f"**Auto will use {GOALS[chosen][0].split(': ')[-1]}** — {plain_text(reason)}.",
        icon=":material/auto_awesome:",
    )
else:
    chosen = goal
params = opt["params"]
sizes = registry.SettingsContext(
    steps=len(draft["pipeline"]), train=train_size, val=check.report.sizes["val"]
)
entry = registry.get(goal) if goal != "auto" else None
if entry is not None:
    search_size(entry, params, sizes)
if "proposer" in registry.get(chosen).roles:
    proposer_blocked = proposer_choice(draft["models"])
    blocked = blocked or proposer_blocked
else:
    draft["models"]["proposer"] = None
with st.expander("Optimizer settings", expanded=False):
    if entry is None:
        st.caption(
            "Auto uses each optimizer's standard settings. Pick a goal above to adjust them."
        )
    else:
        optimizer_form(entry, params, sizes)

# -- budget ------------------------------------------------------------------------------------
st.subheader("3. Budget")
budget = opt["budget"]
unset = budget.get("max_calls") is None and budget.get("max_minutes") is None
a, b, c = st.columns(3)
budget["max_calls"] = number(
    a, "Max LM calls", 1, 1_000_000, budget.get("max_calls") or 500, "bcalls", step=50
)
budget["max_minutes"] = number(
    b, "Max minutes", 1.0, 24 * 60.0, budget.get("max_minutes") or 15, "bmin", step=5.0
)
proposer = draft["models"]["proposer"] or {}
if choice == "hosted" or not proposer.get("model", "local/").startswith("local/"):
    budget["max_cost"] = number(
        c, "Max cost ($)", 0.01, 10_000.0, budget.get("max_cost") or 1.0, "bcost", step=0.5
    )
else:
    budget["max_cost"] = None
    c.caption("No cost limit needed: the embedded model is free.")
st.caption("When a limit is reached the run stops cleanly and keeps the best prompt found so far.")
keep = st.checkbox(
    "Keep my starting prompt unless the gain is clear (recommended)",
    value=opt.get("keep_start", "unreliable") == "unreliable",
    help="A few validation rows can show a gain that new rows do not. When the best prompt's "
    "gain could be chance (its 95% range includes zero), the run hands back your starting "
    "prompt and says 'no clear gain'. Off: the best-scoring prompt is kept unless it scored "
    "below your starting prompt.",
    key=f"keep_start_{state.rev()}",
)
opt["keep_start"] = "unreliable" if keep else "worse"
early_stops(opt)
if len(draft.get("pipeline") or []) > 1:  # a program of one step has one shape
    shapes = registry.TRY_SHAPES
    opt[shapes.name] = st.checkbox(
        shapes.label, value=bool(opt.get(shapes.name, shapes.default)), help=shapes.help,
        key=f"try_shapes_{state.rev()}",
    )  # fmt: skip

check = specs.build_spec()
if not check.ok:
    ui.problems(check.problems, "Fix these settings")
    st.stop()
plan = None
with ui.friendly_errors("Checking the run's settings"):
    plan = preflight(check.spec, stored_pilot(check.spec))
if plan is None:
    blocked = blocked or "Fix the problem above first: the run would stop on it at once."
elif plan.problems:
    ui.problems(plan.problems, "The optimizer would refuse these settings")
    blocked = blocked or "Change the settings above first: the run would stop on them at once."
elif unset and plan.fit:  # a new project: the budget this run fits in, drawn again
    budget["max_calls"], budget["max_minutes"] = plan.fit["max_calls"], plan.fit["max_minutes"]
    state.bump()
    st.rerun()
else:
    budget_card(plan, budget)
pilot_controls(check.spec, chosen)
if state.timed_here(task["model"]) and not state.speed(task["model"]) and st.button(
    "Time one call to refine the estimate", key="measure_speed", icon=":material/timer:"
):
    timing = f"Timing one call to {safe.md(task['model'])}…"
    with st.spinner(timing), ui.friendly_errors("Timing the model"):
        rows = lmtools.random_rows(check.spec, 1)
        lmtools.run_rows(check.spec, rows)
        st.rerun()

if blocked:
    st.caption(blocked)
if st.button(
    "Start optimizing",
    key="start_run",
    type="primary",
    icon=":material/rocket_launch:",
    disabled=bool(blocked),
):
    with st.spinner("Starting the run…"), ui.friendly_errors("Starting the run"):
        key_env.update(lmtools.run_key_env(draft["models"]))  # a hosted proposer's key
        run_id = launcher.start(check.spec, home.db_path(), key_env)
        st.session_state["last_run"] = run_id
        st.switch_page(ui.PAGES["run"][0], query_params={"run": run_id})
