"""DSPy's parse failures as the head-to-heads count them (bench/core/peer.py: hooks in dspy
3.4.1's own code), the split of an accuracy gap into parsing and search
(bench/core/parsing.py), and DSPy's adapter configurations. DSPy's real adapters run; its LM
replies with scripted text (a raw reply where a configuration's format is not kept)."""

from __future__ import annotations

from typing import Any, Literal

import dspy
import pytest
from dspy.utils.dummies import DummyLM

from bench.core.parsing import ParseCounts, gap_split, parse_delta, row_marks, row_stats
from bench.core.peer import BEST, CONFIGS, adapter, configured, install_parse_tally, resolve


class ScriptedLM(DummyLM):
    """DummyLM whose answer {"raw": text} is sent as `text` itself (any format, or none)."""

    def _format_answer_fields(self, field_names_and_values: dict[str, Any]) -> str:
        if set(field_names_and_values) == {"raw"}:
            return str(field_names_and_values["raw"])
        return super()._format_answer_fields(field_names_and_values)


class Intent(dspy.Signature):
    """Classify the message."""

    text: str = dspy.InputField()
    category: Literal["card_arrival", "pin_blocked"] = dspy.OutputField()


def predict(config: str, replies: list[str]) -> tuple[Any, ParseCounts]:
    """One prediction in `config` on scripted replies; its result (or the error) and counts."""
    tally = install_parse_tally()
    before = tally.read()
    lm = ScriptedLM([{"raw": r} for r in replies])
    with dspy.context(lm=lm), configured(config):
        try:
            result: Any = dspy.Predict(Intent)(text="Where is my card?")
        except Exception as exc:  # noqa: BLE001 - the unparsed prediction is what is counted
            result = exc
    return result, parse_delta(tally.read(), before).get("task", ParseCounts())


def test_a_reply_in_chat_format_parses_without_a_retry() -> None:
    marked = "[[ ## category ## ]]\ncard_arrival\n\n[[ ## completed ## ]]"
    result, counts = predict("chat", [marked])
    assert result.category == "card_arrival"
    assert counts == ParseCounts(replies=1, failed_replies=0, retries=0, predictions=1)


def test_an_unparsable_reply_is_retried_as_json_and_counted() -> None:
    result, counts = predict("chat", ["Sure! Here is code:\n```python\nprint(1)```",
                                      '{"category": "pin_blocked"}'])  # fmt: skip
    assert result.category == "pin_blocked"  # the JSON retry rescued it
    assert counts == ParseCounts(replies=2, failed_replies=1, retries=1, predictions=1)


def test_a_prediction_whose_every_attempt_fails_is_counted_unparsed() -> None:
    result, counts = predict("chat", ["no format at all", "still no JSON"])
    assert isinstance(result, dspy.utils.exceptions.AdapterParseError)
    assert counts == ParseCounts(replies=2, failed_replies=2, retries=1, predictions=1,
                                 failed_predictions=1)  # fmt: skip


def test_a_label_outside_the_literal_is_a_parse_failure() -> None:
    _, counts = predict("json", ['{"category": "lost_card"}'])
    assert counts.failed_predictions == 1 and counts.retries == 0  # JSONAdapter does not retry


def test_the_lenient_configuration_reads_an_unmarked_label() -> None:
    result, counts = predict("lenient", ["card_arrival\nbecause the card has not come"])
    assert result.category == "card_arrival"
    assert counts.failed_replies == 0 and counts.retries == 0


def test_every_configuration_builds_a_dspy_adapter_and_best_is_one_of_them() -> None:
    for name in CONFIGS:
        assert isinstance(adapter(name), dspy.Adapter)
    assert resolve("best") == BEST in CONFIGS
    with pytest.raises(SystemExit, match="unknown DSPy configuration"):
        resolve("yaml")


def test_row_marks_read_both_frameworks_results() -> None:
    results = [
        (None, dspy.Prediction(category="pin_blocked"), 1.0),
        (None, dspy.Prediction(), 0.0),  # DSPy's Evaluate after a failed row
        (None, {"category": "card_arrival"}, 0.0),  # Tunesmith's row outputs
        (None, None, 0.0),  # Tunesmith's failed row
    ]
    assert row_marks(results, ["category"]) == [[1, 1.0], [0, 0.0], [1, 0.0], [0, 0.0]]


def test_the_gap_splits_exactly_into_parsing_and_search() -> None:
    ours = [[1, 1.0], [1, 1.0], [1, 0.0], [1, 1.0]]
    theirs = [[0, 0.0], [1, 1.0], [1, 1.0], [0, 0.0]]  # two rows unparsed
    split = gap_split(ours, theirs)
    assert split is not None
    assert split.gap == pytest.approx(25.0)  # 75% vs 25%
    assert split.parsing == pytest.approx(50.0)  # Tunesmith right on both unparsed rows
    assert split.search == pytest.approx(-25.0)  # on the parsed rows DSPy did better
    assert split.parsing + split.search == pytest.approx(split.gap)
    assert (split.ours_on_parsed, split.theirs_on_parsed) == (50.0, 100.0)
    stats = row_stats(theirs)
    assert stats is not None and (stats.unparsed, stats.parsed_accuracy) == (2, 100.0)
    assert gap_split(ours, theirs[:3]) is None  # not the same rows: no split
