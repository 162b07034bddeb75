"""The lever study's `--set`: a dotted path and a YAML value, written into a copy of the spec."""

from __future__ import annotations

import argparse

import pytest

from bench.studies.lever_ab import parse_set, with_overrides


def test_a_setting_is_a_path_and_a_yaml_value():
    assert parse_set("optimizer.params.close_enough=null") == (
        ["optimizer", "params", "close_enough"], None,
    )  # fmt: skip
    assert parse_set("optimizer.stop_when_flat=4") == (["optimizer", "stop_when_flat"], 4)
    spec = {"optimizer": {"name": "auto", "params": {}}}
    out = with_overrides(spec, [parse_set("optimizer.params.spend_share=0.5"),
                                parse_set("optimizer.stop_when_flat=4")])  # fmt: skip
    assert out == {"optimizer": {"name": "auto", "params": {"spend_share": 0.5},
                                 "stop_when_flat": 4}}  # fmt: skip


@pytest.mark.parametrize("bad", ["optimizer.stop_when_flat", "=4"])
def test_a_setting_without_a_path_or_value_is_refused(bad):
    with pytest.raises(argparse.ArgumentTypeError, match="KEY.PATH=VALUE"):
        parse_set(bad)


def test_restate_makes_the_generated_project_a_valid_two_step_program(tmp_path):
    from bench.studies.lever_ab import restated
    from engine.runs import load_spec
    from engine.runs.pipeline import build_program
    from engine.runs.spec import spec_from_dict
    from tools.sms_messages import write_project

    spec = load_spec(write_project(tmp_path, n=9, seed=0)).to_dict()
    two = spec_from_dict(restated(spec), tmp_path)
    assert [s.name for s in two.pipeline] == ["restate", "classify"]
    assert [f.name for f in two.pipeline[1].inputs] == ["gist"]
    assert [name for name, _ in build_program(two).named_predictors()] == ["restate", "classify"]


def test_the_tickets_as_extract_then_classify_is_a_valid_program(tmp_path):
    from bench.studies.lever_ab import extracted, tickets_project
    from engine.runs import load_spec
    from engine.runs.spec import spec_from_dict

    path = tickets_project(tmp_path)
    two = spec_from_dict(extracted(load_spec(path).to_dict()), tmp_path)
    assert [s.name for s in two.pipeline] == ["extract", "classify"]
    assert [f.name for f in two.pipeline[1].inputs] == ["product", "problem"]
