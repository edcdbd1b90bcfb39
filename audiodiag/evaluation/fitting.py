"""Fit many small scikit-learn models (folds, learning-curve draws) quickly on a small machine.

The rungs' classifier is fitted on a few hundred rows at a time, where OpenBLAS's own threads cost more than
they give (on a busy 2-core machine one 5-fold cross-validation took 14× longer with them). So each model runs
with BLAS single-threaded (threadpoolctl, scikit-learn's own dependency), one model at a time (FIT_THREADS): two
side by side were slower, because lbfgs on a few hundred rows holds the GIL for most of its time (100 learning-curve
sized fits on the quiet 2-core machine, median of 5: 0.94-1.08 s on one thread, 1.18-1.23 s on two; a report's
curves took 3.0 s against 4.8 s). Results come back in job order and do not depend on the thread count.

>>> from sklearn.neighbors import KNeighborsClassifier
>>> X, y = np.arange(8.0).reshape(-1, 1), np.array(list("aaaabbbb"))
>>> jobs = [(np.array([0, 1, 6, 7]), np.array([2, 5]))]  # (train rows, test rows), e.g. list(folds.splits())
>>> fit_predict(X, y, jobs, lambda: KNeighborsClassifier(n_neighbors=1))[0].predictions
array(['a', 'b'], dtype='<U1')
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

FIT_THREADS = 1  # see above; the workers' processes, not threads, are what spreads a run over the cores


@dataclass(frozen=True, eq=False)
class Fitted:
    predictions: np.ndarray  # for the job's test rows
    probabilities: np.ndarray | None  # (test rows, model classes) when asked for and the model has predict_proba
    classes: tuple  # the model's classes_, the probability columns' order


def fit_predict(X: np.ndarray, y: np.ndarray, jobs: Sequence[tuple[np.ndarray, np.ndarray]],
                make_model: Callable[[], object], *, probabilities: bool = False,
                progress: Callable[[int, int], None] | None = None) -> list[Fitted]:
    """For each (train rows, test rows) job: a fresh make_model() fitted on the train rows, predicting the test
    rows. progress(jobs done, jobs in all) is called from the calling thread (safe for Streamlit elements)."""
    from sklearn import config_context
    from threadpoolctl import threadpool_limits

    def run(job: tuple[np.ndarray, np.ndarray]) -> Fitted:
        train, test = job
        model = make_model()
        # the same settings for every job: scikit-learn checks them on each fit, ~10 % of a small fit (the config is
        # per thread, so it is set here); the data are still checked
        with config_context(skip_parameter_validation=True):
            model.fit(X[train], y[train])
            proba = model.predict_proba(X[test]) if probabilities and hasattr(model, "predict_proba") else None
            return Fitted(model.predict(X[test]), proba, tuple(model.classes_))

    results: list[Fitted | None] = [None] * len(jobs)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(FIT_THREADS) as pool:
        futures = {pool.submit(run, job): i for i, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, len(jobs))
    return results


def rung_classifier(seed: int = 0):
    """The classifier every rung is scored with: standardise, then L2 logistic regression.

    A fresh, unfitted sklearn Pipeline; pass `lambda: rung_classifier(seed)` as `make_model`.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=2000, C=1.0, random_state=seed))])
