"""Fit many small scikit-learn models (folds, learning-curve draws, the audit's forests) quickly on a small machine.

The rungs' classifier is fitted on a few hundred rows at a time, where OpenBLAS's own threads cost more than
they give (on a busy 2-core machine one 5-fold cross-validation took 14× longer with them). So each model runs
with BLAS single-threaded (threadpoolctl, scikit-learn's own dependency), one model at a time in this process:
two threads side by side were slower, because lbfgs on a few hundred rows holds the GIL for most of its time (100
learning-curve sized fits on the quiet 2-core machine, median of 5: 0.94-1.08 s on one thread, 1.18-1.23 s on two;
a report's curves took 3.0 s against 4.8 s). Processes do scale: inside `spread_over(...)` (a run that holds a
pool of single-threaded worker processes, `audiodiag.runs.workers`), the jobs go to that pool in chunks, each
fitted the same way. Results come back in job order and do not depend on the process count.

>>> from sklearn.neighbors import KNeighborsClassifier
>>> X, y = np.arange(8.0).reshape(-1, 1), np.array(list("aaaabbbb"))
>>> jobs = [(np.array([0, 1, 6, 7]), np.array([2, 5]))]  # (train rows, test rows), e.g. list(folds.splits())
>>> fit_predict(X, y, jobs, lambda: KNeighborsClassifier(n_neighbors=1))[0].predictions
array(['a', 'b'], dtype='<U1')
"""
from __future__ import annotations

import contextlib
import pickle
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from audiodiag.threads import one_blas_thread

# jobs per process a spread fit_predict hands out at a time: small enough that the processes finish together and
# progress moves, large enough that shipping the rows (X once per chunk) costs little next to the fits
CHUNKS_PER_PROCESS = 4


@dataclass(frozen=True)
class Spread:
    """Where jobs may go. ready(): the executor of `processes` single-threaded workers once it is up, else None (work
    here meanwhile). want(seconds): the work still in view, at the pace of the jobs done here; the owner starts its
    pool (in the background) if that is worth it. Asked as each job is handed out, so a pool is used once it is up."""

    ready: Callable[[], Executor | None]
    want: Callable[[float], None]
    processes: int


_spread: ContextVar[Spread | None] = ContextVar("audiodiag_fit_spread", default=None)


@contextlib.contextmanager
def spread_over(spread: Spread | None) -> Iterator[None]:
    """Within this block (this thread: a context variable), fit_predict and spread_map hand their jobs to `spread`'s
    pool. None: everything here."""
    token = _spread.set(spread)
    try:
        yield
    finally:
        _spread.reset(token)


def spread_map(fn: Callable, arguments: Sequence[tuple], *, done: Callable[[object], None] | None = None) -> list:
    """[fn(*a) for a in arguments], in order. Inside `spread_over`, each job goes to its pool once that is up (fn
    and the arguments must pickle), and is done here before; the pace of the jobs done here tells the pool's owner
    how much work is in view (`Spread.want`). done(result) as each finishes, from the calling thread."""
    spread = _spread.get()
    out: list = [None] * len(arguments)
    in_flight: deque[tuple[int, Future]] = deque()
    upcoming = iter(enumerate(arguments))
    spent_here, done_here = 0.0, 0

    def hand_out() -> None:
        nonlocal spent_here, done_here
        i, a = next(upcoming, (None, None))
        if i is None:
            return
        pool = spread.ready() if spread is not None else None
        if pool is not None:
            in_flight.append((i, pool.submit(fn, *a)))
            return
        began = time.perf_counter()
        in_flight.append((i, done_here_now(fn(*a))))
        spent_here, done_here = spent_here + time.perf_counter() - began, done_here + 1
        if spread is not None:
            spread.want(spent_here / done_here * (len(arguments) - i - 1))

    try:
        for _ in range(spread.processes + 1 if spread is not None else 1):  # the workers busy, and one more queued
            hand_out()
        while in_flight:
            i, future = in_flight.popleft()
            out[i] = future.result()
            hand_out()
            if done:
                done(out[i])
    finally:  # a job that failed (or a worker that died): those not begun are dropped
        for _, future in in_flight:
            future.cancel()
    return out


def done_here_now(result) -> Future:
    """A future already holding `result`: a job this process did itself (no pool, or the pool still starting), kept
    in line with the pool's futures."""
    future: Future = Future()
    future.set_result(result)
    return future


@dataclass(frozen=True, eq=False)
class Fitted:
    predictions: np.ndarray  # for the job's test rows
    probabilities: np.ndarray | None  # (test rows, model classes) when asked for and the model has predict_proba
    classes: tuple  # the model's classes_, the probability columns' order


def fit_predict(X: np.ndarray, y: np.ndarray, jobs: Sequence[tuple[np.ndarray, np.ndarray]],
                make_model: Callable[[], object], *, probabilities: bool = False,
                progress: Callable[[int, int], None] | None = None) -> list[Fitted]:
    """For each (train rows, test rows) job: a fresh make_model() fitted on the train rows, predicting the test
    rows. progress(jobs done, jobs in all) is called from the calling thread (safe for Streamlit elements).
    Inside `spread_over`, the jobs go to its processes in chunks where make_model pickles (a
    module-level function or a functools.partial of one; a lambda is fitted here)."""
    spread = _spread.get()
    spreading = spread is not None and len(jobs) > 1 and _picklable(make_model)
    size = max(1, -(-len(jobs) // (spread.processes * CHUNKS_PER_PROCESS))) if spreading else 1
    chunks = [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]
    finished = 0

    def chunk_done(part: list[Fitted]) -> None:
        nonlocal finished
        finished += len(part)
        if progress:
            progress(finished, len(jobs))

    with one_blas_thread(), spread_over(spread if spreading else None):
        parts = spread_map(fit_chunk, [(X, y, chunk, make_model, probabilities) for chunk in chunks], done=chunk_done)
    return [fitted for part in parts for fitted in part]


def fit_chunk(X: np.ndarray, y: np.ndarray, jobs: Sequence[tuple[np.ndarray, np.ndarray]],
              make_model: Callable[[], object], probabilities: bool) -> list[Fitted]:
    """fit_predict's jobs, one after the other, here or in a worker process (BLAS single-threaded in both)."""
    from sklearn import config_context

    out = []
    # the same settings for every job: scikit-learn checks them on each fit, ~10 % of a small fit (the config is per
    # thread, so it is set here); the data are still checked
    with config_context(skip_parameter_validation=True):
        for train, test in jobs:
            model = make_model()
            model.fit(X[train], y[train])
            proba = model.predict_proba(X[test]) if probabilities and hasattr(model, "predict_proba") else None
            out.append(Fitted(model.predict(X[test]), proba, tuple(model.classes_)))
    return out


def _picklable(make_model: Callable[[], object]) -> bool:
    try:
        pickle.dumps(make_model)
    except Exception:  # a lambda or a closure: pickle raises PicklingError, AttributeError or TypeError
        return False
    return True


def rung_classifier(seed: int = 0):
    """The classifier every rung is scored with: standardise, then L2 logistic regression.

    A fresh, unfitted sklearn Pipeline; pass `functools.partial(rung_classifier, seed)` as `make_model` (picklable:
    `spread_over` can send it to other processes).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=2000, C=1.0, random_state=seed))])
