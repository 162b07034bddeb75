"""ReAct and ProgramOfThought on the embedded model (SmolLM2-135M), bounded.

Zero-shot, SmolLM2-135M copies the prompt's placeholders (`{generated_code}`, `{reasoning}`) and
ReAct's extract reply cannot be parsed, so both programs here carry a few demos, as a tuned
program would. ReAct: one question over a tiny table, one step; what must hold is that the tool
was called and an answer came back (whether it is right is printed, not asserted).
ProgramOfThought: two sums, at most 2 attempts each; what must hold is that generated code ran
in the sandbox. Each test makes at most 4 short calls (about 35-75 s on a loaded 2-core machine).
"""

from __future__ import annotations

import time

import pytest
from local_lm_helpers import REAL_LM

import engine as dspy
from engine.lm import UsageLedger
from engine.modules.agents.program_of_thought import ProgramOfThoughtError

pytestmark = [*REAL_LM, pytest.mark.timeout(240)]
TEAMS = {"ada": "billing", "grace": "shipping", "linus": "technical"}


def find_team(person: str) -> str:
    """Find which team a person works in."""
    return TEAMS.get(person.strip().lower(), f"no one called {person} in the table")


def test_react_calls_the_lookup_tool_and_answers():
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=48)
    agent = dspy.ReAct("question -> answer", tools=[find_team], max_iters=1)
    agent.react.demos = [
        dspy.Example(question=f"Which team does {p} work in?", trajectory="",
                     next_thought=f"Look up {p}.", next_tool_name="find_team",
                     next_tool_args={"person": p})
        for p in ("Ada", "Linus")
    ]  # fmt: skip
    looked_up = (
        "[[ ## thought_0 ## ]]\nLook up Ada.\n\n[[ ## tool_name_0 ## ]]\nfind_team\n\n"
        '[[ ## tool_args_0 ## ]]\n{"person": "Ada"}\n\n[[ ## observation_0 ## ]]\nbilling'
    )
    agent.extract.predict.demos = [  # zero-shot, the extract step may leave the answer empty
        dspy.Example(question="Which team does Ada work in?", trajectory=looked_up,
                     reasoning="The lookup says Ada works in billing.", answer="billing")
    ]  # fmt: skip
    ledger, start = UsageLedger(), time.perf_counter()
    with dspy.context(lm=lm, usage_trackers=(ledger,)):
        pred = agent(question="Which team does Grace work in?")
    seconds = time.perf_counter() - start
    names = [v for k, v in pred.trajectory.items() if k.startswith("tool_name_")]
    print(f"\nReAct: answer {pred.answer!r}, {ledger.totals().calls} calls, {seconds:.1f} s\n"
          f"trajectory: {pred.trajectory}")  # fmt: skip
    assert names == ["find_team"]
    assert isinstance(pred.answer, str) and pred.answer


def test_program_of_thought_runs_generated_code_in_the_sandbox():
    lm = dspy.LM("local/smollm2-135m", temperature=0.0, max_tokens=48)
    pot = dspy.ProgramOfThought("question -> answer", max_iters=2)
    pot.code_generate.predict.demos = [
        dspy.Example(question="What is 3 * 4?", reasoning="Multiply 3 by 4.",
                     generated_code="print(3 * 4)")
    ]  # fmt: skip
    pot.generate_output.predict.demos = [
        dspy.Example(question="What is 3 * 4?", final_generated_code="print(3 * 4)",
                     code_output="12", reasoning="The code printed 12.", answer="12")
    ]  # fmt: skip
    start, runs = time.perf_counter(), 0
    with dspy.context(lm=lm):
        for question in ("What is 12 * 7?", "What is 145 + 289?"):
            try:
                pred = pot(question=question)
                attempts, answer = pred.attempts, pred.answer
            except ProgramOfThoughtError as error:
                attempts, answer = error.attempts, None
            runs += sum(1 for a in attempts if not str(a["error"]).startswith("Error:"))
            print(f"\nProgramOfThought: {question!r} -> {answer!r}; attempts {attempts}")
    print(f"{runs} sandbox runs, {time.perf_counter() - start:.1f} s")
    assert runs >= 1
