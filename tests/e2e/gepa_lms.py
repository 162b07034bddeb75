"""A scripted LM that learns from GEPA's reflections (hook: TUNESMITH_TEST_LM=gepa_lms:learner),
for the GEPA leg's screenshots: the embedded 135M model rarely writes a usable reflection, so
its lineage tree is one circle.

As the task model it answers "billing" unless the instruction holds a hint whose keywords
appear in the ticket ("Tickets that mention order, package or parcel go to the shipping
team."), then it answers that hint's team. Asked to reflect, it reads the examples it got
wrong, takes the first two tickets no hint covers yet and adds a hint for each, made of the
ticket's words, with its true team (from the spec's CSV). Hints generalise by shared words, so
children do better on some validation rows and not others: a tree with branches and a real
Pareto front.
"""

from __future__ import annotations

import re
from typing import Any

from engine.lm.scripted import ScriptedLM, input_fields

HINT = re.compile(r"Tickets that mention ([^.]+?) go to the (\w+) team\.")
EXAMPLE = re.compile(r"- ticket: (.*)\n(?:.*\n)*?Score: ([\d.]+)")
KEYWORDS, LESSONS, MEMORY = 4, 2, 3  # words per hint, new hints per reflection, hints kept
CURRENT = re.compile(r"The current instruction of this step:\n(.*?)\n\n", re.DOTALL)
STOP = {
    "about", "after", "again", "every", "from", "have", "into", "never", "nobody", "only",
    "please", "still", "that", "their", "there", "this", "what", "when", "where", "which",
    "will", "with", "your", "would", "want", "like", "does", "doesn", "can't", "won't", "been",
}  # fmt: skip


def words(text: str) -> list[str]:
    found = [w.strip("'") for w in re.findall(r"[a-z][a-z'-]+", text.lower())]
    return [w for w in dict.fromkeys(found) if len(w) >= 4 and w not in STOP]


def hints(instruction: str) -> list[tuple[set[str], str]]:
    out = []
    for match in HINT.finditer(instruction):
        keys = re.split(r", | or ", match.group(1))
        out.append(({k.strip() for k in keys if k.strip()}, match.group(2)))
    return out


def route(ticket: str, instruction: str, default: str) -> str:
    mine = set(words(ticket))
    for keys, team in hints(instruction):
        if keys & mine:
            return team
    return default


def reflect(prompt: str, truth: dict[str, str], default: str) -> str:
    current = CURRENT.search(prompt)
    instruction = current.group(1).strip() if current else ""
    added = []
    for ticket, score in EXAMPLE.findall(prompt):
        ticket = ticket.strip()
        team = truth.get(ticket)
        if float(score) >= 1.0 or team is None or route(ticket, instruction, default) == team:
            continue
        keys = words(ticket)[:KEYWORDS]
        if keys:
            listed = ", ".join(keys[:-1]) + (" or " if len(keys) > 1 else "") + keys[-1]
            added.append(f"Tickets that mention {listed} go to the {team} team.")
        if len(added) == LESSONS:
            break
    if not added:
        return instruction + " Be careful."
    known = [m.group(0) for m in HINT.finditer(instruction)]
    base = HINT.sub("", instruction).strip()
    return " ".join([base, *(known + added)[-MEMORY:]])  # the oldest hints are forgotten


def learner(spec: Any) -> ScriptedLM:
    from fake_lms import _truth

    from engine.optimizers.gepa._reflection import SYSTEM as REFLECTION_SYSTEM

    truth = _truth(spec)
    out_field = spec.pipeline[-1].outputs[0]
    default = out_field.choices[0] if out_field.choices else "unknown"
    source = spec.input_fields[0]

    def answer(messages: list[dict[str, Any]]) -> dict[str, str] | str:
        if messages[0]["content"] == REFLECTION_SYSTEM:
            return reflect(messages[-1]["content"], truth, default)
        ticket = input_fields(messages[-1]["content"]).get(source, "").strip()
        return {out_field.name: route(ticket, messages[0]["content"], default)}

    return ScriptedLM(by_input=answer, name="learner")
