"""Pipeline page: Retrieve (corpus upload, k), ReAct (safe tools, lookup table), ProgramOfThought
options; bad uploads change nothing; Try on a row shows passages and tool calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from apphelpers import go, k, open_sample, shown, texts


@pytest.fixture
def rag(app):
    open_sample(app, "tidewell_rag")
    return go(app, "pipeline")


def folder(at) -> Path:
    return Path(at.session_state["project_dir"])


def corpus(at) -> dict:
    return at.session_state["draft"]["pipeline"][0]["corpus"]


def test_rag_sample_opens_with_its_retrieve_step_and_corpus(rag):
    at = rag
    assert at.selectbox(key=k(at, "step_module_0")).value == "Retrieve"
    assert "tidewell_corpus.md: 43 passages" in texts(at)
    assert "dspy.Retrieve(k=3)" in texts(at) and "SEARCH_RM = dspy.retrievers.BM25" in texts(at)
    assert (folder(at) / "tidewell_corpus.md").is_file()
    assert not [w for w in at.warning if "not valid" in shown(w.value)]


def test_corpus_upload_and_k_change_the_step(rag):
    at = rag
    at.file_uploader(key="step_corpus_0").upload(
        "faq notes.txt", b"The Heron costs 69 euros.\nThe Gull costs 45 euros.\n", "text/plain"
    ).run()
    assert not at.exception, at.exception
    assert corpus(at) == {"path": "faq_notes.txt"}
    assert (folder(at) / "faq_notes.txt").is_file()
    assert "faq_notes.txt: 2 passages" in texts(at)
    at.number_input(key=k(at, "step_k_0")).set_value(2).run()
    assert "dspy.Retrieve(k=2)" in texts(at) and "'faq_notes.txt'" in texts(at)


def test_csv_corpus_asks_for_its_column(rag):
    at = rag
    raw = b"id,text\n1,The Heron costs 69 euros.\n2,The Gull costs 45 euros.\n3,Tea.\n"
    at.file_uploader(key="step_corpus_0").upload("passages.csv", raw, "text/csv").run()
    assert corpus(at) == {"path": "passages.csv", "column": "id"}
    at.selectbox(key=k(at, "step_corpus_0_column")).set_value("text").run()
    assert corpus(at)["column"] == "text" and "passages.csv: 3 passages" in texts(at)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("empty.txt", b"\n\n  \n", "holds no passages"),
        ("book.csv", b"PK\x03\x04binary", "Excel"),
        ("notes.md", b"\xff\xfe\x00bad\x00", "cannot be used"),
    ],
)
def test_bad_corpus_upload_is_explained_and_changes_nothing(rag, name, raw, message):
    at = rag
    before = dict(corpus(at))
    at.file_uploader(key="step_corpus_0").upload(name, raw, "text/plain").run()
    assert not at.exception, at.exception
    errors = " ".join(shown(e.value) for e in at.error)
    assert f"{name} cannot be used" in errors and message in errors
    assert corpus(at) == before and not (folder(at) / name).exists()


def test_try_on_a_row_shows_the_retrieved_passages(rag):
    at = rag
    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "What each step did" in page and "Searched for:" in page
    # k=3: up to three passages (a random row; two questions share words with only two)
    assert "**[1]**" in page and "**[4]**" not in page
    names = [shown(m.value) for m in at.markdown]
    assert any(n.startswith("**answer**") for n in names)
    assert not any(n.startswith("**context**") for n in names)  # passages are shown by step


def test_agent_sample_offers_tools_and_shows_the_tool_calls(app, monkeypatch):
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_agent_lms:agent")
    at = go(open_sample(app, "tidewell_agent"), "pipeline")
    assert at.selectbox(key=k(at, "step_module_0")).value == "ReAct"
    assert at.multiselect(key=k(at, "step_tools_0")).value == ["lookup", "calculator"]
    assert at.selectbox(key=k(at, "tool_key_0")).value == "product"
    assert "tools_at(PROJECT_DIR" in texts(at) and "max_iters=2" in texts(at)
    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "lookup({'value':" in page and "price_euros:" in page and "finish(" in page


def test_tool_choice_and_lookup_table_upload(app):
    at = go(open_sample(app, "tidewell_agent"), "pipeline")
    at.multiselect(key=k(at, "step_tools_0")).set_value(["calculator"]).run()
    assert at.session_state["draft"]["pipeline"][0]["tools"] == [{"name": "calculator"}]
    at.multiselect(key=k(at, "step_tools_0")).set_value(["calculator", "lookup"]).run()
    at.file_uploader(key="tool_table_0").upload("empty.csv", b"a,b\n", "text/csv").run()
    errors = " ".join(shown(e.value) for e in at.error)
    assert (
        "empty.csv cannot be used" in errors and "no data rows" in errors and "/tmp" not in errors
    )
    assert at.session_state["draft"]["pipeline"][0]["tools"][1] == {"name": "lookup"}
    assert "needs a table" in " ".join(shown(w.value) for w in at.warning)
    at.file_uploader(key="tool_table_0").upload(
        "stock.csv", b"sku,count\nA1,4\nB2,0\n", "text/csv"
    ).run()
    tool = at.session_state["draft"]["pipeline"][0]["tools"][1]
    assert tool == {"name": "lookup", "table": "stock.csv", "key": "sku"}
    assert not [w for w in at.warning if "not valid" in shown(w.value)]


def test_program_of_thought_options_come_and_go_with_the_module(app):
    at = go(open_sample(app), "pipeline")
    at.selectbox(key=k(at, "step_module_0")).set_value("ProgramOfThought").run()
    assert at.session_state["draft"]["pipeline"][0]["max_iters"] == 3
    assert "dspy.ProgramOfThought(Classify, max_iters=3)" in texts(at)
    at.selectbox(key=k(at, "step_module_0")).set_value("Predict").run()
    assert "max_iters" not in at.session_state["draft"]["pipeline"][0]
    assert "dspy.Predict(Classify)" in texts(at)


def test_a_row_whose_answer_fails_still_shows_what_the_search_found(rag, monkeypatch):
    """Seen on the embedded model: zero-shot ChainOfThought put its answer inside the reasoning,
    and the page showed only the format error, not the passages the answer was built from."""
    monkeypatch.setenv("TUNESMITH_TEST_LM", "fake_lms:rambler")  # read when the row runs
    at = rag
    at.button(key="try_row").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "did not follow the expected format" in page
    # a random row: k=3 gives up to three passages (two questions share words with only two)
    assert "What each step did" in page and "Searched for:" in page and "**[1]**" in page
