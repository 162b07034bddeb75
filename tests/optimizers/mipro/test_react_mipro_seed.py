"""Seed 000's "Optimizing prompts for a ReAct agent": `dspy.ReAct("question -> answer",
tools=[search])` tuned by `dspy.MIPROv2(metric=dspy.evaluate.answer_exact_match, auto="light")`,
with BM25 over a local corpus in place of the remote ColBERT server.

The scripted LM plays every role. As the agent it searches once, then finishes. As the extract
step it reads the code from the observation, but only when its instruction says "carefully";
otherwise it answers "unknown" for every third item. As the proposer it proposes instructions,
one of them "carefully". So MIPROv2 has something to find, and the test checks it finds it
through the agent's `named_predictors()` (both of ReAct's predictors are tuned).
"""

from __future__ import annotations

import re
from typing import Any

import engine as dspy
from engine.lm import ScriptedLM
from engine.lm.scripted import input_fields
from engine.optimizers import RunContext
from engine.optimizers.proposing._proposer import SYSTEM as PROPOSER_SYSTEM
from engine.retrievers.bm25 import BM25

ITEMS = 36
CORPUS = [
    f"Item {n} of the Tidewell catalogue has the stock code TW-{n * 7 + 3}." for n in range(ITEMS)
]
PROPOSALS = [  # cycled: each predictor gets both, the agent first, then the extract step
    "Read the observations carefully and copy the stock code they give.",
    "Reply with a code.",
]


def questions(numbers: range) -> list[Any]:
    return [
        dspy.Example(
            question=f"What is the stock code of item {n}?", answer=f"TW-{n * 7 + 3}"
        ).with_inputs("question")
        for n in numbers
    ]


def scripted_agent() -> ScriptedLM:
    state = {"next": 0}

    def answer(messages: list[dict[str, Any]]) -> Any:
        system, user = messages[0]["content"], messages[-1]["content"]
        if system == PROPOSER_SYSTEM:
            if user.startswith("Here are") or "Combine these notes" in user:
                return "Questions about catalogue items; answers are stock codes."
            text = PROPOSALS[state["next"] % len(PROPOSALS)]
            state["next"] += 1
            return text
        fields = input_fields(user)
        if "next_tool_name" in system:  # the agent: search once, then finish
            if "[[ ## observation_0 ## ]]" in user:  # the trajectory's steps are marked fields
                return {"next_thought": "I have it.", "next_tool_name": "finish",
                        "next_tool_args": {}}  # fmt: skip
            return {"next_thought": "Search the catalogue.", "next_tool_name": "search",
                    "next_tool_args": {"query": fields["question"]}}  # fmt: skip
        item = int(re.search(r"item (\d+)", fields["question"]).group(1))
        seen = user.partition("[[ ## observation_0 ## ]]")[2]
        found = re.search(
            rf"Item {item} of the Tidewell catalogue has the stock code (TW-\d+)", seen
        )
        careful = "carefully" in system or item % 3
        code = found.group(1) if found and careful else "unknown"
        return {"reasoning": "The observation names the code.", "answer": code}

    return ScriptedLM(by_input=answer, name="agent")


def test_seed_000_react_agent_tuned_by_miprov2_light():
    index = BM25(CORPUS)

    def search(query: str) -> list[str]:
        """Retrieves catalogue passages."""
        return [passage.text for passage in index(query, k=3)]

    lm = scripted_agent()
    dspy.configure(lm=lm)
    react = dspy.ReAct("question -> answer", tools=[search])
    trainset, devset = questions(range(0, 24)), questions(range(24, ITEMS))
    evaluate = dspy.Evaluate(devset=devset, metric=dspy.evaluate.answer_exact_match)
    before = evaluate(react).score

    tp = dspy.MIPROv2(metric=dspy.evaluate.answer_exact_match, auto="light", num_threads=4)
    optimized_react = tp.compile(react, trainset=trainset, run=RunContext(seed=0))

    after = evaluate(optimized_react).score
    assert before < 100.0 and after == 100.0, (before, after)
    instructions = {p: m.signature.instructions for p, m in optimized_react.named_predictors()}
    assert set(instructions) == {"react", "extract.predict"}
    assert "carefully" in instructions["extract.predict"]
    assert optimized_react.result.best_score > optimized_react.result.baseline_score
