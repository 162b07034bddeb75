"""A run's rows evaluated on a pool of Ray actors (`TUNESMITH_RAY=auto` or a cluster address).

Each `RowActor` builds the run's task LM once and evaluates the rows `parallel_map` offloads to
it under the run's shared budget and rate limit; each row comes back with its LM-call records,
so the worker alone writes the store. An actor that dies mid-row costs only its rows in
flight: they are sent again to another actor, and a new one takes its place (docs/SCALE.md).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from engine.adapters.base import Adapter
from engine.adapters.replies.fallback_record import FamilyOutcomes
from engine.core import LMConfigError, TunesmithError, settings
from engine.lm.budget import Budget
from engine.lm.model_check import check_lms
from engine.lm.usage import UsageLedger, record_to_trackers
from engine.runs.cluster._budget import SharedBudget, share_limiter, start_keeper
from engine.runs.cluster._watch import RAY_ENV, ClusterWatch, RayClusterLost, reachable
from engine.runs.pipeline import LMFactory, task_lm
from engine.runs.spec import spec_from_dict

logger = logging.getLogger(__name__)

ACTORS_ENV = "TUNESMITH_RAY_ACTORS"  # actors in a run's pool (default: the cluster's CPUs)
ACTOR_CPUS_ENV = "TUNESMITH_RAY_ACTOR_CPUS"  # CPUs each actor reserves (default 1)
# what the actors get from the worker's environment: Tunesmith's settings (not the store's URL,
# which may hold the database's password and which actors never use) and, only when Ray's
# traffic is encrypted (RAY_USE_TLS), the providers' keys (see `sent_env`)
SENT_ENV_PREFIX = "TUNESMITH_"
SENT_ENV_SUFFIX = "_API_KEY"
NOT_SENT = ("TUNESMITH_STORE",)
TLS_ENV = "RAY_USE_TLS"  # Ray's own switch; a TLS cluster takes only drivers that set it too
ACTOR_TIMEOUT = 600.0  # seconds without any live actor before a row fails
MAX_RESENDS = 3  # times one row is sent again after Ray lost it (its actor died, ...)
LOST_WORDS = (
    "A Ray worker stopped while it was scoring rows (its process ended or its machine left the "
    "cluster). Its unfinished rows were scored again on another worker; nothing was lost."
)
FN_CACHE = 8  # work functions (one per candidate) an actor keeps unpickled


def ray_address() -> str | None:
    """The cluster to use (`$TUNESMITH_RAY`), or None for this process's threads."""
    value = os.environ.get(RAY_ENV, "").strip()
    return value or None


def cluster_tls() -> bool:
    """Whether this process talks to Ray over TLS (`RAY_USE_TLS=1`, docs/SCALE.md)."""
    return os.environ.get(TLS_ENV, "").strip().lower() in ("1", "true")


def sent_env() -> tuple[dict[str, str], list[str]]:
    """(what Ray's processes of a run get from this environment, the names of the keys held
    back). Tunesmith's settings always, never the store's URL; the providers' keys (…_API_KEY)
    only over TLS: else they would cross the network in clear, and each machine of the cluster
    uses the keys of its own environment."""
    keys = {k: v for k, v in os.environ.items() if k.endswith(SENT_ENV_SUFFIX) and v}
    env = {
        k: v for k, v in os.environ.items()
        if k.startswith(SENT_ENV_PREFIX) and k not in NOT_SENT and k not in keys
    }  # fmt: skip
    if cluster_tls():
        return {**env, **keys}, []
    return env, sorted(keys)


def key_problem(lm: Any, held_back: list[str]) -> str | None:
    """Why an actor cannot use the run's hosted task model when the keys were held back (no
    TLS) and its own machine lacks the model's key, or None."""
    hosted = not str(getattr(lm, "model", "")).startswith("local/")  # the embedded one: no key
    if not held_back or not hosted or getattr(lm, "api_base", None):
        return None
    try:
        check_lms(lm)
    except LMConfigError as exc:
        return (
            f"On a machine of the Ray cluster: {exc} Ray's traffic here is not encrypted, so API "
            f"keys are not sent to its workers ({', '.join(held_back)} stayed on this machine). "
            "Set the key in the environment of `ray start` on every machine of the cluster, or "
            f"set up Ray with TLS ({TLS_ENV}=1, docs/SCALE.md), or unset {RAY_ENV} to run on "
            "this machine."
        )
    return None


def connect(address: str) -> None:
    """Join the Ray cluster at `address` ("auto": the one this machine runs), once."""
    import ray

    if ray.is_initialized():
        return
    on_sigterm = signal.getsignal(signal.SIGTERM)
    try:
        reachable(address)  # Ray itself would wait minutes for an address nobody answers on
        ray.init(address=address, log_to_driver=False)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, on_sigterm)  # ray.init's exits at once: keep ours
    except (OSError, RuntimeError, ValueError) as exc:
        raise TunesmithError(
            f"{RAY_ENV}={address}: no Ray cluster could be reached ({exc}). Start one with "
            "`ray start --head` (docs/SCALE.md), or unset the variable to run on this machine."
        ) from exc


class RowActor:
    """One member of the pool (made a Ray actor by `RowPool`): the run's task LM, built once."""

    def __init__(
        self, spec: dict[str, Any], base_dir: str | None, lm_factory: LMFactory | None,
        budget: SharedBudget, env: dict[str, str], held_back: list[str],
    ) -> None:  # fmt: skip
        os.environ.update(env)
        self.lm = task_lm(spec_from_dict(spec, base_dir), lm_factory)
        self._problem = key_problem(self.lm, held_back)
        self.budget = budget
        share_limiter(self.lm, budget.keeper)
        self._fns: dict[str, Callable[[Any], Any]] = {}
        self._fns_lock = threading.Lock()  # rows run on the actor's threads
        self._fallbacks_told: dict[str, FamilyOutcomes] = {}  # parse fallbacks reported so far

    def pid(self) -> int:
        return os.getpid()

    def problem(self) -> str | None:
        """Why this actor cannot score rows (see `key_problem`), or None."""
        return self._problem

    def run(
        self, key: str, fn_box: list[Any], item: Any, budgeted: bool, token: str
    ) -> tuple[Any, Any, list[Any], dict[str, FamilyOutcomes]]:
        """(result, error, LM-call records, parse fallbacks new since the last row returned)
        of `fn(item)`, under the run's shared budget when the worker's caller had it on
        (`budgeted`; scoring on the test split has none). Each uncached call is charged and
        settled in the keeper's journal under `token`, so the worker gets the row's calls even
        if this actor dies. `fn_box` holds the pickled work function's object ref, boxed so
        that it is fetched only the first time this actor sees it."""
        import cloudpickle
        import ray

        with self._fns_lock:
            fn = self._fns.get(key)
        if fn is None:
            fn = cloudpickle.loads(ray.get(fn_box[0]))
            with self._fns_lock:
                if len(self._fns) >= FN_CACHE:
                    self._fns.pop(next(iter(self._fns)))
                self._fns[key] = fn
        ledger = UsageLedger()
        budget = self.budget.for_row(token, enforce=budgeted)
        ledger.subscribe(budget.settle)
        with settings.context(lm=self.lm, budget=budget, usage_trackers=(ledger,)):
            try:
                result, error = fn(item), None
            except Exception as exc:  # handed back to the worker, raised there
                result, error = None, _portable(exc)
        return result, error, list(ledger.records), self._fallback_news()

    def _fallback_news(self) -> dict[str, FamilyOutcomes]:
        """Parse-fallback outcomes of this actor not yet reported (the worker adds them to its
        own record, where a pilot counts them)."""
        news = {}
        with self._fns_lock:
            for family, now in Adapter.fallback_record.by_family().items():
                told = self._fallbacks_told.get(family, FamilyOutcomes())
                delta = FamilyOutcomes(now.failed - told.failed, now.succeeded - told.succeeded,
                                       now.skipped - told.skipped)  # fmt: skip
                if delta != FamilyOutcomes():
                    news[family] = delta
                self._fallbacks_told[family] = now
        return news


def _portable(exc: Exception) -> Exception:
    """`exc` if it can travel back to the worker, else a TunesmithError with its text."""
    import cloudpickle

    try:
        cloudpickle.loads(cloudpickle.dumps(exc))
    except Exception:  # noqa: BLE001  (any failure to travel)
        return TunesmithError(f"{type(exc).__name__}: {exc}")
    return exc


class RowPool:
    """Ray actors evaluating a run's rows; `offload` is what `parallel_map` calls."""

    def __init__(
        self, spec: dict[str, Any], base_dir: str | None, budget: SharedBudget, *,
        actors: int, actor_cpus: float = 1.0, lm_factory: LMFactory | None = None,
        on_lost: Callable[[], None] = lambda: None,
    ) -> None:  # fmt: skip
        import ray

        if actors < 1:
            raise TunesmithError(f"{ACTORS_ENV}: a pool needs at least 1 actor, not {actors}")
        env, held_back = sent_env()
        self.budget = budget
        self._new_actor = lambda: (
            ray.remote(RowActor)
            .options(num_cpus=actor_cpus, max_concurrency=64, max_restarts=0)
            .remote(spec, base_dir, lm_factory, budget, env, held_back)
        )
        self._lock = threading.Lock()
        self._successors: dict[str, Any] = {}  # a dead actor's id -> the actor in its place
        self.actors: list[Any] = [self._new_actor() for _ in range(actors)]
        self.keeper: Any = None  # the run's BudgetKeeper, stopped with the pool
        self._on_lost = on_lost  # hears of each actor that died (once per actor)
        self.watch = ClusterWatch(ray.get_runtime_context().gcs_address)
        self.replaced = 0  # actors started in place of dead ones
        problems = ray.get([actor.problem.remote() for actor in self.actors])  # LMs built
        if any(problems):
            self.close()
            raise TunesmithError(next(p for p in problems if p))

    def pids(self) -> list[int]:
        """The actors' process ids (for tests and logs)."""
        import ray

        return ray.get([actor.pid.remote() for actor in list(self.actors)])

    def offload(
        self, fn: Callable[[Any], Any], num_threads: int
    ) -> tuple[Callable[[Any], Any], int]:
        """A stand-in for `fn` that runs it on a free actor (`num_threads` rows at a time per
        actor), and the local threads that keep every actor busy."""
        import cloudpickle
        import ray

        per_actor = max(1, int(num_threads))
        key = uuid.uuid4().hex
        try:
            fn_box = [ray.put(cloudpickle.dumps(fn))]
        except ray.exceptions.RayError:  # the object store is out of reach: is the cluster?
            self._watched(self.watch.check)
            raise
        free: queue.Queue[Any] = queue.Queue()
        with self._lock:
            for _, actor in itertools.product(range(per_actor), self.actors):
                free.put(actor)

        def remote(item: Any) -> Any:
            budgeted = settings.budget is self.budget
            breaker = getattr(settings.budget, "breaker", None)
            if breaker is not None:  # the LM kept failing (seen here, from the rows' records):
                breaker.check()  # no more rows go out, as in one process
            failure: Exception | None = None
            for _ in range(MAX_RESENDS + 1):
                try:
                    actor = free.get(timeout=ACTOR_TIMEOUT)
                except queue.Empty:
                    raise TunesmithError("no Ray actor was free for a row in 10 minutes") from None
                token = uuid.uuid4().hex  # this send's calls in the keeper's journal
                try:
                    result, error, records, fallbacks = self._result(
                        actor.run.remote(key, fn_box, item, budgeted, token)
                    )
                except ray.exceptions.ActorDiedError as exc:  # the actor died: another one
                    failure = exc
                    self._watched(self.watch.check)  # unless the whole cluster is gone
                    self._take_calls(token)
                    free.put(self._replace(actor))
                    continue
                except ray.exceptions.RayError as exc:  # lost on the way, or the actor was
                    # out of reach for a while (it may be alive): the row is sent again
                    failure = exc
                    self._watched(self.watch.check)
                    logger.warning("a row sent to a Ray actor was lost (%s); sending it again",
                                   type(exc).__name__)  # fmt: skip
                    self._take_calls(token)
                    free.put(actor)
                    continue
                free.put(actor)
                self.budget.keeper.drop.remote(token)  # not waited for
                for record in records:  # the worker's ledgers: the store, the budget's tokens
                    record_to_trackers(record)
                for family, outcomes in fallbacks.items():
                    Adapter.fallback_record.add(family, outcomes)
                if error is not None:
                    raise error
                return result
            raise TunesmithError(
                f"a row was lost on Ray {MAX_RESENDS + 1} times, the last because of "
                f"{type(failure).__name__}; the row failed"
            )

        return remote, per_actor * len(self.actors)

    def _take_calls(self, token: str) -> None:
        """Bring the calls a lost row made (from the keeper's journal) into the worker's
        ledgers, so the ledger and the budget still agree."""
        import ray

        try:
            records = self._result(self.budget.keeper.take.remote(token))
        except ray.exceptions.RayError as exc:  # the keeper is gone: is the cluster?
            self._watched(self.watch.check)
            logger.warning("the calls of a lost row could not be read (%s)", type(exc).__name__)
            return
        for record in records:
            record_to_trackers(record)

    def _result(self, ref: Any) -> Any:
        """`ray.get(ref)`, or RayClusterLost once the cluster's head stopped answering."""
        return self._watched(lambda: self.watch.result(ref))

    def _watched(self, step: Callable[[], Any]) -> Any:
        """`step()`; if it finds the cluster lost, the run's breaker trips with the words
        first, so no more rows go out and the run ends as failed (no row is stored failed)."""
        try:
            return step()
        except RayClusterLost as exc:
            self.budget.breaker.trip(str(exc))
            raise

    def _replace(self, dead: Any) -> Any:
        """The actor in place of `dead`, started on the first of its rows to notice."""
        dead_id = dead._actor_id.hex()
        with self._lock:
            successor = self._successors.get(dead_id)
            if successor is None:
                successor = self._new_actor()
                self._successors[dead_id] = successor
                self.actors = [successor if a is dead else a for a in self.actors]
                self.replaced += 1
                logger.warning("a Ray actor died; its rows go to the others and a new one")
                self._on_lost()
            return successor

    def close(self) -> None:
        """Stop the actors (their LMs go with them)."""
        import ray

        with self._lock:
            for actor in self.actors if not self.watch.lost else ():  # lost: nobody to ask
                ray.kill(actor)
            self.actors = []


def pool_size() -> tuple[int, float]:
    """(actors, CPUs per actor) from the environment, else one actor per CPU of the cluster."""
    import ray

    cpus = _number(ACTOR_CPUS_ENV, "1", float)
    if cpus < 0:
        raise TunesmithError(f"{ACTOR_CPUS_ENV}={cpus}: CPUs per actor cannot be negative")
    if os.environ.get(ACTORS_ENV, "").strip():
        return int(_number(ACTORS_ENV, "1", int)), cpus
    total = ray.cluster_resources().get("CPU", 1)
    return max(1, int(total // cpus) if cpus > 0 else int(total)), cpus


def _number(name: str, default: str, kind: type) -> float:
    raw = os.environ.get(name, "").strip() or default
    try:
        return kind(raw)
    except ValueError:
        words = "a whole number" if kind is int else "a number"
        raise TunesmithError(f"{name}={raw!r}: expected {words}") from None


def _pool(address: str, name: str, budget: Budget | None, spec: dict[str, Any],
          base_dir: str | None, **options: Any) -> RowPool:  # fmt: skip
    """Join the cluster, start a keeper of `budget` for the run `name` and the row actors."""
    connect(address)
    actors, cpus = pool_size()
    keeper = start_keeper(name, budget)
    shared = SharedBudget(keeper, budget.to_dict() if budget else None)
    try:
        pool = RowPool(spec, base_dir, shared, actors=actors, actor_cpus=cpus, **options)
    except BaseException:
        import ray

        ray.kill(keeper)
        raise
    pool.keeper = keeper
    return pool


def start_run_pool(
    address: str, run_id: str, run: dict[str, Any], context: Any, lm: Any,
    lm_factory: LMFactory | None,
) -> RowPool:  # fmt: skip
    """Join the cluster, move the run's budget and rate limit into its keeper, and start the
    row actors; `context.row_pool` then sends its rows there. `close_run_pool` ends it all."""
    pool = _pool(
        address, run_id, context.budget, run["spec"], run.get("base_dir"), lm_factory=lm_factory,
        on_lost=lambda: context.recorder.log(LOST_WORDS, "warning"),
    )  # fmt: skip
    context.budget = pool.budget
    share_limiter(lm, pool.keeper)
    context.row_pool = pool
    context.recorder.log(
        f"Rows are evaluated on {len(pool.actors)} Ray workers (cluster {address}), "
        "under one budget and one rate limit.",
        "info",
    )
    return pool


def close_run_pool(pool: RowPool) -> None:
    """Stop the run's actors and its keeper."""
    import ray

    pool.close()
    keeper = getattr(pool, "keeper", None)
    if keeper is not None and not pool.watch.lost:
        ray.kill(keeper)


@contextlib.contextmanager
def pilot_pool(spec: Any) -> Iterator[RowPool | None]:
    """The pool a pilot (`engine.runs.estimate.preflight`) scores its rows on when `TUNESMITH_RAY`
    is set, else None (this process): actors and a keeper of its own (no limits: a pilot has
    no budget), stopped at the end."""
    address = ray_address()
    if address is None:
        yield None
        return
    name = f"pilot-{uuid.uuid4().hex[:12]}"
    pool = _pool(address, name, None, spec.to_dict(), str(spec.base_dir))
    try:
        yield pool
    finally:
        close_run_pool(pool)
