"""`report --engine ray`: the streamed classification run on Ray Data, locally or on a cluster.

The driver reads and checks the input rows (manifest rules, unique names) as the local engine does, then Ray runs:

    rows -> map_batches(decode_and_measure)   read bytes, content hash, decode, levels, VAD, baseline
         -> map_batches(Embedder)             an actor pool; each actor loads every encoder (and the ASR
                                              model of a transcription run) once; one actor per GPU
                                              (num_gpus=1: Hugging Face encoders then run on CUDA; ONNX and
                                              CTranslate2 ones on CPU), else one per CPU, all started at once,
                                              each on one thread (BLAS, scipy.fft, ONNX Runtime)
         -> driver                            per-clip numbers, vectors and transcripts, in input order
                                              (preserve_order)

Ray Data may fuse the first step into the actor pool (it does on a local instance): the actors then decode too.
A local instance runs its workers at this process's priority: at Ray's default, nice 15, a worker's share of a busy
core is 1/28 of a program's at nice 0, so any other work on the machine took the cores the local engine would share.

and gives `stream.stream` the same `BatchResult`s the in-process engine yields, so cross-validation, curves, the
note and the run folder are built by the same code: the same data and settings give the same run folder.
Ray does the scheduling, retries and back-pressure; nothing here schedules work itself.

Not run as a doctest (starting Ray takes seconds)::

    result = stream.classify_stream(manifest.read_manifest("train.csv"),
                                       ComparisonSettings(encoders=("speech_embedding",)),
                                       engine=ray_engine.engine(address=None))   # None: a local Ray instance
"""
from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiodiag.errors import AudioDiagError, MissingDependencyError
from audiodiag.represent import encoders, spaces
from audiodiag.represent.features import FeatureSettings
from audiodiag.runs import pool, stream, transcription_job, workers
from audiodiag.types import Clip

LOCAL_CPUS = None  # a local instance uses every core unless num_cpus says otherwise
EMPTY = b""
LOCAL_WORKER_NICENESS = 0  # Ray's own default (15) yields the cores to every other program on the machine


@dataclass(frozen=True)
class Reuse:
    """A file whose bytes (content hash) an earlier run measured and embedded in every space: not decoded."""

    content_hash: str
    name: str
    label: str | None
    group: str | None
    fold: str | None = None


@dataclass(frozen=True)
class RayStart:
    """How long joining or starting Ray took (reported apart from the run: a one-time cost)."""

    address: str
    seconds: float
    cpus: float
    gpus: float


def _pack(o) -> bytes:
    return EMPTY if o is None else pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(b):
    return None if b is None or len(b) == 0 else pickle.loads(b)


def decode_and_measure(batch: dict, *, reusable: frozenset[str], padding_s: float | None,
                       baseline: bool = True, features: FeatureSettings = FeatureSettings()) -> dict:
    """Ray task: one batch of (item, name) rows -> per row: what it became, its measurements, baseline row and
    the decoded clip for the encoders (dropped after them)."""
    pool.one_thread(onnx=True)  # a task holds one CPU: ONNX Runtime's default pool would pin every actor's
    # threads to the same cores
    opened, sources, references = [], [], []
    for packed in batch["item"]:
        item, name = _unpack(packed)
        sources.append(stream.source_of(item) or "")
        references.append(_pack(stream.reference_of(item)))
        o = stream.open_item(item, name, None)
        if isinstance(o, Clip) and o.content_hash in reusable:
            o = Reuse(o.content_hash, name, o.label, o.group, o.fold)
        opened.append(o)
    decoded = [o for o in opened if isinstance(o, Clip)]
    kept, rows, timings, _ = stream.compute_batch(decoded, [(spaces.BASELINE, None)] * baseline,
                                                  padding=spaces.PaddingPolicy(padding_s), layer=None,
                                                  features=features)
    new = iter(range(len(decoded)))
    out = {"index": batch["index"], "opened": [], "kept": [], "audio": [], "baseline": [], "source": sources,
           "reference": references}
    seconds = timings.get(spaces.BASELINE, (0.0, 0, False, 0.0))[0] / max(1, len(decoded))
    for o in opened:
        j = next(new) if isinstance(o, Clip) else None
        out["opened"].append(_pack(None if j is not None else o))
        out["kept"].append(_pack(kept[j]) if j is not None else EMPTY)
        out["audio"].append(_pack(o) if j is not None else EMPTY)
        out["baseline"].append(_pack((rows[spaces.BASELINE][j], seconds)) if j is not None and baseline else EMPTY)
    return {k: np.asarray(v, dtype=object) if k != "index" else np.asarray(v) for k, v in out.items()}


class Embedder:
    """Ray actor: loads each encoder (and the ASR model) once, then embeds (and transcribes) the decoded clips of
    every batch it is given."""

    def __init__(self, names: Sequence[str], layer: int | None, padding_s: float | None, gpu: bool = False,
                 transcribe: transcription_job.Transcribe | None = None) -> None:
        if gpu:  # this actor was given a GPU (num_gpus=1): Hugging Face encoders run there (ONNX/CTranslate2: CPU)
            from audiodiag.represent.encoders.hf import DEVICE_ENV

            os.environ[DEVICE_ENV] = "cuda"
        else:  # one CPU: one thread, set before the encoders' ONNX Runtime sessions are created
            pool.one_thread(onnx=True)
        self.layer, self.padding = layer, spaces.PaddingPolicy(padding_s)
        self.transcribe = transcribe
        if transcribe:
            transcribe.load()  # once per actor, before the first batch
        self.encoders, self.failed = {}, {}
        for name in names:
            try:
                self.encoders[name] = encoders.load_encoder(name)
            except AudioDiagError as e:
                self.failed[name] = str(e)

    def __call__(self, batch: dict) -> dict:
        clips = [_unpack(a) for a in batch["audio"] if len(a)]
        rows, timings, failed = stream.embed_batch(clips, list(self.encoders.items()), padding=self.padding,
                                                   layer=self.layer) if clips else ({}, {}, {})
        failed = {**self.failed, **failed}
        texts = self.transcribe.run(clips) if self.transcribe else None
        encoded, transcripts, j = [], [], 0
        for a in batch["audio"]:
            if not len(a):
                encoded.append(EMPTY)
                transcripts.append(EMPTY)
                continue
            # per clip: its row and its share of the batch's time (NaN when unknown), or why the space failed
            encoded.append(_pack({**failed, **{
                name: (rows[name][j], seconds / count if count else float("nan"), from_cache, model_mb)
                for name, (seconds, count, from_cache, model_mb) in timings.items()}}))
            transcripts.append(_pack(texts[j]) if texts is not None else EMPTY)
            j += 1
        return {"index": batch["index"], "opened": batch["opened"], "kept": batch["kept"],
                "baseline": batch["baseline"], "source": batch["source"], "reference": batch["reference"],
                "encoded": np.asarray(encoded, dtype=object), "transcript": np.asarray(transcripts, dtype=object)}


def start(address: str | None = None, *, num_cpus: int | None = LOCAL_CPUS) -> RayStart:
    """Join the Ray cluster at `address`, or start a local instance (num_cpus: cores it may use). Workers import
    this audiodiag: a local instance gets its folder on PYTHONPATH; a cluster gets the package as a py_module."""
    try:
        import ray
    except ImportError as e:
        raise MissingDependencyError(
            "--engine ray needs Ray Data: pip install 'ray[data]' (see requirements.txt)") from e
    began = time.perf_counter()
    package = Path(__file__).resolve().parents[1]  # the audiodiag package, shipped to the cluster's workers
    if ray.is_initialized():
        pass
    elif address:
        try:
            ray.init(address=address, runtime_env={"py_modules": [str(package)]}, log_to_driver=False,
                     logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise MissingDependencyError(
                f"could not join the Ray cluster at {address!r}: {e}; check the address "
                "(ray://host:10001 or host:6379) and that the cluster runs this Ray version") from e
    else:
        path = os.pathsep.join(p for p in (str(package.parent), os.environ.get("PYTHONPATH", "")) if p)
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": {"PYTHONPATH": path}},
                 _system_config={"worker_niceness": LOCAL_WORKER_NICENESS})
    resources = ray.cluster_resources()
    return RayStart(address or "local", time.perf_counter() - began, float(resources.get("CPU", 0)),
                    float(resources.get("GPU", 0)))


def engine(address: str | None = None, *, num_cpus: int | None = LOCAL_CPUS,
           on_start: Callable[[RayStart], None] | None = None) -> Callable[..., Iterator[stream.BatchResult]]:
    """An engine for `stream.stream(..., engine=...)` that runs the batches on Ray."""
    def run(named: Iterable[tuple], space_list: list, *, padding: spaces.PaddingPolicy, layer: int | None,
            batch_size: int, previous: stream.Previous | None,
            transcribe: transcription_job.Transcribe | None = None) -> Iterator[stream.BatchResult]:
        info = start(address, num_cpus=num_cpus)
        if on_start:
            on_start(info)
        yield from _batches(named, space_list, padding=padding, layer=layer, batch_size=batch_size,
                            previous=previous, gpus=info.gpus, cpus=info.cpus, transcribe=transcribe)
    return run


def _batches(named: Iterable[tuple], space_list: list, *, padding: spaces.PaddingPolicy, layer: int | None,
             batch_size: int, previous: stream.Previous | None, gpus: float, cpus: float,
             transcribe: transcription_job.Transcribe | None = None) -> Iterator[stream.BatchResult]:
    import ray
    import ray.data

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # results in input order, as the local engine gives them
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # not "progress bars disabled" on every run
    rows = [{"index": i, "item": _pack(pair)} for i, pair in enumerate(named)]
    if not rows:
        return
    can_reuse = stream.reusable(space_list)
    reusable = frozenset(h for h, kept in (previous.clips.items() if previous else ()) if can_reuse(kept))
    # one actor per GPU; on CPUs one per core (Ray may fuse decoding into the actors: then they do both), all started
    # at once: a pool allowed to grow from one actor kept one working through a 128-clip run on 2 CPUs
    actors = max(1, int(gpus) if gpus else int(cpus))
    # on CPUs a batch is shared among the actors, as the process-pool engine shares it among its workers: the last
    # tasks of a run then keep every core busy. A GPU embeds whole batches
    task = batch_size if gpus else workers.task_clips(batch_size=batch_size, workers=actors)
    blocks = max(1, -(-len(rows) // task))
    actors = min(actors, blocks)  # no actor loads the models for nothing (a rerun with one new file)
    ds = ray.data.from_items(rows, override_num_blocks=blocks)
    del rows
    baseline = any(s.encoder is None for s in space_list)
    ds = ds.map_batches(decode_and_measure, batch_size=task, batch_format="numpy",
                        fn_kwargs={"reusable": reusable, "padding_s": padding.length_s, "baseline": baseline,
                                   "features": stream.baseline_features(space_list)})
    encoder_names = [s.name for s in space_list if s.encoder is not None]
    if encoder_names or transcribe:
        ds = ds.map_batches(Embedder, batch_size=task, batch_format="numpy",
                            fn_constructor_kwargs={"names": encoder_names, "layer": layer,
                                                   "padding_s": padding.length_s, "gpu": bool(gpus),
                                                   "transcribe": transcribe},
                            compute=ray.data.ActorPoolStrategy(size=actors),
                            num_gpus=1 if gpus else 0)
    chunk: list[dict] = []
    for row in ds.iter_rows():
        chunk.append(row)
        if len(chunk) == batch_size:
            yield _result(chunk, previous, transcribe is not None)
            chunk = []
    if chunk:
        yield _result(chunk, previous, transcribe is not None)


def _result(chunk: list[dict], previous: stream.Previous | None, transcribed: bool) -> stream.BatchResult:
    """Rows back from Ray as the BatchResult the local engine would have yielded for them."""
    opened, computed, failed, texts = [], [], {}, []
    sources = [row["source"] or None for row in chunk]
    references = [_unpack(row["reference"]) for row in chunk]
    rows: dict[str, list[np.ndarray]] = {}
    timings: dict[str, list] = {}
    for row in chunk:
        o = _unpack(row["opened"])
        if isinstance(o, Reuse):
            o = stream.renamed(previous.clips[o.content_hash], o.name, o.label, o.group, o.fold)
        opened.append(o)
        if o is not None:
            continue
        computed.append(_unpack(row["kept"]))
        if len(row["baseline"]):
            _add(rows, timings, spaces.BASELINE, *_unpack(row["baseline"]), False, 0.0)
        if transcribed:
            texts.append(_unpack(row["transcript"]))
        for name, r in (_unpack(row["encoded"]) if "encoded" in row else {}).items():
            if isinstance(r, str):
                failed.setdefault(name, r)
            else:
                _add(rows, timings, name, *r)
    return stream.BatchResult(
        opened, sources, computed, {k: np.stack(v) for k, v in rows.items() if k not in failed},
        {k: (sum(t[0] for t in v), sum(t[1] for t in v), all(t[2] for t in v), v[-1][3]) for k, v in timings.items()},
        failed, texts if transcribed else None, references)


def _add(rows: dict, timings: dict, name: str, vector: np.ndarray, seconds: float, from_cache: bool,
         model_mb: float) -> None:
    rows.setdefault(name, []).append(vector)
    timings.setdefault(name, []).append((seconds if seconds == seconds else 0.0, int(seconds == seconds),
                                         from_cache, model_mb))


def shutdown() -> None:
    """Stop the local Ray instance this process started (a joined cluster keeps running)."""
    import ray

    if ray.is_initialized():
        ray.shutdown()

