"""A failed run's page: causes that fit its recorded error, Resume only where it can work."""

import pytest

from dashboard.run_data.failures import failure_causes


@pytest.mark.parametrize(
    ("reason", "words", "resumable"),
    [
        ("SpecError: optimizer.params: GEPA may spend 10 program runs", "A setting", False),
        ("ValueError: GEPA's budget ... give max_metric_calls of at least 30", "A setting", False),
        ("LMConfigError: Unknown model 'openai/gtp-4o'", "model name", False),
        ("LMConfigError: Missing or invalid API key for model 'openai/gpt-4o-mini'", "API key",
         True),
        ("ProviderUnreachableError: openai unreachable", "could not be reached", True),
        ("SpecError: data.csv: file not found: /x/tickets.csv", "data file", True),
        ("worker died (signal 9)", "process was stopped", True),
        ("RuntimeError: boom", "unexpected", True),
        (None, "unexpected", True),
    ],
)  # fmt: skip
def test_causes_fit_the_error(reason, words, resumable):
    found = failure_causes(reason)
    assert words in " ".join(found.causes) and found.resumable is resumable
