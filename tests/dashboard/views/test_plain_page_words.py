"""Plain words first on the pages (issue 65, item 4): the forecast card leads with one sentence
and keeps how it was estimated behind an expander; the step menu, the step options, the split's
shuffle, the optimizer goals, Compare's range and the GEPA views lead with words a person who does
not program knows, the DSPy names after them in a tooltip."""

from __future__ import annotations

import re

import pytest
from apphelpers import go, k, open_sample, set_sizes, shown, texts

from dashboard.glossary import plain_text
from dashboard.run_data.gepa import LineageNode
from dashboard.run_data.runinfo import describe_event
from dashboard.widgets.run.lineage_view import lineage_figure

ENGINEERS_WORDS = (
    "unraced", "stop_at_score", "teacher", "seldom meet", "valset", "racing", "metric calls",
    "Pareto", "best-somewhere", "parse fallbacks", "tool loops", "bootstrap", "demo",
    "reflective search", "the student",
)  # fmt: skip
LEAD = re.compile(r"^About [\d,]+ model calls and (under a minute|\d+ minutes?|[\d.]+ hours)")


def _said(text: str) -> list[str]:
    return [w for w in ENGINEERS_WORDS if re.search(rf"\b{re.escape(w)}", text, re.IGNORECASE)]


@pytest.fixture
def optimize(app):
    at = set_sizes(open_sample(app), 20, 20, 20)  # auto: random search, the longest notes
    return go(at, "optimize")


# -- the forecast card -----------------------------------------------------------------------------


def test_the_forecast_card_leads_with_one_plain_sentence(optimize):
    at = optimize
    leads = [shown(m.value) for m in at.markdown if LEAD.match(shown(m.value))]
    assert len(leads) == 1, [m.value for m in at.markdown]
    assert leads[0].endswith("; your budget covers it."), leads[0]  # the fitted budget
    assert ", free;" in leads[0]  # the embedded model costs nothing
    [details] = [e for e in at.expander if e.label == "How this was estimated"]
    inside = "\n".join(shown(c.value) for c in details.caption)
    assert "How the optimizer counts:" in inside and "Time from the speed" in inside
    assert "would cost if none were stopped early" in inside
    assert "a target score" in inside
    outside = [shown(c.value) for c in at.caption if shown(c.value) not in inside]
    assert not any("How the optimizer counts" in c for c in outside)
    assert not _said(texts(at)), _said(texts(at))
    help_text = " ".join(m.proto.help for m in at.metric)
    assert not _said(help_text), help_text


def test_the_lead_sentence_says_when_the_budget_will_stop_the_run(optimize):
    at = optimize
    at.number_input(key=k(at, "bcalls")).set_value(5).run()
    lead = next(shown(m.value) for m in at.markdown if LEAD.match(shown(m.value)))
    assert lead.endswith("your budget will probably stop it early (see below).")
    assert "stop at the limit of 5 LM calls" in " ".join(shown(w.value) for w in at.warning)


def test_a_gepa_forecast_reads_in_plain_words(optimize):
    at = optimize
    at.radio(key=k(at, "goal")).set_value("GEPA").run()
    [details] = [e for e in at.expander if e.label == "How this was estimated"]
    inside = "\n".join(shown(c.value) for c in details.caption)
    assert "program runs (one row answered and scored each)" in inside
    assert "rewrites, each from 3 rows" in inside
    assert "the extra calls when a reply must be asked for again or a tool is used" in inside
    assert not _said(texts(at)), _said(texts(at))


# -- the Optimize page's goals and Auto's reason ---------------------------------------------------


def test_goals_and_the_auto_reason_lead_with_plain_words(optimize):
    at = optimize
    info = " ".join(shown(i.value) for i in at.info)
    assert "try several sets of examples the model answers right" in info
    assert "pick the best on the validation rows" in info and not _said(info)
    goal = at.radio(key=k(at, "goal"))
    mipro = next(c for o, c in zip(goal.options, goal.proto.captions, strict=False)
                 if "MIPROv2" in o)  # fmt: skip
    assert mipro.startswith("A proposer model writes new instructions; a search that learns")
    assert "(Bayesian, with Optuna)" in mipro and "Bayesian search (Optuna)" not in mipro


# -- the Pipeline and Data pages -------------------------------------------------------------------


def test_the_step_menu_and_options_lead_with_plain_words(app):
    at = go(open_sample(app), "pipeline")
    menu = at.selectbox(key=k(at, "step_module_0"))
    assert menu.options[:2] == ["Answer directly", "Think step by step first"]
    assert not any("(" in option for option in menu.options)
    assert "Answer directly = Predict" in menu.help and "ChainOfThought" in menu.help
    samples = at.checkbox(key=k(at, "step_samples_0"))
    refine = at.checkbox(key=k(at, "step_refine_0"))
    assert samples.label == "Answer several times and keep the most common answer"
    assert "In DSPy's words: Parallel + majority." in samples.help
    assert refine.label == "Try several answers and keep the best"
    assert "In DSPy's words: BestOfN / Refine." in refine.help


def test_the_split_says_shuffle_number_not_seed(app):
    at = go(open_sample(app), "data")
    box = at.number_input(key=k(at, "seed"))
    assert box.label == "Shuffle number" and "the seed" in box.help
    assert not any(n.label == "Shuffle seed" for n in at.number_input)


# -- the Run page's lines and the GEPA views -------------------------------------------------------


def test_gepa_lines_and_chart_read_in_plain_words():
    phase = {
        "type": "phase",
        "data": {"name": "reflective search",
                 "detail": "iteration 19: 131 of 540 metric calls, 5 candidates"},
    }  # fmt: skip
    assert describe_event(phase) == (
        "▶ Rewriting from feedback: round 19: 131 of 540 program runs, 5 candidates"
    )
    line = (
        "GEPA: minibatches of 3 from 30 training examples, Pareto front on 30 validation examples"
    )
    assert plain_text(line) == (
        "GEPA: samples of 3 rows from 30 training rows, keeping each candidate that is best on "
        "some of 30 validation rows"
    )
    calibrated = "choice calibration: 0.625 -> 0.675 on the valset"
    assert plain_text(calibrated) == "calibrated choices: 62.5% → 67.5% on the validation rows"
    nodes = [LineageNode(number=0, hash="h0", parents=[], score=0.5, depth=0, origin="baseline",
                         instructions={"classify": "Route it."})]  # fmt: skip
    title = lineage_figure(nodes).layout.xaxis.title.text
    assert title == "rewrites since your prompt" and "generation" not in title
