"""The pre-flight forecast: likely calls and time from the store's earlier runs, a budget that
fits, and a budget stop in words (issue 40 item 3)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import subprocess_env
from scripted_lms import noisy_oracle_lm, oracle_lm

from engine.optimizers import registry
from engine.runs import create_run, ended_words, fitting_budget, preflight, range_words
from engine.runs.estimate import budget_warnings, forecast_line
from engine.runs.estimate._forecast import (
    forecast,
    measured_speed,
    spent_share,
    typical_speed,
    watched_slowdown,
)
from engine.runs.process.worker import run_worker

RANDOM_SEARCH = "BootstrapFewShotWithRandomSearch"
SCRIPTED = "scripted/oracle"  # the model name the scripted LM's calls are recorded under


def _small(spec, seed: int = 0, target: bool = False):
    """The spec on fewer rows; without `target`, random search tries its planned candidates
    (an upper-bound estimate, forecast by the share earlier runs spent)."""
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 20, 8, 6
    spec.data.seed = seed
    spec.optimizer.budget.max_calls, spec.optimizer.budget.max_minutes = None, None
    if not target:
        spec.optimizer.params["spend_share"] = None
    return spec


def test_a_search_with_a_call_target_is_forecast_by_its_target(db_path: Path, tickets_spec):
    """Random search as the dashboard and the CLI run it spends a call target, so the forecast
    is the target whatever racing saves on a seed, and the run lands within half a candidate."""
    for seed in (0, 1):
        spec = _small(tickets_spec, seed, target=True)
        plan = preflight(spec, db_path=db_path)
        estimate, forecast = plan["estimate"], plan["forecast"]
        assert forecast["targeted"] and forecast["share_source"] == "the search's call target"
        assert forecast["calls"] == estimate["total_calls"]
        assert forecast["calls_at_most"] == estimate["at_most"] > forecast["calls"]
        low, high = forecast["calls_range"]
        assert low < forecast["calls"] < high <= forecast["calls_at_most"]
        assert "the search's target: likely" in forecast_line(forecast)
        assert fitting_budget(plan)["max_calls"] >= estimate["at_most"]
        run_id = create_run(spec, db_path)
        assert run_worker(run_id, db_path, lm_factory=noisy_oracle_lm) == "finished"
        with sqlite3.connect(db_path) as conn:
            usage, sizes = conn.execute(
                "SELECT usage, sizes FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
        task = json.loads(usage)["by_role"]["task"]
        search = task["uncached_calls"] - 2 * json.loads(sizes)["test"]
        assert low <= search <= high, (low, search, high)
    # runs with a target say nothing of the share an unraced bound is spent at
    assert spent_share(RANDOM_SEARCH, db_path).source == "as measured on our benchmarks"


def test_a_seed_whose_teachers_read_more_of_their_demos_again_is_forecast_longer(
    db_path: Path, tickets_spec
) -> None:
    """Where a run seed's draw puts the labeled demos decides how much of them the embedded
    model's teachers read again (`Estimate.read_again`): the minutes count it, the calls not."""
    model = tickets_spec.models.task.model
    plans = {s: preflight(_small(tickets_spec, s, target=True), db_path=db_path) for s in range(6)}
    reads = {seed: plan["estimate"].get("read_again", 0) for seed, plan in plans.items()}
    assert min(reads.values()) < 0 < max(reads.values()), reads
    speed = typical_speed(model)
    for seed, plan in plans.items():
        usual = {**plan, "estimate": {**plan["estimate"], "read_again": 0}}
        without = forecast(usual, model, upper_bound=True, db_path=db_path)
        assert plan["forecast"]["calls"] == without["calls"]
        more = plan["forecast"]["seconds"] - without["seconds"]
        assert more == pytest.approx(speed.per_token * reads[seed], abs=0.2)


def test_an_empty_store_gives_typical_figures(db_path: Path, tickets_spec) -> None:
    plan = preflight(_small(tickets_spec), db_path=db_path)
    forecast = plan["forecast"]
    assert plan["optimizer"] == RANDOM_SEARCH
    # random search's estimate is an upper bound: the likely calls are the measured share of it
    assert forecast["calls_at_most"] == plan["estimate"]["total_calls"]
    typical = registry.get(RANDOM_SEARCH).typical_share[0]
    assert forecast["calls"] == round(forecast["calls_at_most"] * typical)
    assert forecast["share_source"] == "as measured on our benchmarks"
    assert forecast["speed"] == typical_speed("local/smollm2-135m").source
    assert forecast["seconds"] > 0
    line = forecast_line(forecast)
    assert f"at most {forecast['calls_at_most']:,}" in line and "typical" in line
    # racing spends a different share on each seed: the forecast says the range it spanned
    low, high = forecast["calls_range"]
    at_most = forecast["calls_at_most"]
    assert (low, high) == (round(at_most * 0.5), at_most)  # racing may spend all of it
    assert f"likely {low:,}-{high:,}" in line
    fast, slow = forecast["seconds_range"]
    assert fast < forecast["seconds"] < slow


def test_a_fresh_store_scales_the_typical_speed_to_this_machine(monkeypatch) -> None:
    """Before any run was measured here, the embedded model's typical speed is scaled by how
    fast this machine's runtime probe read a prompt of the Q8_0 copy runs read, against the
    machine it was measured on; a read of another file (the shipped Q4_1), or none, leaves it
    as it is; a hosted model's is never scaled."""
    from engine.lm.local import default_weights_name
    from engine.runs.estimate import _forecast as forecast_module

    copy = default_weights_name()  # the Q8_0 copy runs read
    if copy is None:
        pytest.skip("the embedded model's weights are not installed (make setup installs them)")
    reference = forecast_module.REFERENCE_READ_SPEED
    typical = forecast_module.TYPICAL_SECONDS_PER_TOKEN["local"]
    monkeypatch.setattr(forecast_module, "machine_read_speed", lambda: (reference / 2, copy))
    slower = typical_speed("local/smollm2-135m")
    assert slower.per_token == pytest.approx(2 * typical)
    assert "scaled to this machine's prompt reading" in slower.source
    shipped = "SmolLM2-135M-Instruct.Q4_1.gguf"
    monkeypatch.setattr(forecast_module, "machine_read_speed", lambda: (80.0, shipped))
    assert typical_speed("local/smollm2-135m").per_token == typical
    monkeypatch.setattr(forecast_module, "machine_read_speed", lambda: None)
    assert typical_speed("local/smollm2-135m").per_token == typical
    monkeypatch.setattr(forecast_module, "machine_read_speed", lambda: (reference / 2, copy))
    hosted = forecast_module.TYPICAL_SECONDS_PER_TOKEN["hosted"]
    assert typical_speed("openai/gpt-4o-mini").per_token == hosted


def test_a_run_watched_in_the_dashboard_is_forecast_slower_until_one_is_measured(
    db_path: Path, tickets_spec, monkeypatch
) -> None:
    """The Run page's redraws take CPU the embedded model's two threads then wait for: on a
    machine with no spare core, the first forecast of a run started in the dashboard counts it
    (the CLI's does not); a store's measured speed already holds its own watching."""
    from engine.runs.estimate import _forecast as forecast_module

    assert watched_slowdown(cores=8) == 1.0  # the page and the browser use a spare core
    slower = watched_slowdown(cores=2)
    assert slower == pytest.approx(
        1 + forecast_module.SLOWDOWN_PER_BUSY_CORE * forecast_module.WATCHED_PAGE_CORES
    )
    assert 1.03 < slower < 1.15  # 0.07 of a core beside two threads: ~5% (3 s redraws: 1.10)
    spec = _small(tickets_spec)
    cli = preflight(spec, db_path=db_path)["forecast"]
    watched = preflight(spec, db_path=db_path, watched=True)["forecast"]
    factor = watched_slowdown()
    assert watched["calls"] == cli["calls"]
    assert watched["seconds"] == pytest.approx(cli["seconds"] * factor, abs=0.2)
    if factor > 1.0:  # this machine has 2 cores or fewer
        words = f"watching the run in the dashboard adds about {100 * (factor - 1):.0f}%"
        assert words in watched["speed"]
    # a hosted model's calls run elsewhere: watching does not slow them
    plan = preflight(spec, db_path=db_path)
    hosted = [forecast(plan, "openai/gpt-4o-mini", True, db_path, watched=w) for w in (False, True)]
    assert hosted[0]["seconds"] == hosted[1]["seconds"]
    # a store's measured speed of the embedded model is used as it is
    measured = forecast_module.Speed(0.001, "measured on 2 earlier run(s) of this model here")
    monkeypatch.setattr(forecast_module, "measured_speed", lambda model, db: measured)
    local = [forecast(plan, "local/smollm2-135m", True, db_path, watched=w) for w in (False, True)]
    assert local[0]["seconds"] == local[1]["seconds"]
    assert local[1]["speed"] == measured.source and local[1]["speed_measured"]


def test_range_words_read_like_a_person_would_say_them() -> None:
    assert range_words(180, 300) == "3-5 min"
    assert range_words(40, 70) == "40-70 s"
    assert range_words(50, 150) == "50 s-2 min"
    assert range_words(200, 205) == ""  # both read "~3 min"


def test_earlier_runs_of_the_store_set_the_speed_and_the_share(db_path: Path, tickets_spec):
    for seed in (0, 1):
        run_id = create_run(_small(tickets_spec, seed), db_path)
        assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    speed = measured_speed(SCRIPTED, db_path)  # the runs' calls went to the scripted model
    assert speed is not None and speed.source.startswith("measured on 2 earlier run(s)")
    assert measured_speed("local/smollm2-135m", db_path) is None
    found = spent_share(RANDOM_SEARCH, db_path)
    share, source = found.point, found.source
    assert source == "as in this store's last 2 such runs"
    # what the two runs spent: their search's task calls over their estimates
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT estimate, usage, sizes FROM runs").fetchall()
    spent = sorted(
        (json.loads(u)["by_role"]["task"]["calls"] - 2 * json.loads(z)["test"])
        / json.loads(e)["calls"]["task"]
        for e, u, z in rows
    )
    assert share == pytest.approx(min(1.0, sum(spent) / 2))
    # the range spans both runs, and at least a fifth of the point either side; two runs say
    # little of the next one, so it also holds the typical range until a third run
    assert found.low == pytest.approx(min(spent[0], share * 0.8, 0.5))
    assert found.high == 1.0
    plan = preflight(_small(tickets_spec, 2), db_path=db_path)
    # the same project's runs come first: one of them is enough
    assert plan["forecast"]["share_source"] == "as in this project's last 2 such run(s)"
    assert spent_share(RANDOM_SEARCH, db_path, "another project") == found
    again = forecast(plan, SCRIPTED, upper_bound=True, db_path=db_path)
    assert again["speed"] == speed.source and again["calls"] == round(
        again["calls_at_most"] * share
    )
    # a third run: the store's own runs alone set the range
    third = create_run(_small(tickets_spec, 3), db_path)
    assert run_worker(third, db_path, lm_factory=oracle_lm) == "finished"
    own = spent_share(RANDOM_SEARCH, db_path)
    assert own.source == "as in this store's last 3 such runs" and own.high < 0.5


def test_a_search_ended_close_to_the_maximum_is_timed_per_work_it_did(db_path, tickets_spec):
    """The oracle's prompt as given scores every validation row: the search ends before its
    first candidate, having done a small share of its target, and its minutes are read per
    call of that share (else the next forecast would think the model that much faster)."""
    run_id = create_run(_small(tickets_spec, target=True), db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT estimate, sizes, started_at, finished_at FROM runs").fetchone()
    estimate, sizes = json.loads(row[0]), json.loads(row[1])
    assert 0 < estimate["done_share"] < 0.25
    calls = round(estimate["total_calls"] * estimate["done_share"]) + 2 * sizes["test"]
    tokens = calls * estimate["tokens"] / estimate["total_calls"]
    speed = measured_speed(SCRIPTED, db_path)
    assert speed is not None and speed.per_token == pytest.approx((row[3] - row[2]) / tokens)
    # on the embedded model its teachers' demos read again count too, as much as it did
    estimate["read_again"] = 4000
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE runs SET estimate = ?", (json.dumps(estimate),))
    tokens += estimate["done_share"] * 4000
    speed = measured_speed(SCRIPTED, db_path)
    assert speed is not None and speed.per_token == pytest.approx((row[3] - row[2]) / tokens)


def test_a_search_that_spent_its_target_records_about_all_of_it(db_path, tickets_spec):
    spec = _small(tickets_spec, target=True)
    spec.optimizer.params["close_enough"] = None
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=noisy_oracle_lm) == "finished"
    with sqlite3.connect(db_path) as conn:
        estimate = json.loads(conn.execute("SELECT estimate FROM runs").fetchone()[0])
    assert 0.8 <= estimate["done_share"] <= 1.0  # within half a candidate of its target


def test_a_run_a_budget_stopped_sets_the_speed_but_not_the_share(db_path, tickets_spec):
    spec = _small(tickets_spec)
    spec.optimizer.budget.max_calls = 14
    run_id = create_run(spec, db_path)
    assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "stopped: budget"
    assert measured_speed(SCRIPTED, db_path) is not None
    assert spent_share(RANDOM_SEARCH, db_path).source == "as measured on our benchmarks"


def test_the_fitting_budget_holds_every_call_and_three_times_the_time(db_path, tickets_spec):
    plan = preflight(_small(tickets_spec), db_path=db_path)
    fit = fitting_budget(plan)
    assert fit["max_calls"] >= plan["forecast"]["calls_at_most"] and fit["max_calls"] % 50 == 0
    assert fit["max_minutes"] >= max(10.0, 3 * plan["forecast"]["seconds"] / 60)
    plan["budget"] = fit
    assert budget_warnings(plan) == []
    plan["budget"] = {"max_calls": 10, "max_minutes": 0.01}
    warnings = budget_warnings(plan)
    assert len(warnings) == 2 and "limit of 10" in warnings[0] and "finish early" in warnings[1]


def test_the_cli_estimate_says_the_likely_spend_and_the_budget(project: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "engine", "estimate", str(project / "support_tickets.yaml")],
        capture_output=True,
        text=True,
        cwd=project,
        env=subprocess_env(TUNESMITH_HOME=str(project)),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "likely: ~" in out.stdout and "to score the held-out rows" in out.stdout


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        (
            "stopped: budget exhausted before a task call to local/smollm2-135m: "
            "max_seconds=900.0 reached (922.0163 seconds used)",
            "finished early: the time limit (15 min) was reached; the best prompt found so far "
            "is kept",
        ),
        (
            "max_calls=500 reached (500 LM calls used)",
            "finished early: the LM-call limit (500 calls) was reached; the best prompt found so "
            "far is kept",
        ),
        ("proposer.max_calls=20 reached", "LM-call limit of the proposer model (20 calls)"),
        ("max_cost=1.5 reached (1.6 USD used)", "the cost limit ($1.5) was reached"),
        (None, "finished early: a budget limit was reached"),
    ],
)
def test_a_budget_stop_reads_as_finished_early(reason, words) -> None:
    assert words in ended_words("stopped: budget", reason)
    assert ended_words("failed", "boom") == "boom"


def test_a_kept_store_replays_each_runs_forecast_from_the_runs_before_it(db_path, tickets_spec):
    """`bench.studies.forecast_replay`: a change to the forecast alone is checked on a kept
    store, each run forecast from a copy of the store as it was before that run."""
    from bench.studies.forecast_replay import replay

    fresh = preflight(_small(tickets_spec, 0), db_path=db_path.parent / "empty.db")
    for seed in (0, 1):
        run_id = create_run(_small(tickets_spec, seed), db_path)
        assert run_worker(run_id, db_path, lm_factory=oracle_lm) == "finished"
    killed = create_run(_small(tickets_spec, 2), db_path)  # never ran: no minutes to compare
    runs = replay(db_path.parent)
    assert [run["seed"] for run in runs] == [0, 1]
    assert runs[0]["forecast_seconds"] == fresh["forecast"]["seconds"]
    # the share racing spends is read from the runs before: none, then the first one only
    assert runs[0]["share_source"] == "as measured on our benchmarks"
    assert runs[1]["share_source"] == "as in this project's last 1 such run(s)"
    assert all(run["seconds"] > 0 for run in runs)
    with sqlite3.connect(db_path) as conn:  # the kept store is as it was
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3
        assert conn.execute("SELECT finished_at FROM runs WHERE id = ?", (killed,)).fetchone() == (
            None,
        )
