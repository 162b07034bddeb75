"""The optimizers the shape matrix can run in both frameworks, with the same settings in each.

- `random_search`: BootstrapFewShotWithRandomSearch (the matrix's default).
- `bootstrap`: BootstrapFewShot (demos bootstrapped from the trainset, no valset: DSPy's
  compile takes none).
- `labeled`: LabeledFewShot(k=--max-labeled) (demos sampled from the trainset; each framework
  samples with its own seeded RNG). DSPy's compile makes no LM call; Tunesmith's makes one for
  a closed last output (content-free calibration, engine.optimizers.calibration._content_free).
- `knn`: KNNFewShot(k=--knn-k, trainset, vectorizer=hashed_bow.hashed_bow) with BootstrapFewShot's
  demo settings: at each held-out row, demos bootstrapped from its nearest training rows (DSPy
  bootstraps again at every call; Tunesmith keeps a neighbour set's demos). With
  `--knn-bootstrap-once`, Tunesmith's runs `bootstrap_once=True` (each training row through the
  teacher at most once; not in DSPy, whose legs are unchanged).
- `mipro`: MIPROv2(auto="light"), the task model also its prompt model.
- `gepa`: GEPA(max_metric_calls=...), the task model also its reflection model; the case's
  metric is passed as a feedback metric (a score, no text) to both.
- `simba`: SIMBA(bsize, num_candidates, max_steps, max_demos), the task model also its prompt
  model; no valset (DSPy's SIMBA.compile takes none, so neither gets one).
- `copro`: COPRO(breadth, depth, init_temperature), the task model also its prompt model;
  candidates scored on the trainset in both (DSPy's COPRO.compile takes no valset).
- `ensemble`: Ensemble(reduce_fn=majority) over `--members` copies of the student, each showing
  its own `--max-labeled` training rows (the same rows in both: bench/shapes/ensemble.py);
  Tunesmith's
  compile calls each member once for a closed last output (content-free calibration).

DSPy's MIPROv2 runs with bench/mipro/adapter.LenientProposerParse and DSPy's COPRO with
copro_adapter.LenientCoproParse (its extension to COPRO's two text outputs) before the adapter
of DSPy's configuration (bench/core/peer.py; ChatAdapter by default): without them
SmolLM2's proposer replies end DSPy's compile with AdapterParseError.

The prompt / reflection model is a second LM object on the same in-process model with a longer
reply limit (`--proposer-max-tokens`), counted with the task LM in each framework's counters.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bench.core.data import MODEL
from bench.core.hashed_bow import hashed_bow
from bench.core.runners import MAX_ERRORS
from bench.mipro.adapter import LenientProposerParse
from bench.mipro.runners import RoleLM, RoleTally
from bench.shapes.copro_adapter import LenientCoproParse
from bench.shapes.ensemble import DemoSetEnsemble

OPTIMIZERS = (
    "random_search", "bootstrap", "labeled", "knn", "mipro", "gepa", "simba", "copro", "ensemble",
)  # fmt: skip
# the lenient proposer parse DSPy's run adds before its configuration's adapter, per optimizer
LENIENT: dict[str, tuple[type, ...]] = {
    "mipro": (LenientProposerParse,),
    "copro": (LenientCoproParse,),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The budgets of SIMBA and COPRO (MIPROv2 / GEPA / random search use the main options)."""
    p.add_argument("--bsize", type=int, default=8, help="SIMBA's batch size (<= train size)")
    p.add_argument("--num-candidates", type=int, default=4, help="SIMBA's num_candidates")
    p.add_argument("--max-steps", type=int, default=4, help="SIMBA's max_steps")
    p.add_argument("--max-demos", type=int, default=3, help="SIMBA's max_demos")
    p.add_argument("--breadth", type=int, default=4, help="COPRO's breadth")
    p.add_argument("--depth", type=int, default=2, help="COPRO's depth")
    p.add_argument("--init-temperature", type=float, default=1.0, help="COPRO's")
    p.add_argument("--knn-k", type=int, default=3, help="KNNFewShot's k (neighbours per input)")
    p.add_argument("--members", type=int, default=3, help="Ensemble's member programs")
    p.add_argument(
        "--knn-bootstrap-once",
        action="store_true",
        help="Tunesmith's KNNFewShot with bootstrap_once=True (DSPy has no such option)",
    )


def section_optimizer(args: argparse.Namespace) -> str:
    """The optimizer's name in the saved run, which picks its results section: `knn_once` for
    KNNFewShot with `--knn-bootstrap-once` (a section of its own beside DSPy's algorithm)."""
    if args.knn_bootstrap_once and args.optimizer != "knn":
        raise SystemExit("--knn-bootstrap-once goes with --optimizer knn")
    return "knn_once" if args.knn_bootstrap_once else args.optimizer


def quick(args: argparse.Namespace) -> None:
    """--quick budgets: SIMBA's batch fits the 6 training rows."""
    args.bsize, args.num_candidates, args.max_steps, args.max_demos = 4, 3, 2, 2
    args.breadth, args.depth = 3, 1


def feedback_metric(metric: Callable[..., Any]) -> Callable[..., Any]:
    """The case's metric with GEPA's arguments (DSPy calls it with all five)."""

    def scored(gold: Any, pred: Any, trace: Any = None, pred_name: Any = None,
               pred_trace: Any = None) -> float:  # fmt: skip
        return float(metric(gold, pred, trace))

    return scored


def second_lm(module: Any, args: argparse.Namespace, tally: RoleTally | None = None) -> Any:
    """The prompt / reflection LM: same model, cache off, longer replies. In DSPy a RoleLM
    with role "proposer" (bench/mipro/runners.py): the lenient adapter reads the role, and `tally`
    counts the calls of the copies DSPy makes of it (`prompt_model.copy(...)`)."""
    settings = dict(
        temperature=args.proposer_temperature, max_tokens=args.proposer_max_tokens, cache=False
    )
    if module.__name__ != "dspy":
        return module.LM(MODEL, **settings)
    return RoleLM(MODEL, engine="litellm", role="proposer", tally=tally or RoleTally(), **settings)


def build(
    module: Any, metric: Callable[..., Any], args: argparse.Namespace, helper: Any, train: list
) -> Any:
    """The optimizer `args.optimizer` in `module` (engine or dspy); `helper` is its second LM,
    `train` the trainset (KNNFewShot takes it in its constructor)."""
    if args.optimizer == "mipro":
        return module.MIPROv2(
            metric=metric, prompt_model=helper, auto="light",
            max_bootstrapped_demos=args.max_bootstrapped, max_labeled_demos=args.max_labeled,
            num_threads=args.threads, max_errors=MAX_ERRORS, seed=0,
        )  # fmt: skip
    if args.optimizer == "gepa":
        return module.GEPA(
            metric=feedback_metric(metric), reflection_lm=helper,
            max_metric_calls=args.max_metric_calls, reflection_minibatch_size=3,
            num_threads=args.threads, seed=0,
        )  # fmt: skip
    if args.optimizer == "simba":
        return module.SIMBA(
            metric=metric, bsize=args.bsize, num_candidates=args.num_candidates,
            max_steps=args.max_steps, max_demos=args.max_demos, prompt_model=helper,
            num_threads=args.threads, **not_dspy(module, max_errors=MAX_ERRORS),
        )  # fmt: skip
    if args.optimizer == "copro":
        return module.COPRO(
            prompt_model=helper, metric=metric, breadth=args.breadth, depth=args.depth,
            init_temperature=args.init_temperature,
        )  # fmt: skip
    if args.optimizer == "labeled":
        return module.LabeledFewShot(k=args.max_labeled)
    if args.optimizer == "ensemble":
        return DemoSetEnsemble(module, args.members, args.max_labeled)
    if args.optimizer == "knn":
        vectorizer = (
            hashed_bow if module.__name__ != "dspy" else module.Embedder(hashed_bow, caching=False)
        )
        return module.KNNFewShot(
            k=args.knn_k, trainset=train, vectorizer=vectorizer, metric=metric,
            max_bootstrapped_demos=args.max_bootstrapped, max_labeled_demos=args.max_labeled,
            **not_dspy(module, bootstrap_once=args.knn_bootstrap_once),
        )  # fmt: skip
    if args.optimizer == "bootstrap":
        return module.BootstrapFewShot(
            metric=metric, max_bootstrapped_demos=args.max_bootstrapped,
            max_labeled_demos=args.max_labeled,
        )  # fmt: skip
    return module.BootstrapFewShotWithRandomSearch(
        metric=metric, max_bootstrapped_demos=args.max_bootstrapped,
        max_labeled_demos=args.max_labeled, num_candidate_programs=args.candidates,
        num_threads=args.threads, max_errors=MAX_ERRORS,
    )  # fmt: skip


def not_dspy(module: Any, **kwargs: Any) -> dict[str, Any]:
    """`kwargs` for Tunesmith only (DSPy's SIMBA never stops on failed examples)."""
    return {} if module.__name__ == "dspy" else kwargs


def compile_kwargs(
    module: Any, args: argparse.Namespace, train: list[Any], val: list[Any]
) -> dict[str, Any]:
    """`compile`'s keyword arguments besides the student, the same in both frameworks."""
    if args.optimizer == "simba":
        return {"trainset": train, "seed": 0}
    if args.optimizer in ("bootstrap", "labeled", "ensemble"):
        return {"trainset": train}
    if args.optimizer == "knn":
        return {}  # the trainset went to the constructor (DSPy's compile takes none)
    if args.optimizer == "copro":
        # DSPy passes eval_kwargs to Evaluate.__call__ too, which takes no max_errors: its
        # Evaluate falls back to dspy.settings.max_errors (MAX_ERRORS, set by the DSPy runner)
        eval_kwargs: dict[str, Any] = {"num_threads": args.threads}
        if module.__name__ == "dspy":
            eval_kwargs["display_progress"] = False
        else:
            eval_kwargs["max_errors"] = MAX_ERRORS
        return {"trainset": train, "eval_kwargs": eval_kwargs}
    extra = {"requires_permission_to_run": False} if args.optimizer == "mipro" else {}
    return {"trainset": train, "valset": val, **extra}


LENIENT_TEXT = (
    "DSPy's prompt model's replies are parsed with the bench's lenient proposer rule "
    "(bench/mipro/adapter.py: an unparsable one-text-field proposer reply is taken whole)"
)


def describe(args: argparse.Namespace) -> str:
    """The optimizer settings, for the report's settings line."""
    if args.optimizer == "mipro":
        return (
            f'MIPROv2(auto="light", max_bootstrapped_demos={args.max_bootstrapped}, '
            f"max_labeled_demos={args.max_labeled}), the task model as prompt model "
            f"(max_tokens {args.proposer_max_tokens}); {LENIENT_TEXT}"
        )
    if args.optimizer == "simba":
        return (
            f"SIMBA(bsize={args.bsize}, num_candidates={args.num_candidates}, "
            f"max_steps={args.max_steps}, max_demos={args.max_demos}), no valset, the task model "
            f"as prompt model (max_tokens {args.proposer_max_tokens}, temperature "
            f"{args.proposer_temperature})"
        )
    if args.optimizer == "copro":
        return (
            f"COPRO(breadth={args.breadth}, depth={args.depth}, init_temperature="
            f"{args.init_temperature}), candidates scored on the trainset, the task model as "
            f"prompt model (max_tokens {args.proposer_max_tokens}); {LENIENT_TEXT}, extended to "
            f"COPRO's two text outputs (bench/shapes/copro_adapter.py: marked fields kept, the "
            f"instruction taken whole when unmarked, a missing prefix left empty)"
        )
    if args.optimizer == "gepa":
        return (
            f"GEPA(max_metric_calls={args.max_metric_calls}, reflection_minibatch_size=3), the "
            f"task model as reflection model (max_tokens {args.proposer_max_tokens}, "
            f"temperature {args.proposer_temperature})"
        )
    if args.optimizer == "labeled":
        return (
            f"LabeledFewShot(k={args.max_labeled}), no valset; no LM call in DSPy's compile, one "
            f"in Tunesmith's for a closed last output (its content-free calibration)"
        )
    if args.optimizer == "ensemble":
        return (
            f"Ensemble(reduce_fn=majority) of {args.members} copies of the student, each showing "
            f"its own {args.max_labeled} training rows (drawn by the bench, the same in both), "
            f"voting on the answer as lowercased text; no LM call in DSPy's compile, one per "
            f"member in Tunesmith's for a closed last output (its content-free calibration)"
        )
    if args.optimizer == "knn":
        return (
            f"KNNFewShot(k={args.knn_k}, vectorizer: hashed bag of words "
            "(bench/core/hashed_bow.py), "
            f"max_bootstrapped_demos={args.max_bootstrapped}, max_labeled_demos="
            f"{args.max_labeled}), no valset; DSPy bootstraps at every held-out call, Tunesmith "
            + (
                "with bootstrap_once=True (each training row through the teacher at most once)"
                if args.knn_bootstrap_once
                else "once per neighbour set"
            )
        )
    if args.optimizer == "bootstrap":
        return (
            f"BootstrapFewShot(max_bootstrapped_demos={args.max_bootstrapped}, "
            f"max_labeled_demos={args.max_labeled}), no valset"
        )
    return (
        f"BootstrapFewShotWithRandomSearch(num_candidate_programs={args.candidates}, "
        f"max_bootstrapped_demos={args.max_bootstrapped}, max_labeled_demos={args.max_labeled})"
    )
