"""LM call bookkeeping: ledgers across threads, budget checks, retries, history, copies."""

from __future__ import annotations

import pytest

from engine import settings as settings_module
from engine.core._errors import BudgetExhausted, LMConfigError, LMError, ProviderUnreachableError
from engine.core._parallel import lm_threads, parallel_map
from engine.lm import LM, ScriptedLM, UsageLedger
from engine.lm.calls import retry as retry_module

litellm = pytest.importorskip("litellm")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def sleeps(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(retry_module, "sleep", waited.append)
    return waited


class FlakyLM(LM):
    """Raises the given errors in order, then answers."""

    def __init__(self, errors, **kwargs):
        super().__init__("openai/flaky", **kwargs)
        self.errors = list(errors)
        self.calls = 0

    def _complete(self, messages, params):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return ["ok"], {"prompt_tokens": 3, "completion_tokens": 1, "cost": None}


def _rate_limit():
    return litellm.RateLimitError("slow down", llm_provider="openai", model="flaky")


def test_ledger_totals_equal_the_sum_of_calls_across_threads():
    lm = ScriptedLM(by_input=lambda messages: messages[-1]["content"].upper(), cache=True)
    ledger = UsageLedger()
    prompts = [f"question number {i % 10}" for i in range(40)]  # 10 distinct, 30 repeats
    with settings_module.context(usage_trackers=(ledger,)):
        results = parallel_map(lambda p: lm(p)[0], prompts, num_threads=4)
    assert [r for r, _ in results] == [p.upper() for p in prompts]
    assert all(err is None for _, err in results)
    totals = ledger.totals()
    assert totals.calls == 40 == len(lm.ledger)
    assert totals.uncached_calls + totals.cache_hits == 40
    uncached = [r for r in ledger.records if not r.cache_hit]
    assert totals.prompt_tokens == sum(r.prompt_tokens for r in uncached)
    assert totals.completion_tokens == sum(r.completion_tokens for r in uncached)
    assert lm.ledger.totals().to_dict() == totals.to_dict()


def test_role_comes_from_settings():
    lm = ScriptedLM(answers=["a", "b"])
    with settings_module.context(lm_role="judge"):
        lm("x")
    lm("y")
    assert [r.role for r in lm.ledger.records] == ["judge", "task"]


class RecordingBudget:
    def __init__(self, allow: int):
        self.allow = allow
        self.calls: list[tuple[str, str]] = []

    def before_call(self, *, role: str, model: str) -> None:
        self.calls.append((role, model))
        if len(self.calls) > self.allow:
            raise BudgetExhausted("no calls left", limit="calls")


def test_budget_is_checked_before_uncached_calls_only():
    lm = ScriptedLM(answers=["one", "two", "three"], cache=True)
    budget = RecordingBudget(allow=2)
    with settings_module.context(budget=budget):
        assert lm("a") == ["one"]
        assert lm("a") == ["one"]  # cache hit: no budget check
        assert lm("b") == ["two"]
        with pytest.raises(BudgetExhausted):
            lm("c")
    assert budget.calls == [("task", "scripted/default")] * 3
    assert lm.calls_made == 2  # the refused call never reached the provider


def test_retryable_errors_are_retried_with_backoff(sleeps):
    lm = FlakyLM([_rate_limit(), litellm.InternalServerError("boom", "openai", "flaky")])
    assert lm("hi") == ["ok"]
    assert lm.calls == 3
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0
    assert lm.ledger.records[-1].error is None


def test_non_retryable_errors_raise_immediately(sleeps):
    auth = litellm.AuthenticationError(
        "Missing key: set the OPENAI_API_KEY environment variable", "openai", "flaky"
    )
    lm = FlakyLM([auth])
    with pytest.raises(LMConfigError, match="OPENAI_API_KEY"):
        lm("hi")
    assert lm.calls == 1 and sleeps == []
    bad = FlakyLM([litellm.BadRequestError("bad field", model="flaky", llm_provider="openai")])
    with pytest.raises(LMError, match="rejected"):
        bad("hi")
    assert bad.calls == 1 and sleeps == []


def test_exhausted_retries_map_to_engine_errors_and_are_recorded(sleeps):
    down = [litellm.APIConnectionError("refused", "openai", "flaky") for _ in range(3)]
    lm = FlakyLM(down, num_retries=2, api_base="http://10.0.0.1/v1")
    with pytest.raises(ProviderUnreachableError, match=r"10\.0\.0\.1.*3 attempts"):
        lm("hi")
    assert lm.calls == 3 and len(sleeps) == 2
    record = lm.ledger.records[-1]
    assert record.error and not record.cache_hit
    assert lm.history[-1]["error"]


def test_backoff_grows_and_is_capped():
    delays = [retry_module.backoff_delay(attempt) for attempt in range(10)]
    assert all(d <= retry_module.BACKOFF_CAP for d in delays)
    assert retry_module.backoff_delay(0) <= 0.5 < retry_module.backoff_delay(3)


def test_history_is_bounded_and_never_holds_the_key():
    lm = ScriptedLM(answers=["x"], cycle=True, api_key="sk-secret-123")
    for i in range(250):
        lm(f"q{i}")
    assert len(lm.history) == 200
    assert lm.history[-1]["messages"][0]["content"] == "q249"
    assert "sk-secret" not in repr(lm.history) + repr(lm) + lm.inspect_history(3)


def test_copy_overrides_and_starts_a_fresh_ledger():
    lm = LM("openai/gpt-4o-mini", temperature=0.0, max_tokens=50, api_key="k")
    hot = lm.copy(temperature=1.0, max_tokens=None, rollout_id=3)
    assert hot.kwargs == {"temperature": 1.0} and hot.rollout_id == 3
    assert lm.kwargs == {"temperature": 0.0, "max_tokens": 50}
    assert hot.ledger is not lm.ledger and hot.api_key == "k"
    assert "k'" not in repr(hot) and "openai/gpt-4o-mini" in repr(hot)


def test_inspect_history_returns_text():
    lm = ScriptedLM(answers=["Paris"])
    lm(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q?"}])
    text = lm.inspect_history()
    assert "Be brief." in text and "Q?" in text and "Paris" in text


def test_calls_need_exactly_one_of_prompt_or_messages():
    lm = ScriptedLM(answers=["x"])
    with pytest.raises(TypeError):
        lm()
    with pytest.raises(TypeError):
        lm("a", messages=[{"role": "user", "content": "b"}])


def test_batches_for_the_embedded_model_run_on_one_thread():
    with settings_module.context(lm=ScriptedLM(answers=["a"]), num_threads=4):
        assert lm_threads() == 4
        assert lm_threads(3) == 3
    with settings_module.context(lm=LM("local/smollm2-135m"), num_threads=4):
        assert lm_threads(8) == 1  # one lock: more threads would only interleave the calls
    with settings_module.context(lm=None):
        assert lm_threads(8) == 1  # no LM configured means the embedded model
