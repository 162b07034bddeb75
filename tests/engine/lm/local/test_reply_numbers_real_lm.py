"""Number outputs on the embedded model: every reply is a number, greedy or sampled, alone or
after ChainOfThought's reasoning; a reply that is a number anyway is unchanged."""

import csv
from pathlib import Path

from local_lm_helpers import REAL_LM

import engine as dspy
from engine.adapters.chat import ChatAdapter
from engine.core._reply_hints import REPLY_NUMBER as PARAM
from engine.lm import load_local_model

pytestmark = REAL_LM
SAMPLES = Path(__file__).resolve().parents[4] / "sample_data"
TEAM = {"billing": 1, "shipping": 2, "technical": 3}


class Team(dspy.Signature):
    """Give the number of the team that should handle a support ticket."""

    ticket: str = dspy.InputField()
    # phrased so the output stays open: "1 for billing, ..." would close it to its codes
    # (engine.adapters.replies.described_choices.described_numbers)
    team: int = dspy.OutputField(desc="billing is team 1, shipping team 2, technical team 3")


def _tickets(limit: int) -> list[dict[str, str]]:
    with (SAMPLES / "support_tickets.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))[:limit]


def _reply(signature, inputs, demos=(), **params) -> tuple[dict, dict]:
    adapter = ChatAdapter()
    messages = adapter.format(signature, list(demos), inputs)
    kwargs = adapter.decoding_kwargs(dspy.LM("local/smollm2-135m"), signature)
    reply = load_local_model().chat(messages, {**kwargs, "max_tokens": 48, **params})
    return reply, kwargs


def test_zero_shot_int_replies_are_numbers_greedy_and_sampled():
    for row in _tickets(6):
        for params in ({"temperature": 0.0}, {"temperature": 1.0, "seed": 3}):
            reply, _ = _reply(Team, {"ticket": row["ticket"]}, **params)
            value = ChatAdapter().parse(Team, reply["texts"][0])["team"]
            assert isinstance(value, int)
            if params["temperature"] == 0.0:  # sampled digits may run on (SmolLM2: up to 21)
                assert reply["completion_tokens"] <= 4  # a digit and its line break, not prose


def test_a_number_after_sampled_reasoning_is_a_number():
    signature = dspy.ChainOfThought("question -> answer: float").predict.signature
    for seed in range(3):
        reply, _ = _reply(
            signature, {"question": "What is 2.5 plus 4?"}, temperature=1.0, seed=seed
        )
        assert isinstance(ChatAdapter().parse(signature, reply["texts"][0])["answer"], float)


def test_a_reply_that_is_a_number_anyway_is_unchanged():
    rows = _tickets(12)
    demos = [dspy.Example(ticket=r["ticket"], team=TEAM[r["category"]]) for r in rows[:6]]
    for row in rows[6:]:
        constrained, kwargs = _reply(Team, {"ticket": row["ticket"]}, demos, temperature=0.0)
        free, _ = _reply(Team, {"ticket": row["ticket"]}, demos, temperature=0.0,
                         **{PARAM: None})  # fmt: skip
        assert kwargs[PARAM] == "int"
        assert constrained["texts"][0].strip() == free["texts"][0].strip()
