"""Which setting mattered: the settings each scored candidate was made of (per step: which
instruction, which example set, or how many examples the model got right and how many were
copied from the rows, as random search varies them), how much each setting explains of the
scores (Optuna's PED-ANOVA importance over the run's own trials), the score by value, and
which varied settings made no difference. A candidate with calibrated choices is left out: the
calibration after the search is not one of its settings."""

from __future__ import annotations

import warnings
from statistics import mean
from typing import Any

import optuna
import pandas as pd
from optuna.distributions import CategoricalDistribution
from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances

from engine.runs import latest_proposals, locate, predictor_states

SCORED = ("val", "minibatch", "full")
MIN_TRIALS = 6  # fewer trials say nothing about which setting mattered
SMALL_SHARE = 0.05  # a setting explaining less than this of the differences made none to speak of


def candidate_settings(
    events: list[dict[str, Any]], cands: list[dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """{candidate: {setting: value}}. A search that proposed instructions and example sets
    (MIPROv2) names them by their proposal; otherwise a step's instruction is numbered in the
    order the run first tried it and its examples are counted: those the model got right
    (bootstrapped) apart from those copied from the rows. Calibrated candidates are left out."""
    proposals = latest_proposals(events)
    texts: dict[str, dict[str, int]] = {}
    out: dict[str, dict[str, str]] = {}
    for c in cands:
        state = c.get("state") or {}
        steps = predictor_states(state)
        if any(step.get("choice_offsets") for step in steps.values()):
            continue
        found = locate(state, proposals) if proposals else {}
        settings: dict[str, str] = {}
        for path, step in steps.items():
            where = "" if path == "self" else f"{path}: "
            instruction, demo_set = found.get(path, (None, None))
            if instruction is None:
                text = str((step.get("signature") or {}).get("instructions", ""))
                seen = texts.setdefault(path, {})
                instruction = seen.setdefault(text, len(seen))
            settings[f"{where}instruction"] = f"instruction {instruction}"
            if demo_set is not None:
                settings[f"{where}example set"] = f"example set {demo_set}"
            else:
                demos = step.get("demos") or []
                made = sum(1 for d in demos if isinstance(d, dict) and d.get("augmented"))
                settings[f"{where}examples the model got right"] = _examples(made)
                settings[f"{where}examples copied from the rows"] = _examples(len(demos) - made)
        out[c["hash"]] = settings
    return out


def _examples(count: int) -> str:
    return f"{count} example" + ("" if count == 1 else "s")


def settings_table(
    settings: dict[str, dict[str, str]], trials: list[dict[str, Any]]
) -> pd.DataFrame:
    """One row per scored trial: its settings and score; settings that never vary are left
    out (they cannot have mattered)."""
    rows = [
        {**settings[t["candidate"]], "score": float(t["score"])}
        for t in trials
        if t["subset"] in SCORED and t["score"] is not None and t["candidate"] in settings
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    varied = [c for c in frame.columns if c != "score" and frame[c].nunique(dropna=True) > 1]
    return frame[[*varied, "score"]].dropna()


def importances(frame: pd.DataFrame) -> dict[str, float]:
    """{setting: its share of what explains the scores} (summing to 1), or {} when there are
    too few trials or settings to say."""
    names = [c for c in frame.columns if c != "score"]
    if len(frame) < MIN_TRIALS or not names or frame["score"].nunique() < 2:
        return {}
    if len(names) == 1:
        return {names[0]: 1.0}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")
    spaces = {n: CategoricalDistribution(sorted(frame[n].unique())) for n in names}
    for _, row in frame.iterrows():
        params = {n: row[n] for n in names}
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=spaces, value=row["score"])
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PED-ANOVA's notes on small studies
        try:
            found = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
        except (ValueError, RuntimeError):
            return {}
    total = sum(found.values())
    return {k: v / total for k, v in found.items()} if total > 0 else {}


def score_by_value(frame: pd.DataFrame, setting: str) -> list[tuple[str, float, int]]:
    """(value, mean score, trials) for each value of `setting`, best first."""
    groups = frame.groupby(setting)["score"]
    rows = [(str(v), mean(s), len(s)) for v, s in groups]
    return sorted(rows, key=lambda r: -r[1])


def no_difference(frame: pd.DataFrame, shares: dict[str, float]) -> list[str]:
    """The settings the search varied that made no difference to speak of: every one when all
    scorings came out the same, else those explaining under SMALL_SHARE of the differences."""
    varied = [c for c in frame.columns if c != "score"]
    if len(frame) < MIN_TRIALS or not varied:
        return []
    if frame["score"].nunique() < 2:
        return varied
    return [n for n in varied if n in shares and shares[n] < SMALL_SHARE]
