"""What a finished run says: its outcome (the held-out verdict and what changed), its end in
words, and the one-page summary for stakeholders.
"""
# ruff: noqa: I001 (a list of names, kept compact)

from engine.runs.results._outcome import (
    is_calibration, Outcome, outcome_of, percent, run_outcome,
)
from engine.runs.results._leaderboard import (
    leaderboard, model_answers, save_leaderboard, saved_leaderboard, Standing,
)
from engine.runs.results._retune import note_retune, retune_spec, retunes
from engine.runs.results._status_words import ended_words
from engine.runs.results._step_credit import (
    changed_steps, save_step_credit, saved_step_credit, step_credit, StepCredit,
)
from engine.runs.results._summary_page import summary_html

__all__ = [
    "changed_steps", "ended_words", "save_step_credit", "saved_step_credit", "step_credit",
    "StepCredit", "leaderboard", "model_answers", "note_retune", "retune_spec", "retunes",
    "save_leaderboard",
    "saved_leaderboard", "Standing", "is_calibration", "Outcome", "outcome_of", "percent",
    "run_outcome", "summary_html",
]  # fmt: skip
