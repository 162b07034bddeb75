"""The result headline (issue 40 item 2): the Run, Compare and Export pages lead with the
held-out result, coloured by its verdict (green gain, amber unclear, red loss, blue without test
rows); the Export page offers the stakeholder summary as a download."""

from __future__ import annotations

import pytest
from apphelpers import go, open_sample, set_sizes, shown

# (comparison on the held-out rows, test scores) -> the alert kind and its title
CASES = {
    "gain": ({"diff": 0.5, "ci_low": 0.17, "ci_high": 0.83, "n": 6}, (0.33, 0.83),
             "success", "Better on new rows."),
    "unclear": ({"diff": 0.17, "ci_low": -0.17, "ci_high": 0.5, "n": 6}, (0.33, 0.5),
                "warning", "No clear difference on new rows."),
    "loss": ({"diff": -0.33, "ci_low": -0.67, "ci_high": -0.17, "n": 6}, (0.67, 0.33),
             "error", "Worse on new rows."),
}  # fmt: skip
WORDS = {"gain": "clear gain", "unclear": "no clear difference", "loss": "clear loss"}
KINDS = ("success", "warning", "error", "info")


def _run_id(at) -> str:
    value = at.query_params["run"]
    return value[0] if isinstance(value, list) else value


@pytest.fixture
def finished(app):
    """A finished BootstrapFewShot run (6/6/6 rows, scripted LM), shown on the Run page."""
    at = set_sizes(open_sample(app), 6, 6, 6)
    go(at, "optimize")
    at.radio(key=f"goal_{at.session_state['rev']}").set_value("BootstrapFewShot").run()
    at.button(key="start_run").click().run()
    assert not at.exception, at.exception
    return at


def _set_result(run_id: str, case: str) -> None:
    from dashboard.home import db_path
    from engine.runs.store._store import RunStore

    with RunStore(db_path()) as store:
        if case == "no test":  # a run made without test rows
            sizes = {**store.get_run(run_id)["sizes"], "test": 0}
            store.update_run(run_id, test_baseline=None, test_best=None, comparison=None,
                             sizes=sizes)  # fmt: skip
            return
        comp, (start, best), _, _ = CASES[case]
        store.update_run(
            run_id, test_baseline=start, test_best=best, comparison={**comp, "p_value": 0.07}
        )


def _lead(at, kind: str) -> str:
    """The headline: the one alert inside its container, of the expected kind."""
    found = [(k, e.value) for k in KINDS for e in getattr(at, k) if "on new rows." in e.value]
    assert len(found) == 1 and found[0][0] == kind, found
    return found[0][1]


@pytest.mark.parametrize("case", ["gain", "unclear", "loss", "no test"])
def test_every_page_leads_with_the_held_out_result(finished, case: str) -> None:
    run_id = _run_id(finished)
    _set_result(run_id, case)
    for page in ("run", "compare", "export"):
        at = go(finished, page)
        if case == "no test":
            text = _lead(at, "info")
            assert text.startswith("**Not checked on new rows.** No held-out test:"), page
            assert "On the validation rows, which the optimizer used to choose" in text
            continue
        comp, (start, best), kind, title = CASES[case]
        text = _lead(at, kind)
        assert text.startswith(f"**{title}** Held-out test (6 rows the optimizer never saw): "
                               f"{100 * start:.0f}% → {100 * best:.0f}%, {WORDS[case]}: "), page
        assert "95% range" in text and "significant" not in text and "p =" not in text
        assert ("More test rows would tell." in text) == (case == "unclear")
    run_page = go(finished, "run")
    card = next(m for m in run_page.metric if m.label == "Validation score")
    assert card.delta and card.proto.color == 2  # grey ("off"): the headline is the verdict


def test_compare_a_b_uses_the_same_words(finished) -> None:
    at = go(finished, "compare")
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "B against A on 6 rows scored for both: **" in captions
    said = next(kind for kind, words in WORDS.items() if f"**{words}**" in captions)
    assert "not clear" not in captions and "significant" not in captions
    card = next(m for m in at.metric if m.label.startswith("Score B"))
    assert card.proto.color == (2 if said == "unclear" else 1)  # grey unless clear (green)


def test_export_offers_the_stakeholder_summary(finished) -> None:
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    from dashboard.home import db_path
    from engine.runs import summary_html

    at = go(finished, "export")
    assert "**Summary for stakeholders (HTML)**" in " ".join(shown(m.value) for m in at.markdown)
    button = next(b for b in at.get("download_button") if b.proto.id.endswith("dl_summary"))
    page = summary_html(_run_id(at), db_path())
    slug = "support_ticket_routing_summary.html"
    assert button.proto.url.endswith(
        _calculate_file_id(page.encode("utf-8"), "text/html", slug) + ".html"
    )
    assert "Better on new rows." in page and "<script" not in page


def test_the_headline_names_calibration_when_it_is_the_change(finished) -> None:
    """A kept program that is the start plus choice offsets: the headline says so (issue 40: a
    green "+10 pts" came only from calibration, with no rewrite kept)."""
    import copy

    from dashboard.home import db_path
    from engine.runs.store._store import RunStore

    run_id = _run_id(finished)
    with RunStore(db_path()) as store:
        start = next(c for c in store.candidates(run_id) if c["origin"].startswith("baseline"))
        program = copy.deepcopy(start["state"])
        program["classify"]["choice_offsets"] = {"category": {"shipping": 0.5}}
        store.update_run(run_id, program=program)
    _set_result(run_id, "loss")
    for page in ("run", "compare", "export"):
        text = _lead(go(finished, page), "error")
        assert "The change is choice calibration only: the same instruction and examples" in text
