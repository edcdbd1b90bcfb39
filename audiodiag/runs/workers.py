"""Every core for the local engine: decode, levels, loudness, SNR, VAD and the spectral baseline in worker processes.

`engine(N)` is an engine for `stream.stream` / `stream.classify_stream` (`gate.run_check(workers=N)` and
`--workers N` on `check` and `report` use it): it cuts each batch of inputs into tasks of a few clips and hands them
to a pool of N processes. Results come back in input order and are put together batch by batch again, so the
encoders (and ASR), which stay in this process, see the same batches as in the in-process engine
(`stream.local_batches`). `measure` does the same for decoded clips (`dataset.measure`), and `spread` lends the
pool to a run's model fits (learning curves, the audit: `fitting.spread_over`). The same functions run on the same
clips, each worker on one thread (BLAS, scipy.fft, ONNX Runtime), so the numbers equal one process's
(tests/test_workers.py). While the pool starts, this process takes the first tasks itself.

The pool is `audiodiag.runs.pool`'s: kept between the runs of a process, so a later run uses it from its first task
(a run that reuses an earlier run folder's files has a pool of its own: its workers are told which files to skip).

Not run as a doctest (starting the processes takes about a second)::

    result = gate.run_check(layout.iter_folder("data/"), dataset_name="data", workers=None)  # one per core
"""
from __future__ import annotations

import contextlib
import itertools
import pickle
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from audiodiag.data import manifest
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import fitting
from audiodiag.measure import dataset
from audiodiag.measure.per_clip import ClipStats
from audiodiag.represent import encoders, spaces
from audiodiag.represent.encoders.base import model_threads
from audiodiag.represent.features import FeatureSettings
from audiodiag.runs import stream, transcription_job
from audiodiag.runs.pool import ONE_THREAD, Launch, forget, kept, reusable_here, running, usable_cores, worker_count
from audiodiag.threads import one_blas_thread
from audiodiag.types import Clip, SpeechRegion

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

_worked_here = False  # in the main process: whether a task ran here before (imports and models are loaded)


def worth_a_pool(clips: Sequence[Clip]) -> bool:
    """Whether measuring these decoded clips on every core gains more than starting a pool costs."""
    return usable_cores() > 1 and sum(c.duration_s for c in clips) >= MIN_POOL_AUDIO_S


def task_clips(*, batch_size: int, workers: int) -> int:
    """Clips per task: a batch shared among the workers, but never fewer than MIN_TASK_CLIPS (VAD batching)."""
    return max(MIN_TASK_CLIPS, -(-batch_size // workers))


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


@dataclass(frozen=True, eq=False)
class Worked:
    """One task's inputs after a worker decoded, measured and (for the baseline) embedded them."""

    opened: list  # per input: a LoadFailure, the content hash of a file an earlier run kept, or None: done here
    computed: list[stream.Kept]  # per clip decoded here, in input order
    rows: dict[str, np.ndarray]  # {baseline: (len(computed), d)} where the baseline was asked for
    timings: dict[str, tuple[float, int, bool, float]]  # as in stream.BatchResult
    clips: list[Clip] | None  # the decoded clips, where this process embeds or transcribes them
    prepared: dict[str, encoders.Prepared]  # per space, its encoder's preparer output for `clips`


def work(pairs: Sequence[tuple], *, baseline: bool, padding: spaces.PaddingPolicy, keep_clips: bool,
         reusable: frozenset[str] | None = None, features: FeatureSettings = FeatureSettings(),
         prepare: dict[str, Callable[[Sequence[Clip]], list]] | None = None) -> Worked:
    """Decode (item, unique name) pairs, measure the clips and compute their baseline rows, and run the encoders'
    model-free steps (`prepare`: per space, its `encoders.PreparingEncoder.preparer`) on the padded clips: in a
    worker, or in this process while the pool starts. reusable: as in `pool.start` (None: the worker's, given when
    it started)."""
    reusable = reusable_here() if reusable is None else reusable
    opened = []
    for item, name in pairs:
        o = stream.open_item(item, name, None)
        opened.append(o.content_hash if isinstance(o, Clip) and o.content_hash in reusable else o)
    decoded = [o for o in opened if isinstance(o, Clip)]
    computed, rows, timings, _ = stream.compute_batch(decoded, [(spaces.BASELINE, None)] * baseline,
                                                      padding=padding, layer=None, features=features)
    prepared = {}
    if decoded and prepare:
        padded = padding.apply(decoded)  # what spaces.space_vectors embeds
        for space, preparer in prepare.items():
            began = time.perf_counter()
            items = preparer(padded)
            prepared[space] = encoders.Prepared(items, time.perf_counter() - began)
    return Worked([None if isinstance(o, Clip) else o for o in opened], computed, rows, timings,
                  decoded if keep_clips else None, prepared)


def measure_task(clips: Sequence[Clip], loudness: bool) -> tuple[list[ClipStats], list[list[SpeechRegion]]]:
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
    parts = [(clips[i:i + size], loudness) for i in range(0, len(clips), size)]
    stats: list[ClipStats] = []
    speech: list[list[SpeechRegion]] = []

    def arrived(result: tuple[list[ClipStats], list[list[SpeechRegion]]]) -> None:
        stats.extend(result[0])
        speech.extend(result[1])
        if progress:
            progress(len(stats), len(clips))

    # each part to the pool once it is up, done here before (the pool may still be starting): fitting.spread_map
    with fitting.spread_over(fitting.Spread(launch.ready, lambda seconds: None, count)):
        try:
            fitting.spread_map(measure_task, parts, done=arrived)
        except BrokenProcessPool as e:
            forget(launch)
            raise _crashed(e) from e
    return stats, speech


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
            "padding": padding, "keep_clips": bool(embedders or transcribe), "prepare": _preparers(embedders)}
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
        here = fitting.done_here_now(work(pairs, reusable=reusable, **task))
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
        forget(launch)
        raise _crashed(e) from e
    finally:
        for _, tasks in pending:  # a run given up early: its tasks not begun are dropped
            for task in tasks:
                task.cancel()
        if launch and reusable:
            launch.close()


def _preparers(embedders: Sequence[tuple[str, object]]) -> dict[str, Callable[[Sequence[Clip]], list]]:
    """Per space, the model-free step its encoder lets the workers run (`encoders.PreparingEncoder`): Whisper's
    resampling and log-mel. In `report` on 300 spoken digits (2 cores, warm) they were about a fifth of this process's
    CPU time in the streamed stage (about 1.0 s; 0.75-0.85 s without them), where this process, running the encoders,
    set the pace. A preparer that cannot pickle stays here."""
    out = {}
    for space, encoder in embedders:
        if isinstance(encoder, encoders.PreparingEncoder):
            try:
                pickle.dumps(encoder.preparer)
            except Exception:  # a lambda or a closure: PicklingError, AttributeError or TypeError
                continue
            out[space] = encoder.preparer
    return out


def _crashed(error: BrokenProcessPool) -> AudioDiagError:
    return AudioDiagError(f"a worker process ended before finishing its clips ({error}): it was killed or crashed "
                          "(out of memory?), which a bad file cannot cause (those become inputs not used). Rerun "
                          "with fewer workers (--workers 1: everything in one process) to use less memory")


@contextlib.contextmanager
def _beside_the_workers() -> Iterator[None]:
    """This process's models on one thread while the workers hold the other cores: threads beyond the cores only
    take turns with the workers. In `report` on 300 spoken digits (2 cores, warm, the streamed stage), BLAS's two
    threads here (Whisper's log-mel step, a small matrix product per clip, done here then) took 1.85-2.17 s against
    1.22-1.31 s on one; with BLAS on one, CTranslate2's default two threads (Whisper's encoder) took a median 1.50 s
    against 1.30 s on one (4 runs each). Torch's threads are left as they are (process-wide, shared with the app's
    other sessions)."""
    with one_blas_thread(), model_threads(ONE_THREAD):
        yield


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
    prepared = {}  # per space, its preparer's output for `clips`, where every task with clips made it
    for space in dict.fromkeys(space for w in worked for space in w.prepared):
        parts = [w.prepared.get(space) for w in worked if w.clips]
        if all(parts):
            prepared[space] = encoders.Prepared([item for p in parts for item in p.items], sum(p.seconds for p in parts))
    failed: dict[str, str] = {}
    texts = None
    with _beside_the_workers():
        if clips and embedders:
            more_rows, more_timings, failed = stream.embed_batch(clips, embedders, padding=padding, layer=layer,
                                                                 prepared=prepared)
            rows.update(more_rows)
            timings.update(more_timings)
        if transcribe:
            texts = transcribe.run(clips)
    return stream.BatchResult(opened, [stream.source_of(i) for i, _ in batch], computed, rows, timings, failed,
                              texts, [stream.reference_of(i) for i, _ in batch])
