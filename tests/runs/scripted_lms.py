"""Test-only LM factories for the worker hook `TUNESMITH_TEST_LM=scripted_lms:<factory>`.

`oracle_lm(spec)` answers a single-step classification spec: with at least one demo in the
prompt it returns the true label (looked up from the spec's CSVs), zero-shot it always answers
the first choice. So tuning (demos) visibly beats the baseline. `slow_oracle_lm` is the same
with latency, the disk cache on, and every uncached call appended to $TUNESMITH_TEST_CALL_LOG
after it was recorded (to check that no recorded call is lost across a kill -9).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
import zlib
from typing import Any

from engine.lm.scripted import ScriptedLM, input_fields, render_fields
from engine.runs.data import resolve_path


def _truth(spec: Any) -> dict[str, str]:
    inputs, label = spec.input_fields[0], spec.label_fields[0]
    column_of = {field: col for col, field in spec.data.columns.items()}
    table: dict[str, str] = {}
    for path in filter(None, [spec.data.csv, spec.data.test_csv]):
        with open(resolve_path(spec, path), newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                table[row[column_of.get(inputs, inputs)].strip()] = row[
                    column_of.get(label, label)
                ].strip()
    return table


def _answerer(spec: Any):
    truth = _truth(spec)
    step = spec.pipeline[-1]
    label_field = step.outputs[0]
    first = label_field.choices[0] if label_field.choices else "unknown"
    input_name = spec.input_fields[0]

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        has_demos = any(m.get("role") == "assistant" for m in messages)
        text = input_fields(messages[-1]["content"]).get(input_name, "").strip()
        value = truth.get(text, first) if has_demos else first
        out = {label_field.name: value}
        if step.module == "ChainOfThought":
            out = {"reasoning": "scripted", **out}
        return out

    return answer


def oracle_lm(spec: Any) -> ScriptedLM:
    return ScriptedLM(by_input=_answerer(spec), name="oracle")


def noisy_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle, but with demos wrong on about a third of the rows, which rows depending on
    the number of demos: no candidate scores the maximum, and racing saves more on some
    candidates than on others, as on a real model."""
    right = _answerer(spec)
    label = spec.pipeline[-1].outputs[0].name

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        out = right(messages)
        demos = sum(1 for m in messages if m.get("role") == "assistant")
        text = messages[-1]["content"]
        if demos and zlib.crc32(f"{demos}:{text}".encode()) % 3 == 0:
            out[label] = "wrong"
        return out

    return ScriptedLM(by_input=answer, name="noisy-oracle")


def spread_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle, but with demos wrong on about a third of the rows, which rows depending on
    the demos themselves: candidates score apart, as draws of a spread, and none perfectly."""
    right = _answerer(spec)
    label = spec.pipeline[-1].outputs[0].name

    def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
        out = right(messages)
        demos = "|".join(m.get("content") or "" for m in messages if m.get("role") == "assistant")
        if demos and zlib.crc32(f"{demos}:{messages[-1]['content']}".encode()) % 3 == 0:
            out[label] = "wrong"
        return out

    return ScriptedLM(by_input=answer, name="spread-oracle")


class LoggingScriptedLM(ScriptedLM):
    """Appends one line per uncached call to a file, after the call was recorded: its time and
    the id of the process that made it."""

    def _remember(self, record: Any, messages: Any, outputs: Any, params: Any) -> None:
        super()._remember(record, messages, outputs, params)
        path = os.environ.get("TUNESMITH_TEST_CALL_LOG")
        if path and not record.cache_hit:
            with open(path, "a") as fh:
                fh.write(f"{record.timestamp} {os.getpid()}\n")
                fh.flush()


def logging_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle, logging its calls ($TUNESMITH_TEST_CALL_LOG), no cache."""
    return LoggingScriptedLM(by_input=_answerer(spec), name="logging-oracle")


def slow_oracle_lm(spec: Any) -> ScriptedLM:
    latency = float(os.environ.get("TUNESMITH_TEST_LATENCY", "0.05"))
    return LoggingScriptedLM(
        by_input=_answerer(spec), name="slow-oracle", latency=latency, cache=True
    )


def stalling_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle, logging its calls ($TUNESMITH_TEST_CALL_LOG); inside a Ray actor, the first
    call after $TUNESMITH_TEST_STALL_FILE is gone logs itself as a call the model received,
    writes the actor's pid there and then hangs (for a test to kill the actor mid-row); no
    other call hangs. One call only: two actors' first calls at the same moment would both
    find the file missing, so the call that hangs is the one that creates its claim file."""
    answer = _answerer(spec)

    def stalling(messages: list[dict[str, Any]]) -> dict[str, str]:
        marker = os.environ.get("TUNESMITH_TEST_STALL_FILE")
        if marker and _in_ray_actor() and _first_to_claim(marker + ".claim"):
            log = os.environ.get("TUNESMITH_TEST_CALL_LOG")
            if log:
                with open(log, "a") as fh:
                    fh.write("stalled\n")
            with open(marker + ".tmp", "w") as fh:
                fh.write(str(os.getpid()))
            os.replace(marker + ".tmp", marker)
            time.sleep(300)  # killed long before
        return answer(messages)

    return LoggingScriptedLM(by_input=stalling, name="stalling-oracle")


def _first_to_claim(path: str) -> bool:
    """True for the one caller (of any process) that creates `path`."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _in_ray_actor() -> bool:
    import ray

    return ray.is_initialized() and ray.get_runtime_context().get_actor_id() is not None


def keyed_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle with an API key passed in memory (the store must never see it)."""
    return ScriptedLM(
        by_input=_answerer(spec), name="keyed", api_key=os.environ["FAKE_KEY_FOR_TEST"]
    )


def _instruction_answerer(spec: Any, proposals: list[str], turn: dict[str, int] | None = None):
    """Task calls: the oracle's answer when the instruction says "carefully" (or with demos),
    else the first choice. Proposer calls: the scripted proposals, in turn; GEPA's reflection
    calls: an instruction that says "carefully"."""
    from engine.optimizers.gepa._reflection import SYSTEM as REFLECTION_SYSTEM
    from engine.optimizers.proposing._proposer import SYSTEM

    truth = _truth(spec)
    step = spec.pipeline[-1]
    label = step.outputs[0]
    first = label.choices[0] if label.choices else "unknown"
    input_name = spec.input_fields[0]
    turn = turn if turn is not None else {"next": 0}

    def answer(messages: list[dict[str, Any]]) -> Any:
        if messages[0]["content"] == REFLECTION_SYSTEM:  # GEPA: a function of the prompt
            return REFLECTED if "Feedback:" in messages[-1]["content"] else "Route it."
        if messages[0]["content"] == SYSTEM:
            user = messages[-1]["content"]
            if user.startswith("Here are") or "Combine these notes" in user:
                return "Customer support tickets, each labelled with the team to handle it."
            text = proposals[turn["next"] % len(proposals)]
            turn["next"] += 1
            return text
        helped = "carefully" in messages[0]["content"] or any(
            m.get("role") == "assistant" for m in messages
        )
        text = input_fields(messages[-1]["content"]).get(input_name, "").strip()
        out = {label.name: truth.get(text, first) if helped else first}
        if step.module == "ChainOfThought":
            out = {"reasoning": "scripted", **out}
        return out

    return answer


REFLECTED = "Read the ticket carefully: the feedback shows which team each kind of ticket needs."
INSTRUCTIONS = [
    "Read the ticket carefully and name the team that should handle it.",
    "Route the ticket.",
    "Decide which team handles this customer message.",
    "Name the team for this ticket.",
    "Pick billing, technical or shipping for the message.",
    "Say which department should answer the customer.",
]


def instruction_oracle_lm(spec: Any) -> ScriptedLM:
    """Right only with an instruction that says "carefully" (or with demos)."""
    return ScriptedLM(by_input=_instruction_answerer(spec, INSTRUCTIONS), name="instructions")


class TurnKeepingLM(LoggingScriptedLM):
    """A LoggingScriptedLM whose proposals-in-turn counter outlives a kill -9: it is saved
    beside $TUNESMITH_TEST_CALL_LOG after each recorded call and read back at start. A real LM
    answers a prompt the same way whichever process asks; a plain counter would not (the resumed
    worker gets the killed one's recorded proposals from the cache without counting them)."""

    def __init__(self, turn: dict[str, int], turn_file: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # a function, not the dict: a deep copy of this LM must still read the one counter
        self._turn_now, self._turn_file = (lambda: turn["next"]), turn_file

    def _remember(self, record: Any, messages: Any, outputs: Any, params: Any) -> None:
        super()._remember(record, messages, outputs, params)
        if self._turn_file:
            with open(self._turn_file, "w") as fh:
                fh.write(str(self._turn_now()))


def slow_instruction_oracle_lm(spec: Any) -> ScriptedLM:
    """The same, slow, on the disk cache, logging each uncached call (kill -9 tests)."""
    latency = float(os.environ.get("TUNESMITH_TEST_LATENCY", "0.05"))
    log = os.environ.get("TUNESMITH_TEST_CALL_LOG")
    turn_file = f"{log}.turn" if log else None
    start = int(open(turn_file).read() or 0) if turn_file and os.path.exists(turn_file) else 0
    turn = {"next": start}
    return TurnKeepingLM(
        turn, turn_file, by_input=_instruction_answerer(spec, INSTRUCTIONS, turn),
        name="slow-instructions", latency=latency, cache=True,
    )  # fmt: skip


def crashing_lm(spec: Any) -> ScriptedLM:
    """The oracle, except that its 3rd call on a data row reads address 0, a real SIGSEGV in the
    calling thread: what a native crash in the model runtime looks like from outside (no
    exception, no traceback). (`os.kill` would not do: the kernel may hand a process-directed
    signal to another thread, and this one would finish its row before the process dies.)"""
    import ctypes

    answer, truth, name = _answerer(spec), _truth(spec), spec.input_fields[0]
    calls = {"n": 0}

    def crash_on_third(messages: list[dict[str, Any]]) -> dict[str, str]:
        # count only calls on the data's rows (not e.g. content-free calibration inputs), so
        # the crash always lands while rows are being evaluated
        if input_fields(messages[-1]["content"]).get(name, "").strip() in truth:
            calls["n"] += 1
            if calls["n"] == 3:
                ctypes.string_at(0)
        return answer(messages)

    return ScriptedLM(by_input=crash_on_third, name="crashing")


class _ScoredOracle(ScriptedLM):
    """The oracle's answers, with choice scores reported as the embedded model does (the
    chosen label at probability 0.8); a ticket holding "FAIL" makes the call fail."""

    def __init__(self, spec: Any) -> None:
        super().__init__(by_input=_answerer(spec), name="scored-oracle")
        self.label = spec.pipeline[-1].outputs[0]

    @property
    def supports_stop(self) -> bool:
        return True

    def _complete(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        from engine.core._errors import LMError

        if "FAIL" in messages[-1]["content"]:
            raise LMError("the provider refused this row")
        texts, usage = super()._complete(messages, params)
        header = f"[[ ## {self.label.name} ## ]]"
        picked = texts[0].split(header, 1)[-1].split("[[")[0].strip()
        rest = [c for c in self.label.choices if c != picked]
        scores = {picked: math.log(0.8), **{c: math.log(0.2 / len(rest)) for c in rest}}
        return texts, {**usage, "choice_scores": [{header: scores}]}


def scored_oracle_lm(spec: Any) -> ScriptedLM:
    return _ScoredOracle(spec)


def hanging_lm(spec: Any) -> ScriptedLM:
    """Answers "ok", logging each call as the model receives it ($TUNESMITH_TEST_CALL_LOG);
    inside a Ray actor, the first prompt holding "hang" writes the actor's pid to
    $TUNESMITH_TEST_STALL_FILE and hangs (for a test to kill the actor mid-call)."""

    def answer(messages: list[dict[str, Any]]) -> str:
        log = os.environ.get("TUNESMITH_TEST_CALL_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write("received\n")
        marker = os.environ.get("TUNESMITH_TEST_STALL_FILE")
        text = str(messages[-1].get("content", ""))
        if "hang" in text and marker and _in_ray_actor() and _first_to_claim(marker + ".claim"):
            with open(marker + ".tmp", "w") as fh:
                fh.write(str(os.getpid()))
            os.replace(marker + ".tmp", marker)
            time.sleep(300)  # killed long before
        return "ok"

    return ScriptedLM(by_input=answer, name="hanging")


def two_calls_row(item: int) -> int:
    """A row's work that asks the current LM twice; row 0's second prompt says "hang"."""
    from engine.core._settings import settings

    settings.lm(f"first question of row {item}")
    settings.lm(f"{'hang' if item == 0 else 'second'} question of row {item}")
    return item


def fallback_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle whose replies always need the adapter's parse fallback: its first reply
    leaves the label out; asked again in JSON (the fallback), it gives it. Calls are logged
    ($TUNESMITH_TEST_CALL_LOG), no cache."""
    answer = _answerer(spec)

    def replies(messages: list[dict[str, Any]]) -> str:
        if "could not be read" in str(messages[-1].get("content", "")):
            return json.dumps(answer(messages[:-2]))  # the request before the unread reply
        return "I would rather not say."

    return LoggingScriptedLM(by_input=replies, name="fallback-oracle")


def cached_oracle_lm(spec: Any) -> ScriptedLM:
    """The oracle on the disk cache (the run's `lm_cache/`), no latency."""
    return ScriptedLM(by_input=_answerer(spec), name="cached-oracle", cache=True)


class _TunedWorse(ScriptedLM):
    """The true label on the base model, zero-shot too; a label that is never right on a model
    a trainer tuned (its name holds "-ft-": tests/runs/fake_trainers.py)."""

    def __init__(self, spec: Any) -> None:
        truth, label = _truth(spec), spec.pipeline[-1].outputs[0].name
        source = spec.input_fields[0]

        def answer(messages: list[dict[str, Any]]) -> dict[str, str]:
            text = input_fields(messages[-1]["content"]).get(source, "").strip()
            return {label: truth.get(text, "unknown")}

        super().__init__(by_input=answer, name="tuned-worse")
        self.label = label

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        if "-ft-" in self.model:
            self._cursor.take()
            return render_fields({self.label: "never-right"})
        return super()._answer(messages)


def tuned_worse_lm(spec: Any) -> ScriptedLM:
    return _TunedWorse(spec)
