"""Property-based fuzzing: the signature-string parser, the chat and JSON adapters' parse() and
the CSV loader raise nothing but the project's typed errors (TunesmithError) on any input.

Bounded (derandomized, a few hundred examples per target) so the file runs in seconds.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability_log import record

import engine
from engine.core._errors import TunesmithError

EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
COUNTS: Counter[str] = Counter()  # inputs tried, by target
CRASHES: Counter[str] = Counter()  # inputs that raised something else than a TunesmithError

NAMES = st.sampled_from(["q", "answer", "score", "tags", "ok", "class", "1x", "a b", "_"])
TYPES = st.sampled_from(
    ["", ": int", ": float", ": bool", ": list[str]", ": dict[str, int]", ": Literal['a', 'b']",
     ": Optional[int]", ": list[", ": Literal[]", ": os.system", ": str | None", ": ]", ": 1"]
)  # fmt: skip
SIDE = st.lists(st.tuples(NAMES, TYPES).map("".join), max_size=4).map(", ".join)
SIGNATURE_TEXT = st.one_of(
    st.text(max_size=60),
    st.tuples(SIDE, st.sampled_from(["->", "-> ->", "=>", ""]), SIDE).map(" ".join),
)
SIGNATURE = engine.Signature(
    "question, context: list[str] -> answer: str, score: float, n: int, ok: bool, "
    "tags: list[str], label: Literal['billing', 'shipping'], extra: dict[str, int]"
)
FIELD_NAMES = list(SIGNATURE.output_fields) + ["completed", "Answer", "SCORE ", "unknown"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "-2.5e3", "nan", "inf", "true", "No", "[]", "[\"a\"]", "{}", "null",
                     "billing", " Shipping ", "{\"a\": 1}", "1e999", "[[ ## x ## ]]"]),
)  # fmt: skip
CHAT_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.tuples(st.sampled_from(FIELD_NAMES), VALUES), max_size=8).map(
        lambda parts: "\n".join(f"[[ ## {name} ## ]]\n{value}" for name, value in parts)
    ),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=10,
)  # fmt: skip
JSON_TEXT = st.one_of(
    st.text(max_size=200),
    st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=8).map(
        lambda d: "Here you go:\n```json\n" + json.dumps(d) + "\n```"
    ),
    st.builds(lambda v: json.dumps(v)[:-1], JSON_VALUES),  # truncated
)
CELL = st.one_of(st.text(max_size=12), st.sampled_from(['"', '""', "\n", "\r", ",", "\x00", "=1"]))
CSV_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=6).map(
        lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8")
    ),
    st.builds(lambda t, enc: t.encode(enc, "replace"), st.text(max_size=80),
              st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig", "utf-32"])),
)  # fmt: skip


def _typed_only(target: str, call: Any, *args: Any) -> None:
    COUNTS[target] += 1
    try:
        call(*args)
    except TunesmithError:
        pass
    except Exception:
        CRASHES[target] += 1  # counted, then raised: hypothesis shrinks it and the test fails
        raise


@FUZZ
@given(SIGNATURE_TEXT)
def test_signature_string_parser(text: str) -> None:
    from engine.core._signature_string import parse_signature_string

    _typed_only("signature string parser", parse_signature_string, text)
    _typed_only("Signature(text)", engine.Signature, text)


@FUZZ
@given(CHAT_TEXT)
@example("[[ ## n ## ]]\n1e999")  # found by this test: int('1e999') raised OverflowError
def test_chat_adapter_parse(text: str) -> None:
    from engine.adapters.chat import ChatAdapter

    _typed_only("ChatAdapter.parse", ChatAdapter().parse, SIGNATURE, text)


@FUZZ
@given(JSON_TEXT)
def test_json_adapter_parse(text: str) -> None:
    from engine.adapters.json_adapter import JSONAdapter

    _typed_only("JSONAdapter.parse", JSONAdapter().parse, SIGNATURE, text)


@FUZZ
@given(CSV_BYTES)
def test_csv_loader(raw: bytes) -> None:
    from dashboard.project.csvio import parse_csv

    _typed_only("CSV loader", parse_csv, raw, "fuzz.csv")


SPEC_TEXT = st.one_of(
    st.text(max_size=120),
    st.dictionaries(st.sampled_from(["name", "pipeline", "data", "metric", "optimizer", "x"]),
                    JSON_VALUES, max_size=5).map(json.dumps),
)  # fmt: skip


@FUZZ
@given(SPEC_TEXT)
def test_spec_loader(text: str) -> None:
    from engine.runs.spec._spec import spec_from_text

    _typed_only("spec loader", spec_from_text, text)


@pytest.fixture(autouse=True)
def _log_counts():
    """After each property test: per target, the inputs it tried and the crashes it saw."""
    COUNTS.clear()
    CRASHES.clear()
    yield
    for target, n in sorted(COUNTS.items()):
        record("fuzz", target=target, examples=n, crashes=CRASHES[target],
               held=CRASHES[target] == 0)  # fmt: skip
