"""Every core for the local engine: decode, levels, loudness, SNR, VAD and the spectral baseline in worker processes.

`engine(N)` is an engine for `stream.stream` / `stream.classify_stream` (`gate.run_check(workers=N)` and
`--workers N` on `check` and `report` use it): it cuts each batch of inputs into tasks of a few clips and hands them
to a pool of N processes. Results come back in input order and are put together batch by batch again, so the
encoders (and ASR), which stay in this process, see the same batches as in the in-process engine
(`stream.local_batches`). `measure` does the same for decoded clips (`dataset.measure`), and `spread` lends the
pool to a run's model fits (learning curves, the audit: `fitting.spread_over`). The same functions run on the same
clips, each worker on one thread (BLAS, scipy.fft, ONNX Runtime), so the numbers equal one process's
(tests/test_workers.py). While the pool starts, this process takes the first tasks itself.

The pool is kept between runs (`kept`): a later run in the same process (the app's server, a notebook, a script that
checks several folders) finds its workers up, with their imports and the VAD model loaded, and uses them from its
first task. `close_kept` stops it; the interpreter stops it at exit. A run that reuses an earlier run folder's
files has a pool of its own (its workers are told which files to skip when they start).

Workers start with `forkserver` where the platform has it, else `spawn` (ONNX Runtime and torch do not survive
`fork`), and each loads the VAD model once. They never run the parent's main script (Streamlit's app, a user's
script), which multiprocessing would otherwise do in each of them.

Not run as a doctest (starting the processes takes about a second)::

    result = gate.run_check(layout.iter_folder("data/"), dataset_name="data", workers=None)  # one per core
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from audiodiag.data import manifest
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import fitting
from audiodiag.measure import dataset, vad
from audiodiag.measure.per_clip import ClipStats
from audiodiag.represent import features, spaces
from audiodiag.represent.features import FeatureSettings
from audiodiag.runs import stream, transcription_job
from audiodiag.settings import SettingsError
from audiodiag.types import Clip, SpeechRegion

START_METHODS = ("forkserver", "spawn")  # the first the platform has; never fork (ONNX Runtime, torch threads)
# VAD runs a task's clips as one batch: on 5-s clips it cost 22 ms per clip at 64 clips per call, 25 at 16 and
# 30 at 8, so a task holds at least this many clips even where more workers would want smaller ones
MIN_TASK_CLIPS = 16
IN_FLIGHT_EXTRA = 2  # tasks queued beyond one per worker: none waits, and decoded audio stays bounded
# workers=None: a pool starts once the work in view (the inputs read ahead, at the pace of this process's last task)
# is at least this long, or once this process has worked this long alone with more inputs than it can see. A cold
# start takes ~1.5 s of another core while this process goes on working, so the pool is up before this process
# would have finished alone; then two workers halve the rest, and the pool is kept for later runs. (At 3.0 s, a
# `check` of 300 5-s WAVs, 2.9 s in view on a fast day, ran in one process.)
POOL_WORTH_S = 1.5
LOOKAHEAD_ITEMS = 256  # inputs read ahead (rows: a manifest's rows may hold their audio bytes) to see what is coming
# the pace is read from this task on: in a process's first run the first task pays for imports and model loads,
# in a later run (the app's server, a notebook) nothing is left to load and the first task shows the pace
PACE_AFTER_TASKS = {"first run": 2, "later run": 1}
# workers=None on decoded clips: less audio than this is measured in this process. Measuring costs 3-5 ms per second
# of audio on one core (5-s clips; more for short ones), so this is POOL_WORTH_S of work or more
MIN_POOL_AUDIO_S = 600.0
# model fits in view (at the pace of those done here) worth starting the pool for: it starts in the background while
# this process goes on fitting, so it costs the other cores' time, not this one's; and once up it serves the run's
# later fits (the next space's learning curve, the audit) and later runs. A report of 300 clips holds ~1 s of fits
# per space's learning curve and ~0.8 s of audit on one core
FIT_POOL_WORTH_S = 0.5
# what measuring the first clip imports (pyloudnorm brings scipy.signal): 1.2 s of CPU in every worker, paid once in
# the fork server instead
FIRST_CLIP_IMPORTS = ("onnxruntime", "pyloudnorm", "scipy.signal", "threadpoolctl")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
ONNX_THREAD_ENV = "ORT_INTRA_OP_NUM_THREADS"  # read by ONNX Runtime when a session is created without a thread count
ONE_THREAD = 1

_reusable: frozenset[str] = frozenset()  # in a worker: content hashes an earlier run measured and embedded
_thread_limits = None  # in a worker: threadpoolctl's limits, kept referenced for the process's life
_worked_here = False  # in the main process: whether a task ran here before (imports and models are loaded)
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


def worth_a_pool(clips: Sequence[Clip]) -> bool:
    """Whether measuring these decoded clips on every core gains more than starting a pool costs."""
    return usable_cores() > 1 and sum(c.duration_s for c in clips) >= MIN_POOL_AUDIO_S


def task_clips(*, batch_size: int, workers: int) -> int:
    """Clips per task: a batch shared among the workers, but never fewer than MIN_TASK_CLIPS (VAD batching)."""
    return max(MIN_TASK_CLIPS, -(-batch_size // workers))


def start(workers: int, *, reusable: frozenset[str] = frozenset()) -> ProcessPoolExecutor:
    """A pool of `workers` processes, each single-threaded with the VAD model loaded. reusable: content hashes of
    files an earlier run measured and embedded in every space; a worker decodes them but does not measure them."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context(next(m for m in START_METHODS if m in methods))
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([__name__, *FIRST_CLIP_IMPORTS])  # imported once; each worker forks
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


def _forget(launch: Launch | None) -> None:
    """A pool that broke (a worker killed) is no longer kept: the next run starts a fresh one."""
    global _kept
    with _kept_lock:
        if _kept is not None and _kept[1] is launch:
            _kept = None


def spread(workers: int | None) -> fitting.Spread | None:
    """Where a run's model fits may go (`fitting.spread_over`): the kept pool of this many workers, started once the
    fits in view hold FIT_POOL_WORTH_S of work (or already started by the run's decoding); None for one worker."""
    count = worker_count(workers)
    if count == 1:
        return None

    def ready() -> ProcessPoolExecutor | None:
        launch = running(count)
        return launch.ready() if launch else None

    def want(seconds: float) -> None:
        if seconds >= FIT_POOL_WORTH_S and running(count) is None:
            kept(count)
    return fitting.Spread(ready, want, count)


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


@dataclass(frozen=True, eq=False)
class Worked:
    """One task's inputs after a worker decoded, measured and (for the baseline) embedded them."""

    opened: list  # per input: a LoadFailure, the content hash of a file an earlier run kept, or None: done here
    computed: list[stream.Kept]  # per clip decoded here, in input order
    rows: dict[str, np.ndarray]  # {baseline: (len(computed), d)} where the baseline was asked for
    timings: dict[str, tuple[float, int, bool, float]]  # as in stream.BatchResult
    clips: list[Clip] | None  # the decoded clips, where this process embeds or transcribes them


def work(pairs: Sequence[tuple], *, baseline: bool, padding: spaces.PaddingPolicy, keep_clips: bool,
         reusable: frozenset[str] | None = None, features: FeatureSettings = FeatureSettings()) -> Worked:
    """Decode (item, unique name) pairs, measure the clips and compute their baseline rows: in a worker, or in
    this process while the pool starts. reusable: as in `start` (None: the worker's, given when it started)."""
    reusable = _reusable if reusable is None else reusable
    opened = []
    for item, name in pairs:
        o = stream.open_item(item, name, None)
        opened.append(o.content_hash if isinstance(o, Clip) and o.content_hash in reusable else o)
    decoded = [o for o in opened if isinstance(o, Clip)]
    computed, rows, timings, _ = stream.compute_batch(decoded, [(spaces.BASELINE, None)] * baseline,
                                                      padding=padding, layer=None, features=features)
    return Worked([None if isinstance(o, Clip) else o for o in opened], computed, rows, timings,
                  decoded if keep_clips else None)


def measure_task(clips: Sequence[Clip], *, loudness: bool) -> tuple[list[ClipStats], list[list[SpeechRegion]]]:
    """In a worker: `dataset.measure` of a few clips."""
    return dataset.measure(clips, loudness=loudness)


def measure(clips: Sequence[Clip], *, workers: int | None = 1, launch: Launch | None = None, loudness: bool = True,
            progress: Callable[[int, int], None] | None = None) -> tuple[list[ClipStats], list[list[SpeechRegion]]]:
    """`dataset.measure` with the clips shared among processes; the same results, in input order.

    workers: 1: `dataset.measure` in this process; None: one per usable core where that pays (`worth_a_pool`).
    launch: the pool to use, else the kept one (`kept`).
    progress(clips done, clips in all) as each task's results arrive."""
    count = worker_count(workers)
    if count == 1 or (workers is None and launch is None and not worth_a_pool(clips)):
        return dataset.measure(clips, loudness=loudness, progress=progress)
    launch = launch or kept(count)
    size = min(dataset.MEASURE_BATCH_CLIPS, max(MIN_TASK_CLIPS, -(-len(clips) // count)))
    parts = (clips[i:i + size] for i in range(0, len(clips), size))
    stats: list[ClipStats] = []
    speech: list[list[SpeechRegion]] = []
    futures: deque[Future] = deque()

    def submit_next() -> None:
        part = next(parts, None)
        if part is not None:
            pool = launch.ready()
            futures.append(pool.submit(measure_task, part, loudness=loudness) if pool else
                           _done(measure_task(part, loudness=loudness)))  # the pool is still starting

    try:
        for _ in range(count + IN_FLIGHT_EXTRA):
            submit_next()
        while futures:
            s, r = futures.popleft().result()
            submit_next()
            stats += s
            speech += r
            if progress:
                progress(len(stats), len(clips))
    except BrokenProcessPool as e:
        _forget(launch)
        raise _crashed(e) from e
    finally:
        for f in futures:
            f.cancel()
    return stats, speech


def _done(result) -> Future:
    """A future already holding `result`: a task this process did itself while the pool was starting."""
    future: Future = Future()
    future.set_result(result)
    return future


def engine(workers: int | None = 1) -> Callable[..., Iterator[stream.BatchResult]]:
    """An engine for `stream.stream(..., engine=...)` on `workers` processes; 1: `stream.local_batches`; None: one
    per usable core, started only once the work in view is worth it (POOL_WORTH_S; a few short files never are)."""
    count = worker_count(workers)
    if count == 1:
        return stream.local_batches

    def run(named: Iterable[tuple], space_list: list, *, padding: spaces.PaddingPolicy, layer: int | None,
            batch_size: int, previous: stream.Previous | None,
            transcribe: transcription_job.Transcribe | None = None) -> Iterator[stream.BatchResult]:
        yield from _pool_batches(named, space_list, workers=count, when_worth_it=workers is None, padding=padding,
                                 layer=layer, batch_size=batch_size, previous=previous, transcribe=transcribe)
    return run


class _Ahead:
    """Items with up to `n` of them read ahead, so that the work still to come can be estimated."""

    def __init__(self, items: Iterable, n: int) -> None:
        self._items = iter(items)
        self._buffer = deque(itertools.islice(self._items, n), maxlen=n)

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        if not self._buffer:
            raise StopIteration
        item = self._buffer.popleft()
        self._buffer.extend(itertools.islice(self._items, 1))
        return item

    def __len__(self) -> int:
        return len(self._buffer)

    @property
    def full(self) -> bool:
        """Whether there may be more items than those read ahead."""
        return len(self._buffer) == self._buffer.maxlen


def _pool_batches(named: Iterable[tuple], space_list: list, *, workers: int, when_worth_it: bool,
                  padding: spaces.PaddingPolicy, layer: int | None, batch_size: int,
                  previous: stream.Previous | None,
                  transcribe: transcription_job.Transcribe | None = None) -> Iterator[stream.BatchResult]:
    """The batches of `stream.local_batches`, their decoding, measuring and baseline done by a pool of workers.
    when_worth_it: this process works alone until the work in view is worth starting the pool."""
    can_reuse = stream.reusable(space_list)
    reusable = frozenset(h for h, kept in previous.clips.items() if can_reuse(kept)) if previous else frozenset()
    embedders = [(s.name, s.encoder) for s in space_list if s.encoder is not None]
    task = {"baseline": any(s.encoder is None for s in space_list), "features": stream.baseline_features(space_list),
            "padding": padding, "keep_clips": bool(embedders or transcribe)}
    ahead = _Ahead(named, LOOKAHEAD_ITEMS)
    batches = manifest.iter_batches(ahead, batch_size)
    pending: deque[tuple[list, list[Future]]] = deque()  # (batch, its tasks), in input order

    def new_launch() -> Launch:  # workers told of an earlier run's files are this run's alone
        return Launch(workers, reusable=reusable) if reusable else kept(workers)
    launch = None if reusable else running(workers)  # a kept pool already started: used from the first task
    if launch is None and not when_worth_it:
        launch = new_launch()
    done_here, spent_here = 0, 0.0  # tasks this process did itself, and their CPU seconds
    pace_after = PACE_AFTER_TASKS["later run" if _worked_here else "first run"]

    def submit(pairs: list[tuple]) -> Future:
        global _worked_here
        nonlocal launch, done_here, spent_here
        pool = launch.ready() if launch else None  # None: not started, or still starting: do the task here
        if pool:
            return pool.submit(work, pairs, **task)
        began = time.thread_time()  # CPU time: the work itself, however busy the machine is
        here = _done(work(pairs, reusable=reusable, **task))
        seconds = time.thread_time() - began
        done_here, spent_here, _worked_here = done_here + 1, spent_here + seconds, True
        in_view = seconds / len(pairs) * len(ahead)
        if launch is None and done_here >= pace_after and (
                in_view >= POOL_WORTH_S or (ahead.full and spent_here >= POOL_WORTH_S)):
            launch = new_launch()
        return here

    def fill() -> None:
        while sum(len(tasks) for _, tasks in pending) < workers + IN_FLIGHT_EXTRA:
            batch = next(batches, None)
            if batch is None:
                return
            size = task_clips(batch_size=len(batch), workers=workers)  # the last, short batch: shorter tasks
            pending.append((batch, [submit(batch[i:i + size]) for i in range(0, len(batch), size)]))

    try:
        fill()
        while pending:
            batch, tasks = pending.popleft()
            worked = [t.result() for t in tasks]
            fill()  # the workers go on while this process embeds
            yield _assemble(batch, worked, previous, embedders, padding=padding, layer=layer, transcribe=transcribe)
    except BrokenProcessPool as e:
        _forget(launch)
        raise _crashed(e) from e
    finally:
        for _, tasks in pending:  # a run given up early: its tasks not begun are dropped
            for task in tasks:
                task.cancel()
        if launch and reusable:
            launch.close()


def _crashed(error: BrokenProcessPool) -> AudioDiagError:
    return AudioDiagError(f"a worker process ended before finishing its clips ({error}): it was killed or crashed "
                          "(out of memory?), which a bad file cannot cause (those become inputs not used). Rerun "
                          "with fewer workers (--workers 1: everything in one process) to use less memory")


def _beside_the_workers():
    """BLAS on one thread in this process while the workers hold the other cores: OpenBLAS's threads, fighting the
    workers for the cores, made Whisper's log-mel step (a small matrix product per clip) slow. In `report` on 300
    spoken digits (2 cores, warm), the streamed stage took 1.85-2.17 s with two BLAS threads here and 1.22-1.31 s
    with one (the encoders' own runtimes, ctranslate2 and torch, keep their threads)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=ONE_THREAD, user_api="blas")


def _assemble(batch: list[tuple], worked: Sequence[Worked], previous: stream.Previous | None,
              embedders: list[tuple], *, padding: spaces.PaddingPolicy, layer: int | None,
              transcribe: transcription_job.Transcribe | None) -> stream.BatchResult:
    """One batch's tasks as the BatchResult `stream.local_batches` yields for it; its encoders (and ASR) run here."""
    opened = [o for w in worked for o in w.opened]
    for i, ((item, name), o) in enumerate(zip(batch, opened, strict=True)):
        if isinstance(o, str):  # a content hash: what the earlier run kept, under this run's name and label
            opened[i] = stream.renamed(previous.clips[o], name, item.label, item.group, item.fold)
    computed = [k for w in worked for k in w.computed]
    rows: dict[str, np.ndarray] = {}
    timings: dict[str, tuple[float, int, bool, float]] = {}
    for space in dict.fromkeys(s for w in worked for s in w.rows):
        rows[space] = np.concatenate([w.rows[space] for w in worked if space in w.rows])
        parts = [w.timings[space] for w in worked if space in w.timings]
        timings[space] = (sum(p[0] for p in parts), sum(p[1] for p in parts), all(p[2] for p in parts), parts[-1][3])
    clips = [c for w in worked for c in (w.clips or ())]
    failed: dict[str, str] = {}
    if clips and embedders:
        with _beside_the_workers():
            more_rows, more_timings, failed = stream.embed_batch(clips, embedders, padding=padding, layer=layer)
        rows.update(more_rows)
        timings.update(more_timings)
    with _beside_the_workers():
        texts = transcribe.run(clips) if transcribe else None
    return stream.BatchResult(opened, [stream.source_of(i) for i, _ in batch], computed, rows, timings, failed,
                              texts, [stream.reference_of(i) for i, _ in batch])
