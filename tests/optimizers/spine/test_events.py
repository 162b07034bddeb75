import json
import logging
import threading

import pytest

import engine as dspy
from engine.optimizers import EVENT_TYPES, Candidate, EventRecorder, example_id
from engine.optimizers.spine._events import logging_sink, to_jsonable


def test_events_are_numbered_kept_and_sent_to_sinks():
    seen = []
    recorder = EventRecorder([seen.append], start_seq=41)
    first = recorder.emit("phase", name="baseline", detail="")
    second = recorder.log("hello")
    assert (first.seq, second.seq) == (42, 43)
    assert recorder.events == seen == [first, second]
    assert second.data == {"level": "info", "message": "hello"}
    assert recorder.of_type("phase") == [first] and recorder.last_seq == 43


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        EventRecorder().emit("progress", done=1)
    assert set(EVENT_TYPES) >= {"run_started", "trial", "best_changed", "run_failed"}


def test_failing_sink_is_logged_not_raised(caplog):
    good = []

    def broken(event):
        raise RuntimeError("disk full")

    recorder = EventRecorder([broken, good.append])
    with caplog.at_level(logging.ERROR):
        recorder.emit("log", level="info", message="x")
    assert len(good) == 1 and "disk full" in caplog.text


def test_emit_is_thread_safe_and_ordered():
    seen = []
    recorder = EventRecorder([seen.append])

    def work():
        for _ in range(200):
            recorder.emit("log", level="info", message="m")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.seq for e in seen] == list(range(1, 801))


def test_payloads_are_json_serialisable():
    class Odd:
        def __str__(self):
            return "odd"

    recorder = EventRecorder()
    event = recorder.emit("log", level="info", message="m", extra={"a": (1, Odd()), "b": {2, 1}})
    json.dumps(event.to_dict())
    assert event.data["extra"] == {"a": [1, "odd"], "b": [1, 2]}
    assert to_jsonable(dspy.Example(q="x")) == {"q": "x"}


def test_logging_sink_writes_a_line(caplog):
    recorder = EventRecorder([logging_sink()])
    with caplog.at_level(logging.INFO, logger="engine.optimizers.spine._events"):
        recorder.emit("phase", name="bootstrapping demos", detail="d")
    assert "phase" in caplog.text and "bootstrapping demos" in caplog.text


def test_candidate_hash_is_stable_and_content_based():
    program = dspy.Predict("question -> answer")
    a = Candidate.from_program(program, origin="zero-shot")
    b = Candidate.from_program(dspy.Predict("question -> answer"), origin="other")
    assert a.hash == b.hash and len(a.hash) == 12
    program.demos = [dspy.Example(question="q", answer="a")]
    c = Candidate.from_program(program, parents=[a.hash], origin="with a demo")
    assert c.hash != a.hash and c.parents == [a.hash]
    assert Candidate.from_dict(c.to_dict()) == c
    assert c.demo_counts() == {"self": 1}


def test_candidate_of_a_module_counts_demos_per_predictor():
    class Two(dspy.Module):
        def __init__(self):
            self.first = dspy.Predict("q -> a")
            self.second = dspy.Predict("a -> b")

    program = Two()
    program.second.demos = [dspy.Example(a="1", b="2")]
    assert Candidate.from_program(program).demo_counts() == {"first": 0, "second": 1}


def test_example_id_covers_inputs_and_labels():
    ex = dspy.Example(question="2+2", answer="4").with_inputs("question")
    same = dspy.Example(answer="4", question="2+2").with_inputs("question")
    assert example_id(ex) == example_id(same)
    assert example_id(ex) != example_id(ex.copy(answer="5"))
    assert example_id(ex) != example_id(
        dspy.Example(question="2+2", answer="4").with_inputs("answer")
    )
    assert len(example_id(ex)) == 12
