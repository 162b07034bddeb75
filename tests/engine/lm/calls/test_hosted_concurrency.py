"""The hosted-model path against bench/core/fake_openai_server.py (127.0.0.1, no model): calls run
concurrently up to num_threads, and a rate limit below it is met with a shared cap, not lost
rows. Also the LM's concurrency limiter on its own. No timed assertions."""

from __future__ import annotations

import threading

import pytest
from hosted_helpers import TICKETS, FakeOpenAI, Ticket, fake_lm, ticket_rows

import engine as ts
from engine.lm.calls.limiter import GROW_AFTER, ConcurrencyLimiter


def _evaluate(server: FakeOpenAI, threads: int, rows: int) -> tuple[ts.LM, object]:
    lm = fake_lm(server)
    ts.configure(lm=lm, num_threads=threads)
    devset = ticket_rows((TICKETS * rows)[:rows])
    evaluate = ts.Evaluate(devset=devset, metric=lambda ex, pred, trace=None: 1.0)
    return lm, evaluate(ts.Predict(Ticket))


def test_calls_run_num_threads_at_once_when_the_limit_allows() -> None:
    with FakeOpenAI(latency=0.3, max_concurrent=16) as server:
        lm, result = _evaluate(server, threads=4, rows=12)
        records = server.records()
    assert result.errors == 0 and len(result.rows) == 12
    assert all(row.outputs and row.outputs["category"] for row in result.rows)
    assert server.max_in_flight == 4  # every worker had a request out at once
    assert [r.status for r in records].count(429) == 0
    assert lm.limiter.cap is None  # never rate-limited: never capped


def test_a_rate_limit_below_num_threads_is_retried_and_every_row_answered() -> None:
    with FakeOpenAI(latency=0.3, max_concurrent=2) as server:
        lm, result = _evaluate(server, threads=6, rows=12)
        records = server.records()
    rejected = [r.status for r in records].count(429)
    assert rejected > 0  # the first burst of 6 meets the limit of 2
    assert result.errors == 0 and all(row.outputs for row in result.rows)
    assert sum(r.retries for r in lm.ledger.records) == rejected  # each 429 was retried
    assert server.max_in_flight == 2
    assert lm.limiter.cap is not None and lm.limiter.cap <= 3  # learned the limit (+1 probe)


def test_limiter_caps_at_the_requests_still_in_flight() -> None:
    limiter = ConcurrencyLimiter()
    for _ in range(4):
        limiter.acquire()
    assert limiter.cap is None
    limiter.release(rate_limited=True)  # 3 still in flight: the provider took 3
    assert limiter.cap == 3 and limiter.in_flight == 3
    limiter.release(rate_limited=True)  # another one refused: 2 in flight
    assert limiter.cap == 2 and limiter.in_flight == 2
    limiter.release(rate_limited=False)
    limiter.release(rate_limited=False)
    assert limiter.cap == 2 and limiter.in_flight == 0


def test_limiter_holds_a_request_back_until_a_slot_frees() -> None:
    limiter = ConcurrencyLimiter()
    limiter.acquire()
    limiter.acquire()
    limiter.release(rate_limited=True)  # cap 1, one in flight
    order: list[str] = []
    waiter = threading.Thread(target=lambda: (limiter.acquire(), order.append("acquired")))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and order == []  # waiting for the slot
    order.append("released")
    limiter.release(rate_limited=False)
    waiter.join(5)
    assert order == ["released", "acquired"]


def test_limiter_grows_back_after_successes() -> None:
    limiter = ConcurrencyLimiter()
    limiter.acquire()
    limiter.acquire()
    limiter.release(rate_limited=True)
    limiter.release(rate_limited=False)
    assert limiter.cap == 1
    for _ in range(GROW_AFTER * 1 - 1):  # one success was counted already
        limiter.acquire()
        limiter.release(rate_limited=False)
    assert limiter.cap == 2


@pytest.mark.parametrize("change", [{}, {"temperature": 1.0}])
def test_copies_share_the_limiter_unless_the_endpoint_changes(change: dict) -> None:
    lm = ts.LM("openai/fake-model", api_base="http://127.0.0.1:9/v1", api_key="fake")
    assert lm.copy(**change).limiter is lm.limiter
    assert lm.copy(api_base="http://127.0.0.1:8/v1").limiter is not lm.limiter


def test_bootstrap_batches_grow_with_the_teacher_failure_rate() -> None:
    from engine.optimizers.bootstrap import batch_size

    assert batch_size(3, 0, 0, 8) == 3  # nothing tried yet: exactly the demos needed
    assert batch_size(1, 2, 2, 8) == 1  # every run passed so far
    assert batch_size(1, 2, 3, 8) == 2  # 2 of 3 passed: two runs for the last demo
    assert batch_size(3, 0, 4, 8) == 8  # none passed: as many as the threads allow
    assert batch_size(3, 1, 2, 1) == 1  # one thread (the embedded model): one at a time
