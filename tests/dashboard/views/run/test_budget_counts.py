"""The Run page's "LM calls / budget" counts what the budget counts: calls the model answered;
calls the cache answered are said apart (free, not counted)."""

from __future__ import annotations

import re

from apphelpers import finished_run, go


def _calls_card(at):
    return next(m for m in at.metric if m.label == "LM calls / budget")


def test_a_run_answered_from_the_cache_counts_no_calls_against_its_budget(app, monkeypatch):
    at = finished_run(app, monkeypatch, "fake_lms:cached_oracle", sizes=(6, 6, 6))
    first = _calls_card(at)
    used, limit = (int(v.replace(",", "")) for v in first.value.split(" / "))
    assert 0 < used <= limit
    go(at, "optimize")
    at.button(key="start_run").click().run()  # the same run again: the cache answers it all
    assert not at.exception, at.exception
    again = _calls_card(at)
    assert again.value.startswith("0 / ")
    assert re.search(r"\b[1-9][\d,]* more were answered from the cache", again.help), again.help
