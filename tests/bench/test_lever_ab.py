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
