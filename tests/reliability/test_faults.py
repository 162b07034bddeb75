"""Faults injected through a litellm custom provider (fault_lm.py): each kind is mapped,
retried or failed fast as it should be, Retry-After is honoured, a run at a 20% fault rate
completes with every fault counted in the store and on the Run page, and a run whose calls all
fail stops early instead of spending its budget."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE.parent / "runs") not in sys.path:  # scripted_lms: the oracle answerer
    sys.path.insert(0, str(HERE.parent / "runs"))

from fault_lm import ENGINE_KIND, ERROR_FAULTS, REPLY_FAULTS, TRANSIENT, FaultLM  # noqa: E402
from fault_lm import LONG_REPLY_CHARS as FAULT_LONG_CHARS  # noqa: E402
from reliability_log import observe  # noqa: E402

from engine.core._errors import LMConfigError, LMError  # noqa: E402
from engine.lm.calls import retry  # noqa: E402
from engine.lm.calls.reply_faults import LONG_REPLY_CHARS  # noqa: E402

pytest.importorskip("litellm")
SAMPLE = HERE.parents[1] / "sample_data"
RETRIED = [k for k in ERROR_FAULTS if k not in ("auth", "not_found", "context_window")]


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake clock for retries: every wait is recorded, none is slept."""
    waited: list[float] = []
    monkeypatch.setattr(retry, "sleep", waited.append)
    return waited


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))


def _answer(messages: list[dict]) -> dict:
    return {"answer": "forty-two"}


@pytest.mark.parametrize("kind", RETRIED)
def test_transient_errors_are_retried_with_backoff_then_reported(kind, delays) -> None:
    lm = FaultLM(_answer, rate=1.0, kinds=[kind], name=f"t-{kind}", num_retries=3)
    with observe("fault", fault=kind, check="retried then reported") as seen:
        with pytest.raises(LMError) as info:
            lm("hi")
        seen.note(injected=lm.injector.injected[kind])
        rec = lm.ledger.records[-1]
        assert lm.injector.calls == 4 and rec.retried == {ENGINE_KIND[kind]: 3}
        assert rec.fault == ENGINE_KIND[kind] and "fault/t-" in str(info.value)
        assert "after 4 attempts" in str(info.value)
        if kind == "rate_limit_retry_after":
            assert delays == [0.01, 0.01, 0.01]  # the provider's Retry-After, not the backoff
        else:  # exponential, jittered: attempt n waits in [base * 2^n / 2, base * 2^n]
            for n, wait in enumerate(delays):
                ceiling = min(retry.BACKOFF_CAP, retry.BACKOFF_BASE * 2**n)
                assert ceiling / 2 <= wait <= ceiling, (n, wait)


@pytest.mark.parametrize(
    ("kind", "error", "hint"),
    [
        ("auth", LMConfigError, "Set the FAULT_API_KEY environment variable"),
        ("not_found", LMConfigError, "check the model name"),
        ("context_window", LMError, "shorten the inputs, use fewer demos"),
    ],
)
def test_request_errors_fail_fast_naming_the_model_and_the_fix(kind, error, hint, delays) -> None:
    lm = FaultLM(_answer, rate=1.0, kinds=[kind], name=f"f-{kind}", num_retries=3)
    with observe("fault", fault=kind, check="failed fast") as seen:
        with pytest.raises(error) as info:
            lm("hi")
        seen.note(injected=lm.injector.injected[kind])
        assert lm.injector.calls == 1 and delays == []  # one attempt, no wait
        message = str(info.value)
        assert f"'fault/f-{kind}'" in message and hint in message
        last = lm.ledger.records[-1]
        assert last.fault == ENGINE_KIND[kind] and not last.retried


@pytest.mark.parametrize("kind", REPLY_FAULTS)
def test_bad_replies_come_back_counted_and_empty_ones_are_not_cached(
    kind, tmp_path, delays
) -> None:
    lm = FaultLM(_answer, rate=1.0, kinds=[kind], name=f"r-{kind}", cache=True, num_retries=2)
    with observe("fault", fault=kind, check="reply counted") as seen:
        texts = lm("hi")
        seen.note(injected=lm.injector.injected[kind])
        rec = lm.ledger.records[-1]
        assert rec.error is None and rec.fault == ENGINE_KIND[kind]
        if kind == "long":  # cut where it enters (engine.lm.calls.reply_faults.reply_limit)
            assert len(texts[0]) == LONG_REPLY_CHARS < FAULT_LONG_CHARS
        # an empty reply is asked again (2 retries, counted by kind); the others are not retried
        asked = 3 if kind == "empty" else 1
        assert lm.injector.calls == asked
        assert rec.retried == ({"empty_reply": 2} if kind == "empty" else {})
        lm("hi")  # asked again: an empty reply is not cached, the others come from the cache
        seen.note(injected=lm.injector.injected[kind])
        assert lm.injector.calls == (2 * asked if kind == "empty" else 1)


def test_an_empty_reply_is_retried_and_the_answer_kept(tmp_path, delays) -> None:
    lm = FaultLM(_answer, kinds=["empty"], fail_first=2, name="empty-then-ok", cache=True)
    with observe("fault", fault="empty", check="retried then answered") as seen:
        texts = lm("hi")
        seen.note(injected=lm.injector.injected["empty"])
        rec = lm.ledger.records[-1]
        assert texts[0].strip() and rec.fault is None and rec.retried == {"empty_reply": 2}
        assert lm.injector.calls == 3 and len(delays) == 2
        lm("hi")  # the good answer was cached
        assert lm.injector.calls == 3


def test_retry_after_is_honoured_in_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[float] = []

    def sleep(seconds: float) -> None:  # really sleeps, and records what it was asked
        asked.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(retry, "sleep", sleep)
    lm = FaultLM(_answer, kinds=["rate_limit_retry_after"], fail_first=1, retry_after=0.2,
                 name="ra", num_retries=3)  # fmt: skip
    with observe("fault", fault="rate_limit_retry_after", check="Retry-After 0.2 s") as seen:
        assert lm("hi")
        seen.note(injected=lm.injector.injected["rate_limit_retry_after"])
        assert asked == [0.2]  # as the server asked; the backoff would wait 0.25-0.5 s
        assert lm.ledger.records[-1].retried == {"rate_limit": 1}


def test_backoff_grows_between_attempts(delays) -> None:
    lm = FaultLM(_answer, kinds=["service_unavailable_503"], fail_first=3, name="bo",
                 num_retries=3)  # fmt: skip
    with observe("fault", fault="service_unavailable_503", check="backoff") as seen:
        assert lm("hi")
        seen.note(injected=lm.injector.injected["service_unavailable_503"])
        assert len(delays) == 3 and delays[0] < delays[2] and delays[2] >= 1.0


# -- whole runs through the worker -------------------------------------------------------------
@pytest.fixture
def spec(tmp_path: Path):
    from engine.runs import load_spec

    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("support_tickets.csv", "support_tickets.yaml"):
        shutil.copy(SAMPLE / name, folder / name)
    spec = load_spec(folder / "support_tickets.yaml")
    spec.data.train_size, spec.data.val_size, spec.data.test_size = 12, 12, 12
    spec.optimizer.name = "BootstrapFewShotWithRandomSearch"
    spec.optimizer.params = {"num_candidate_programs": 6, "race": False, "spend_share": None}
    return spec


def _oracle(spec, **options) -> tuple[list[FaultLM], object]:
    from scripted_lms import _answerer

    made: list[FaultLM] = []

    def factory(run_spec):
        made.append(FaultLM(_answerer(run_spec), **options))
        return made[-1]

    return made, factory


def test_a_run_at_20_percent_faults_completes_with_every_fault_counted(
    spec, tmp_path, delays
) -> None:
    from engine.runs import RunStore, create_run
    from engine.runs.process.worker import run_worker

    db = tmp_path / "store" / "runs.db"
    made, factory = _oracle(spec, rate=0.2, seed=7, kinds=TRANSIENT, name="run20")
    run_id = create_run(spec, db)
    with observe("fault", fault="any of the transient kinds", check="run at 20%") as seen:
        status = run_worker(run_id, db, lm_factory=factory)
        injected = made[0].injector.injected if made else {}
        for kind, n in sorted(injected.items()):
            seen.add(fault=kind, injected=n)
        assert status == "finished"
        with RunStore(db) as store:
            summary = store.fault_summary(run_id)
            run = store.get_run(run_id)
            calls = store.lm_calls(run_id)
        expected: dict[str, int] = {}
        for kind, n in injected.items():
            if kind in ENGINE_KIND:
                expected[ENGINE_KIND[kind]] = expected.get(ENGINE_KIND[kind], 0) + n
        assert summary["by_kind"] == expected, (summary, dict(injected))
        total = sum(injected.values())
        assert total >= 0.15 * made[0].injector.calls and len(set(injected)) >= 8, dict(injected)
        assert summary["retried_calls"] > 10 and run["test_best"] is not None
        assert len(calls) == sum(1 for c in calls if c["fault"] is None or c["fault"]) > 0
        _run_page_shows_the_faults(run_id, db, tmp_path, summary)


def _run_page_shows_the_faults(run_id: str, db: Path, tmp_path: Path, summary: dict) -> None:
    import os

    from streamlit.testing.v1 import AppTest

    home = db.parent.parent
    os.environ["TUNESMITH_HOME"] = str(home)
    try:
        (home / "tunesmith_data").mkdir(exist_ok=True)
        shutil.copy(db, home / "tunesmith_data" / "runs.db")
        at = AppTest.from_file(str(HERE.parents[1] / "dashboard" / "app.py"), default_timeout=60)
        at.query_params["run"] = run_id
        at.run()
        at.switch_page("views/run.py").run()
        assert not at.exception, at.exception
        captions = "\n".join(c.value for c in at.caption)
        retried = summary["retried_calls"]
        failed = summary["failed_after_retries"]
        assert f"{retried} calls retried, {failed} failed after retries" in captions, captions
        assert "rate limited" in captions and "empty reply" in captions
    finally:
        os.environ.pop("TUNESMITH_HOME", None)


@pytest.mark.parametrize("kind", ["auth", "not_found"])
def test_a_run_with_a_bad_key_or_model_stops_at_once(spec, tmp_path, kind, delays) -> None:
    from engine.runs import RunStore, create_run
    from engine.runs.process.worker import run_worker

    db = tmp_path / "store" / "runs.db"
    made, factory = _oracle(spec, rate=1.0, kinds=[kind], name=f"bad-{kind}")
    run_id = create_run(spec, db)
    with observe("fault", fault=kind, check="run stops at once") as seen:
        status = run_worker(run_id, db, lm_factory=factory)
        seen.note(injected=made[0].injector.injected[kind] if made else 0, status=status)
        assert status == "failed"
        with RunStore(db) as store:
            run, calls = store.get_run(run_id), store.lm_calls(run_id)
        assert delays == []  # no retry wait
        assert run["reason"].startswith("stopped early") and "'fault/bad-" in run["reason"]
        assert ("API key" if kind == "auth" else "check the model name") in run["reason"]
        assert len(calls) <= 8 and run["traceback"] is None  # at most the calls in flight


def test_a_run_whose_every_call_fails_stops_early_without_burning_the_budget(
    spec, tmp_path, delays
) -> None:
    from engine.runs import RunStore, create_run
    from engine.runs.process.worker import run_worker

    db = tmp_path / "store" / "runs.db"
    made, factory = _oracle(spec, rate=1.0, kinds=["service_unavailable_503"], name="down")
    run_id = create_run(spec, db)
    with observe("fault", fault="service_unavailable_503", check="all calls fail") as seen:
        status = run_worker(run_id, db, lm_factory=factory)
        seen.note(injected=sum(made[0].injector.injected.values()) if made else 0, status=status)
        assert status == "failed"
        with RunStore(db) as store:
            run, calls = store.get_run(run_id), store.lm_calls(run_id)
            summary = store.fault_summary(run_id)
        assert "stopped early: the last 5 LM calls to 'fault/down' all failed" in run["reason"]
        assert "Fix the cause and resume" in run["reason"]
        assert 5 <= len(calls) <= 12 and spec.optimizer.budget.max_calls == 2000
        assert summary["failed_after_retries"] == len(calls) and run["test_best"] is None


def test_retry_after_forms_and_cap() -> None:
    from email.utils import formatdate

    class Limited(Exception):
        def __init__(self, headers: dict) -> None:
            self.headers = headers

    assert retry.retry_after(Limited({"retry-after": "0.2"})) == 0.2
    assert retry.retry_after(Limited({"retry-after-ms": "150"})) == 0.15
    in_3s = retry.retry_after(Limited({"retry-after": formatdate(time.time() + 3, usegmt=True)}))
    assert in_3s is not None and 1.0 <= in_3s <= 3.5
    assert retry.retry_after(Limited({})) is None
    assert retry.retry_delay(Limited({"retry-after": "3600"}), 0) == retry.RETRY_AFTER_CAP
