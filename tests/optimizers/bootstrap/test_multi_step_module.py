"""A program of two steps written as a plain Module (`import engine as dspy`): triage picks an
area (a choice), route picks the team from it; the label is the team only. BootstrapFewShot
gives both steps demos from traces whose team matched; the area reaches route as the label
chosen; a retry in route counts once and does not run triage again; a row whose route fails is
a miss that keeps triage's trace, and the evaluation goes on; choice calibration says it leaves
a program of several steps alone."""

from __future__ import annotations

from typing import Any, Literal

import engine as dspy
from engine.evaluate.evaluate import run_example
from engine.lm.calls import retry
from engine.lm.scripted import ScriptedLM, input_fields
from engine.optimizers import BootstrapFewShot, Budget, RunContext

AREAS = {"money": "billing", "software": "technical", "delivery": "shipping"}
TICKETS = [
    ("Refund the payment I made twice.", "billing"),
    ("The app crashes when I open it.", "technical"),
    ("My parcel never arrived.", "shipping"),
    ("Why was my card charged again?", "billing"),
    ("I cannot log in since the update.", "technical"),
    ("Where is my order?", "shipping"),
    ("Send me last month's invoice.", "billing"),
    ("The screen stays black after start.", "technical"),
]


class Triage(dspy.Signature):
    """Name the ticket's area."""

    ticket: str = dspy.InputField()
    area: Literal["money", "software", "delivery"] = dspy.OutputField()


class Route(dspy.Signature):
    """Name the team for the ticket."""

    ticket: str = dspy.InputField()
    area: Literal["money", "software", "delivery"] = dspy.InputField()
    team: Literal["billing", "technical", "shipping"] = dspy.OutputField()


class TriageThenRoute(dspy.Module):
    def __init__(self) -> None:
        self.triage = dspy.Predict(Triage)
        self.route = dspy.ChainOfThought(Route)

    def forward(self, ticket: str) -> Any:
        area = self.triage(ticket=ticket).area
        return self.route(ticket=ticket, area=area)


def examples(rows: list[tuple[str, str]]) -> list[Any]:
    return [dspy.Example(ticket=t, team=team).with_inputs("ticket") for t, team in rows]


def right_team(example: Any, prediction: Any, trace: Any = None) -> bool:
    return example.team == prediction.team


class StepwiseLM(ScriptedLM):
    """triage: the true area with examples in its prompt, else "money"; route: the team of the
    area it is given. `seen` keeps each step's inputs; `route_reply` may replace route's reply.
    Takes decoding arguments as the embedded model does."""

    def __init__(self) -> None:
        super().__init__(by_input=self.answer, name="module-stepwise")
        self.seen: dict[str, list[dict[str, str]]] = {"area": [], "team": []}
        self.route_reply: Any = None

    @property
    def supports_stop(self) -> bool:
        return True

    def answer(self, messages: list[dict[str, Any]]) -> Any:
        step = "team" if "`team`" in messages[0]["content"] else "area"
        asked = [m for m in messages if m["role"] == "user" and m["content"].startswith("[[ ##")]
        fields = input_fields(asked[-1]["content"])  # a parse retry's turn comes after it
        self.seen[step].append(fields)
        if step == "area":
            truth = dict(TICKETS)[fields["ticket"]]
            shown = any(m.get("role") == "assistant" for m in messages)
            return {"area": {v: k for k, v in AREAS.items()}[truth] if shown else "money"}
        reply = self.route_reply(fields) if self.route_reply else None
        return reply or {"reasoning": "from the area", "team": AREAS[fields["area"]]}


def test_bootstrap_gives_both_steps_demos_from_traces_whose_team_matched() -> None:
    lm = StepwiseLM()
    with dspy.context(lm=lm):
        compiled = BootstrapFewShot(
            metric=right_team, max_bootstrapped_demos=2, max_labeled_demos=0
        ).compile(TriageThenRoute(), trainset=examples(TICKETS[:6]))
    triage, route = compiled.triage.demos, compiled.route.predict.demos
    assert len(triage) == len(route) == 2 and all(d.augmented for d in triage + route)
    assert all(d.team == dict(TICKETS)[d.ticket] for d in route)  # the final answer matched
    assert [d.ticket for d in triage] == [d.ticket for d in route]  # from the same traces
    assert all(d.area in AREAS and "team" not in d for d in triage)  # no label needed there
    # the choice reaches route as the label chosen, in its demos and when the program runs
    assert all(d.area == "money" for d in route)
    lm.seen["team"].clear()
    with dspy.context(lm=lm):
        answer = compiled(ticket="The app crashes when I open it.")
    assert answer.team == "technical" and lm.seen["team"][-1]["area"] == "software"


def test_a_retry_in_route_counts_once_and_triage_runs_once(monkeypatch) -> None:
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)

    class RateLimitError(Exception):
        """Named like litellm's: the LM retries it."""

    lm, failed = StepwiseLM(), set()

    def once(fields: dict[str, str]) -> Any:
        if fields.get("ticket") not in failed:
            failed.add(fields.get("ticket"))
            raise RateLimitError("429 slow down")
        return None

    lm.route_reply = once
    run = RunContext(budget=Budget(max_calls=100))
    with dspy.context(lm=lm):
        compiled = BootstrapFewShot(
            metric=right_team, max_bootstrapped_demos=2, max_labeled_demos=0
        ).compile(TriageThenRoute(), trainset=examples(TICKETS[:6]),
                  valset=examples(TICKETS[6:]), run=run)  # fmt: skip
    assert compiled.result.status == "finished"
    rows = len(lm.seen["area"])  # triage: once per row run, the retries did not repeat it
    assert len(lm.seen["team"]) == rows + len(failed)
    assert run.ledger.totals().calls == 2 * rows  # a call and its retry: one against the budget


def test_a_row_whose_route_fails_is_a_miss_with_triage_kept() -> None:
    lm = StepwiseLM()
    lm.route_reply = lambda f: "no idea" if TICKETS[1][0] in " ".join(f.values()) else None
    program = TriageThenRoute()
    with dspy.context(lm=lm):
        result = dspy.Evaluate(devset=examples(TICKETS[:4]), metric=right_team)(program)
        row = run_example(program, right_team, examples(TICKETS[1:2])[0])
    assert len(result.rows) == 4 and result.errors == 1  # the evaluation went on
    assert row.score == 0.0 and "team" in row.error
    assert [step["predictor"] for step in row.trace] == ["triage"]
    assert row.trace[0]["outputs"] == {"area": "money"}


def test_choice_calibration_says_it_leaves_a_program_of_two_steps() -> None:
    with dspy.context(lm=StepwiseLM()):
        compiled = BootstrapFewShot(
            metric=right_team, max_bootstrapped_demos=2, max_labeled_demos=0
        ).compile(TriageThenRoute(), trainset=examples(TICKETS[:6]),
                  valset=examples(TICKETS[6:]))  # fmt: skip
    logs = [e.data["message"] for e in compiled.result.events if e.type == "log"]
    assert any(m.startswith("choice calibration skipped") and "of triage, route are" in m
               for m in logs), logs  # fmt: skip
    assert "several steps" in compiled.result.estimate.notes
    assert not compiled.triage.choice_offsets and not compiled.route.predict.choice_offsets


def test_a_model_without_choice_scores_gets_no_calibration_line() -> None:
    """On a model that reports no choice scores calibration never applies: nothing to say."""
    quiet = StepwiseLM()
    quiet_lm = ScriptedLM(by_input=quiet.answer, name="hosted-like")  # no `supports_stop`
    with dspy.context(lm=quiet_lm):
        compiled = BootstrapFewShot(
            metric=right_team, max_bootstrapped_demos=2, max_labeled_demos=0
        ).compile(TriageThenRoute(), trainset=examples(TICKETS[:6]),
                  valset=examples(TICKETS[6:]))  # fmt: skip
    logs = [e.data["message"] for e in compiled.result.events if e.type == "log"]
    assert logs and not any("calibration" in m for m in logs)
    assert "several steps" not in (compiled.result.estimate.notes or "")
