"""Choice calibration: after a compile, fit per-label offsets so a choice output's scores
match how often each label is right. Registered here as a post-compile step of the spine, so
every optimizer gets it and the base class imports none of it; and as the search's scoring of
candidates (`_cross_fit`: each validation row answered with offsets fitted on the others)."""

from engine.optimizers.calibration._choices import ORIGIN as FITTED_ORIGIN
from engine.optimizers.calibration._content_free import ORIGIN as CONTENT_FREE_ORIGIN
from engine.optimizers.calibration._content_free import content_free_prior
from engine.optimizers.calibration._cross_fit import CROSS_FITTED
from engine.optimizers.calibration._step import calibrated, note_calibration
from engine.optimizers.spine import PostCompileStep, register_post_compile, register_search_scoring

# the origins of the candidates calibration registers (a report names them as calibration)
CALIBRATION_ORIGINS = (FITTED_ORIGIN, CONTENT_FREE_ORIGIN)

register_post_compile(PostCompileStep("choice calibration", calibrated, note_calibration))
register_search_scoring(CROSS_FITTED)  # the search's trials, scored as calibrated (off by
# default: an optimizer's `calibrated_search = True` turns it on)

__all__ = ["CALIBRATION_ORIGINS", "calibrated", "content_free_prior", "note_calibration"]
