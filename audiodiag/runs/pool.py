"""The worker processes of the local engine: how many, how they start, and the one pool a process keeps.

`Launch` starts a pool in a background thread (this process works on meanwhile); `kept` is the pool a process keeps
between its runs (the app's server, a notebook, a script that checks several folders), so a later run finds its
workers up, with their imports and the VAD model loaded; `close_kept` stops it, and the interpreter stops it at exit.
What the workers do is `audiodiag.runs.workers`.

Workers start with `forkserver` where the platform has it, else `spawn` (ONNX Runtime and torch do not survive
`fork`), and each loads the VAD model once, on one thread for every numeric library (N workers on N cores). They
never run the parent's main script (Streamlit's app, a user's script), which multiprocessing would otherwise do in
each of them.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import types
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from audiodiag.measure import vad
from audiodiag.represent import features
from audiodiag.settings import SettingsError

START_METHODS = ("forkserver", "spawn")  # the first the platform has; never fork (ONNX Runtime, torch threads)
WORKER_MODULES = ("audiodiag.runs.workers",)  # what the workers run: imported once in the fork server
# what measuring the first clip imports (pyloudnorm brings scipy.signal): 1.2 s of CPU in every worker, paid once in
# the fork server instead
FIRST_CLIP_IMPORTS = ("onnxruntime", "pyloudnorm", "scipy.signal", "threadpoolctl")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
ONNX_THREAD_ENV = "ORT_INTRA_OP_NUM_THREADS"  # read by ONNX Runtime when a session is created without a thread count
ONE_THREAD = 1

_reusable: frozenset[str] = frozenset()  # in a worker: content hashes an earlier run measured and embedded
_thread_limits = None  # in a worker: threadpoolctl's limits, kept referenced for the process's life
_kept: tuple[int, Launch] | None = None  # in the main process: (workers, pool) kept between runs
_kept_lock = threading.Lock()  # the app's sessions run in threads: one kept pool, never two started at once


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity (as `taskset` or a container's cpuset sets it), else every
    core of the machine."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def worker_count(workers: int | None) -> int:
    """The number of processes `workers` asks for: None means one per usable core. Anything but a whole number
    of at least 1 raises SettingsError."""
    if workers is None:
        return usable_cores()
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise SettingsError(f"workers={workers!r}; use a whole number of processes, at least 1 (1: everything in "
                            f"this process), or leave it out for one per usable core ({usable_cores()} here)")
    return int(workers)


def start(workers: int, *, reusable: frozenset[str] = frozenset()) -> ProcessPoolExecutor:
    """A pool of `workers` processes, each single-threaded with the VAD model loaded. reusable: content hashes of
    files an earlier run measured and embedded in every space; a worker decodes them but does not measure them."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context(next(m for m in START_METHODS if m in methods))
    if context.get_start_method() == "forkserver":
        # imported once in the fork server; each worker forks from it
        context.set_forkserver_preload([__name__, *WORKER_MODULES, *FIRST_CLIP_IMPORTS])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(reusable,))


class Launch:
    """A pool started in a background thread, so that this process works on the first tasks meanwhile: starting
    takes 1-2 s (the fork server imports numpy, scipy and ONNX Runtime, then each worker loads the VAD model)."""

    def __init__(self, workers: int, *, reusable: frozenset[str] = frozenset()) -> None:
        starter = ThreadPoolExecutor(1, thread_name_prefix="audiodiag-pool-start")
        self._pool = starter.submit(_started, workers, reusable)
        starter.shutdown(wait=False)

    def ready(self) -> ProcessPoolExecutor | None:
        """The pool once every worker is up (a failed start raises here), else None."""
        return self._pool.result() if self._pool.done() else None

    def wait(self) -> ProcessPoolExecutor:
        """The pool, once every worker is up."""
        return self._pool.result()

    def close(self) -> None:
        """Stop the pool, dropping the tasks not begun (a pool still starting is stopped once it is up: its
        workers are never left half-started)."""
        if self._pool.exception() is None:
            self._pool.result().shutdown(wait=True, cancel_futures=True)


def kept(workers: int) -> Launch:
    """The pool of `workers` processes this process keeps between runs: started (in the background) the first time,
    then the same one; one of another size is stopped and replaced."""
    global _kept
    with _kept_lock:
        if _kept is not None and _kept[0] != workers:
            replaced, _kept = _kept[1], None
            replaced.close()
        if _kept is None:
            _kept = (workers, Launch(workers))
        return _kept[1]


def running(workers: int) -> Launch | None:
    """The kept pool of `workers` processes if one was started (up, or still starting), else None."""
    return _kept[1] if _kept is not None and _kept[0] == workers else None


def close_kept() -> None:
    """Stop the kept pool, if any (its processes exit); the next run that wants one starts another."""
    global _kept
    with _kept_lock:
        launch, _kept = (_kept[1] if _kept else None), None
    if launch is not None:
        launch.close()


def forget(launch: Launch | None) -> None:
    """A pool that broke (a worker killed) is no longer kept: the next run starts a fresh one."""
    global _kept
    with _kept_lock:
        if _kept is not None and _kept[1] is launch:
            _kept = None


def _started(workers: int, reusable: frozenset[str]) -> ProcessPoolExecutor:
    pool = start(workers, reusable=reusable)
    try:
        with _without_main_script():
            for up in [pool.submit(os.getpid) for _ in range(workers)]:  # each submission starts one more worker
                up.result()
    except BaseException:  # e.g. the interpreter exiting meanwhile: stop the workers already started
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return pool


@contextlib.contextmanager
def _without_main_script() -> Iterator[None]:
    """multiprocessing runs the parent's __main__ file again in each new worker, which needs nothing from it:
    under Streamlit that file is the app (its script runner names each run's module __main__), elsewhere a user's
    script. While the workers start, __main__ is a stand-in without a file; the real one is put back, unless
    someone (a new Streamlit run) replaced the stand-in meanwhile."""
    real, stand_in = sys.modules.get("__main__"), types.ModuleType("__main__")
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("__main__") is stand_in:
            sys.modules["__main__"] = real


def one_thread(*, onnx: bool = False) -> None:
    """In a worker process that holds one CPU: one thread for BLAS (threadpoolctl for the libraries loaded, the
    environment for those loaded later) and scipy.fft; onnx: ONNX Runtime sessions created from now on too
    (ORT_INTRA_OP_NUM_THREADS). Once per process."""
    global _thread_limits
    if _thread_limits is not None:
        return
    from threadpoolctl import threadpool_limits

    for name in THREAD_ENV + ((ONNX_THREAD_ENV,) if onnx else ()):
        os.environ[name] = str(ONE_THREAD)
    _thread_limits = threadpool_limits(limits=ONE_THREAD)
    features.FFT_WORKERS = ONE_THREAD


def _start_worker(reusable: frozenset[str]) -> None:
    """In each worker: one thread for every numeric library (N workers on N cores), VAD loaded, Ctrl-C left to
    the main process (it stops the pool)."""
    global _reusable
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_thread()
    vad.speech_probabilities([np.zeros(vad.WINDOW_SAMPLES, np.float32)])  # loads the ONNX session now
    _reusable = reusable


def reusable_here() -> frozenset[str]:
    """In a worker: the content hashes its pool was started with (`start`'s reusable); elsewhere empty."""
    return _reusable
