"""What a finished run says: its outcome (the held-out verdict and what changed), its end in
words, and the one-page summary for stakeholders.
"""

from engine.runs.results._outcome import (
    Outcome,
    is_calibration,
    outcome_of,
    run_outcome,
)
from engine.runs.results._status_words import ended_words
from engine.runs.results._summary_page import summary_html

__all__ = [
    "ended_words",
    "is_calibration",
    "Outcome",
    "outcome_of",
    "run_outcome",
    "summary_html",
]
