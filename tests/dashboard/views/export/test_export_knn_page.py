"""Export page of a KNNFewShot run (scripted LM): it says what the downloads hold and how the
per-input demos are re-created, and every download is available."""

from __future__ import annotations

from apphelpers import SAMPLE, go, texts
from fake_lms import oracle


def test_export_page_of_a_knn_run(app):
    from dashboard.home import db_path
    from engine.runs import create_run, load_spec
    from engine.runs.process.worker import run_worker
    from engine.runs.spec._spec import spec_from_dict

    spec = load_spec(SAMPLE / "support_tickets.yaml").to_dict()
    spec["data"].update(train_size=6, val_size=4, test_size=4)
    spec["optimizer"] = {"name": "knn", "params": {"k": 2, "max_labeled_demos": 2}}
    run_id = create_run(spec_from_dict(spec, base_dir=SAMPLE), db_path())
    assert run_worker(run_id, db_path(), lm_factory=oracle) == "finished"
    app.query_params["run"] = run_id
    at = go(app, "export")
    page = texts(at)
    assert "Demos chosen per input (KNNFewShot, k=2)" in page and "6 training rows" in page
    assert "Chosen instruction** · step program.classify" in page
    assert "step `knn`" not in page and not at.error
    assert len(at.get("download_button")) == 6  # the summary, then the five program files
