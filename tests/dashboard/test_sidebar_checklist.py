"""The sidebar's project checklist is drawn before the page runs, so a page that stops early
(an empty state) or is busy still shows it; after the page it shows what the page changed."""

from __future__ import annotations

from apphelpers import go, open_sample


def _sidebar(at) -> str:
    return " ".join(str(m.value) for m in at.sidebar.markdown) + " ".join(
        str(c.value) for c in at.sidebar.caption
    )


def test_a_page_that_stops_early_keeps_the_checklist(app):
    at = go(open_sample(app), "compare")  # no run yet: the page stops at its empty state
    assert not at.exception, at.exception
    assert "Nothing to compare yet" in " ".join(str(m.value) for m in at.markdown)
    side = _sidebar(at)
    assert "CURRENT PROJECT" in side and "Ready to optimize" in side


def test_the_checklist_follows_what_the_page_changed(app):
    at = go(open_sample(app), "project")
    assert "Support ticket routing" in _sidebar(at)
