"""Random search on a hosted LM builds and scores the next candidates while the current one is
recorded: the same candidates, full validation scores and choice as one at a time, never more
than num_threads requests in flight (bench/core/fake_openai_server.py on 127.0.0.1, no model).
No timed assertions."""

from __future__ import annotations

import threading
import time

from hosted_helpers import TICKETS, FakeOpenAI, Ticket, fake_lm, ticket_rows

import engine as ts
from engine.core._call_slots import call_slot, shared_call_slots
from engine.core._parallel import parallel_map
from engine.optimizers.spine._build_ahead import BuildAhead


def _search(server: FakeOpenAI, threads: int):
    ts.configure(lm=fake_lm(server), num_threads=threads)
    optimizer = ts.BootstrapFewShotWithRandomSearch(
        metric=lambda ex, pred, trace=None: pred.category == ex.category,
        max_bootstrapped_demos=3,
        max_labeled_demos=4,
        num_candidate_programs=3,
        num_threads=threads,
    )
    compiled = optimizer.compile(
        ts.Predict(Ticket), trainset=ticket_rows(TICKETS), valset=ticket_rows(TICKETS[::-1] * 2)
    )
    return compiled.result


def test_building_ahead_keeps_the_search_and_the_thread_cap() -> None:
    with FakeOpenAI(latency=0.05, max_concurrent=16) as server:
        one_at_a_time = _search(server, threads=1)
        server.reset()
        overlapped = _search(server, threads=4)
        in_flight = server.max_in_flight
    # Full validation trials and the choice are the same (a raced candidate's partial trial
    # depends on how many rows were in flight when it was stopped, with or without building).
    assert _full_trials(overlapped) == _full_trials(one_at_a_time)
    assert [t.candidate for t in overlapped.trials] == [t.candidate for t in one_at_a_time.trials]
    assert overlapped.best_candidate == one_at_a_time.best_candidate
    assert in_flight == 4  # all four slots used, never more

    # One at a time, candidate -1 bootstraps after the zero-shot and labeled-only trials; built
    # ahead, it bootstraps while the labeled-only candidate is scored (a log line: the phase
    # shown stays "evaluating candidates").
    assert _trials_before_first_bootstrap(one_at_a_time, _is_bootstrap_phase) == 2
    assert _trials_before_first_bootstrap(overlapped, _is_bootstrap_ahead) == 1
    assert not any(_is_bootstrap_phase(e) for e in overlapped.events)


def test_the_next_candidates_are_scored_ahead_and_their_trials_count_those_calls() -> None:
    with FakeOpenAI(latency=0.05, max_concurrent=16) as server:
        result = _search(server, threads=4)
        answered = sum(1 for r in server.records() if r.status == 200)
    ahead = [e.data["message"] for e in result.events if _kind(e) == "ahead"]
    phases = [e.data.get("detail", "") for e in result.events if e.type == "phase"]
    searched = [d.split(": ", 1)[1].rsplit(", on ", 1)[0] for d in phases if "candidate " in d]
    # every candidate's validation rows were scored ahead, but the zero-shot one: its trial is
    # the student's baseline, recorded before the search
    scored_ahead = [m.removeprefix("scoring ").split(" ahead on")[0] for m in ahead]
    assert scored_ahead and set(scored_ahead) == set(searched[1:])
    # each validation trial counts its own calls, those made ahead included (no cache, one call
    # per distinct row), and every request the server answered belongs to some trial or build
    for trial in result.trials:
        assert trial.usage["calls"] == len(trial.example_scores)
    assert sum(t.usage["calls"] for t in result.trials) <= answered


def _kind(event) -> str:
    message = event.data.get("message", "") if event.type == "log" else ""
    return "ahead" if "ahead on" in message else ""


def test_build_ahead_keeps_n_builds_in_flight() -> None:
    started, release = [], threading.Event()

    def build(n: int) -> int:
        started.append(n)
        release.wait(5)
        return n

    with BuildAhead(build, [1, 2, 3, 4], ahead=2) as builds:
        deadline = time.monotonic() + 5
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(started) == [1, 2]  # two builds ahead, not three
        release.set()
        assert builds.take() == 1
        assert builds.take() == 2
        assert [builds.take(), builds.take()] == [3, 4]
    assert sorted(started) == [1, 2, 3, 4]


def _full_trials(result) -> list[tuple[str, float]]:
    return [(t.candidate, t.score) for t in result.trials if t.subset == "val"]


def _is_bootstrap_phase(event) -> bool:
    return event.type == "phase" and event.data.get("name") == "bootstrapping demos"


def _is_bootstrap_ahead(event) -> bool:
    return event.type == "log" and "next candidate ahead" in event.data.get("message", "")


def _trials_before_first_bootstrap(result, is_bootstrap) -> int:
    kinds = ["boot" if is_bootstrap(e) else e.type for e in result.events]
    kinds = [k for k in kinds if k in ("boot", "trial")]
    return kinds.index("boot")


def test_shared_call_slots_cap_requests_across_pools() -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def request(_: int) -> None:
        with call_slot():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.01)
            with lock:
                active[0] -= 1

    with shared_call_slots(3), BuildAhead(lambda n: parallel_map(request, range(n), 4), [8, 8],
                                          ahead=1) as builds:  # fmt: skip
        parallel_map(request, range(8), 4)
        builds.take()
        builds.take()
    assert peak[0] == 3


def test_build_ahead_returns_builds_in_order_and_reraises() -> None:
    with BuildAhead(lambda n: n * 10, [1, 2, 3], ahead=1) as builds:
        assert [builds.take(), builds.take(), builds.take()] == [10, 20, 30]

    def fails(n: int) -> int:
        if n == 2:
            raise ValueError("bad build")
        return n

    with BuildAhead(fails, [1, 2], ahead=1) as builds:
        assert builds.take() == 1
        try:
            builds.take()
        except ValueError as exc:
            assert str(exc) == "bad build"
        else:
            raise AssertionError("the build's error was not raised")


def test_an_item_not_admitted_ahead_is_built_in_line_when_taken() -> None:
    built: list[tuple[int, str]] = []
    asked: list[int] = []
    main = threading.current_thread().name

    def build(n: int) -> int:
        built.append((n, "in line" if threading.current_thread().name == main else "ahead"))
        return n

    def admit(unfinished: int) -> bool:  # only the first item goes ahead
        asked.append(unfinished)
        return unfinished == 0 and not built

    with BuildAhead(build, [1, 2, 3], ahead=2, admit=admit) as builds:
        assert [builds.take(), builds.take(), builds.take()] == [1, 2, 3]
        try:
            builds.take()
        except StopIteration:
            pass
        else:
            raise AssertionError("a fourth item was taken")
    assert dict(built) == {1: "ahead", 2: "in line", 3: "in line"}
    assert 1 in asked  # asked with the taken item still being worked on
