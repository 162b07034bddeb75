"""Shared call slots go to the waiting request of lowest priority, first come on ties, and
never more than the cap at once."""

from __future__ import annotations

import contextvars
import threading
import time

from engine.core._call_slots import PrioritySlots, call_priority, call_slot, shared_call_slots


def _wait_for(predicate, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert predicate()


def test_a_free_slot_goes_to_the_lowest_priority_waiting() -> None:
    slots = PrioritySlots(1)
    slots.acquire(0)  # held: everyone below waits
    served: list[str] = []
    waiting = [0]

    def request(name: str, priority: float) -> None:
        waiting[0] += 1
        slots.acquire(priority)
        served.append(name)
        slots.release()

    threads = []
    for name, priority in [("late candidate", 5), ("first candidate", 1), ("second", 3),
                           ("first candidate again", 1)]:  # fmt: skip
        thread = threading.Thread(target=request, args=(name, priority))
        thread.start()
        threads.append(thread)
        _wait_for(lambda n=len(threads): waiting[0] == n and len(slots._waiting) == n)
    slots.release()
    for thread in threads:
        thread.join(5)
    assert served == ["first candidate", "first candidate again", "second", "late candidate"]


def test_call_slots_cap_requests_and_read_the_priority_of_the_context() -> None:
    active, peak, order, lock = [0], [0], [], threading.Lock()
    gate = threading.Event()

    def request(priority: int) -> None:
        with call_priority(priority), call_slot():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                order.append(priority)
            gate.wait(5)
            with lock:
                active[0] -= 1

    with shared_call_slots(2):
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(request, p))
            for p in (9, 8, 1, 2)
        ]
        for thread in threads[:2]:
            thread.start()
        _wait_for(lambda: len(order) == 2)  # 9 and 8 hold both slots
        for thread in threads[2:]:
            thread.start()
        time.sleep(0.05)
        gate.set()
        for thread in threads:
            thread.join(5)
    assert peak[0] == 2
    assert order[:2] in ([9, 8], [8, 9]) and order[2:] == [1, 2]
