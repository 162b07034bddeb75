"""Issue 37 item 8, issue 62 item 1: text from outside (a run's failure reason with the
provider's error, a status from the store, values from the project file) reaches the page as
text: escaped for Markdown (dashboard/safe.py), which also keeps it from being read as HTML
inside `unsafe_allow_html` paragraphs. The browser's view of the same is
tests/e2e/test_hostile_text.py."""

from __future__ import annotations

import re

import pytest
from apphelpers import SAMPLE, go, open_sample, shown

from dashboard import safe

PAYLOAD = "<img src=x onerror=alert(1)> ![t](http://127.0.0.1:9/p.png) www.example.com"


def _bodies(elements) -> list[str]:
    return [str(e.value) for e in elements]


def _as_text(bodies: list[str]) -> None:
    """The payload is in one of `bodies`, escaped; no body holds it (or a piece of it) raw."""
    assert any(safe.md(PAYLOAD) in b for b in bodies), bodies
    raw = re.compile(r"(?<!\\)(<img|!\[|\]\()|www\.example")  # not behind a backslash
    assert not any(raw.search(b) for b in bodies), [b for b in bodies if raw.search(b)]


def test_a_failure_reason_with_html_is_shown_as_text(app, home):
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.store._store import RunStore

    run_id = create_run(load_spec(SAMPLE / "support_tickets.yaml"), db_path())
    with RunStore(db_path()) as store:
        store.finish_run(run_id, "failed", reason=f"Provider said: {PAYLOAD}")
    app.query_params["run"] = run_id
    at = go(app, "run")
    _as_text(_bodies(at.markdown))  # the status line beside the chip
    _as_text(_bodies(at.error))  # "The run failed." with the reason
    assert "The run failed" in " ".join(_bodies(at.error))


def test_a_status_chip_and_the_sidebar_checklist_show_their_values_as_text(app):
    from dashboard.run_data import runinfo

    chip = runinfo.chip(PAYLOAD)  # a status the page does not know is shown as it is stored
    assert safe.md(PAYLOAD) in chip
    _as_text([chip])
    at = open_sample(app)
    draft = at.session_state["draft"]
    draft["metric"]["kind"] = PAYLOAD  # a hand-edited project file
    draft["name"] = PAYLOAD
    at.session_state["draft"] = draft
    at.run()
    _as_text(_bodies(at.sidebar.markdown))


@pytest.mark.parametrize(
    "text",
    [
        PAYLOAD,
        "rule one\n\n![t](http://127.0.0.1:9/pixel.png?leak=x) [verify](http://127.0.0.1:9/login)",
        "    indented code\n# heading\n- item\n1. item\n> quote\n---\n| a | b |",
        ":red[red] :material/lock: $x^2$ **bold** <b>x</b> &amp; \\*kept\\* ~~gone~~",
        "name@team.example https://example.com/x www.example.com",
    ],
)
def test_markdown_escaping_keeps_every_character_and_no_syntax(text: str) -> None:
    escaped = safe.md(text)
    assert "\n" not in escaped and "\r" not in escaped  # one line: no block can start
    assert shown(escaped) == " ".join(text.split())  # reads as the text, nothing lost
    # every punctuation mark is escaped: no unescaped one is left for Markdown to read
    bare = escaped.replace("\\\\", "")
    assert not any(c in bare.replace(f"\\{c}", "") for c in "![]()<>*_`#:@$&|~")
    for link in ("://", "www.", "@team"):  # GFM's bare links are broken by a word joiner
        assert link not in escaped.replace("\\", "")


def test_an_html_block_stays_one_line_and_escaped() -> None:
    text = "line one\n\n![t](http://127.0.0.1:9/p.png)\r\n<script>x</script> & 'q'"
    inner = safe.html(text)
    assert "\n" not in inner and "\r" not in inner and inner.count("&#10;") == 3
    assert "<" not in inner and ">" not in inner and "'" not in inner
    with pytest.raises(ValueError, match="one line"):
        safe.block(f"<p>{text}</p>")  # raw text with a blank line is refused, not rendered
