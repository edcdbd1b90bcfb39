"""Datasets of any size through the classification pipeline, one batch of decoded audio at a time.

Rows (a manifest, a folder walked lazily, or already loaded clips) go through the same library calls as
`decide.run_classification`, batch by batch: decode → `dataset.measure` (levels, VAD) → baseline features →
encoder vectors (through the on-disk embedding cache). Only per-clip numbers, a light `ClipInfo` per clip and the
vectors are kept; the decoded samples of a batch are dropped before the next is read, so memory grows with the
number of clips by those numbers, not by their audio. Cross-validation, learning curves, audit, duplicates and
the note then run as today on what was kept, and give the same note as the in-memory run.

Not run as a doctest (the whole pipeline takes seconds even on a few clips)::

    rows = layout.iter_folder("data/")
    result = classify_stream(rows, ComparisonSettings(encoders=("speech_embedding",)), dataset_name="data")
    print(result.decision.note.to_markdown())

A run folder's earlier results (`runfolder.read_previous`) are reused: a clip whose file bytes (content hash)
were measured before, with every space's vector at the same settings, is neither decoded nor re-embedded.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from audiodiag.data import decoding, layout, manifest
from audiodiag.errors import AudioDiagError, BadDataError, InvalidAudioError
from audiodiag.evaluation import duplicates
from audiodiag.measure import dataset
from audiodiag.measure.per_clip import ClipStats
from audiodiag.represent import encoders, spaces
from audiodiag.represent.features import FeatureSettings
from audiodiag.runs.transcription_job import Transcribe
from audiodiag.settings import DEFAULT_ENCODERS, ComparisonSettings
from audiodiag.types import Clip, ClipInfo, LoadFailure, SpeechRegion

if TYPE_CHECKING:  # decide (the comparison and the note) is imported where it runs: worker processes
    from audiodiag.verdict import decide  # (audiodiag.runs.workers) import this module and need none of it

STREAM_BATCH_CLIPS = dataset.MEASURE_BATCH_CLIPS  # clips decoded at a time; VAD batches as `dataset.measure` does
MAX_REASONS = 3  # failures quoted when nothing could be loaded


@dataclass(frozen=True, eq=False)
class Kept:
    """What an earlier run measured for one file (by content hash): reused instead of decoding it again."""

    info: ClipInfo
    stats: ClipStats
    speech: tuple[SpeechRegion, ...]


@dataclass(frozen=True, eq=False)
class KeptVectors:
    """One space's vectors from an earlier run, valid for the settings they were computed with."""

    settings: dict
    rows: dict[str, np.ndarray]  # content hash -> float32 row
    seconds_per_clip: float
    model_mb: float


@dataclass(frozen=True, eq=False)
class Previous:
    clips: dict[str, Kept]  # content hash -> measurements
    vectors: tuple[KeptVectors, ...]

    def vectors_for(self, settings: dict) -> KeptVectors | None:
        return next((v for v in self.vectors if v.settings == settings), None)


@dataclass(frozen=True, eq=False)
class Streamed:
    """Everything kept from the stream: one entry per clip used, in input order."""

    clips: tuple[ClipInfo, ...]
    stats: tuple[ClipStats, ...]
    speech: tuple[tuple[SpeechRegion, ...], ...]
    vectors: tuple[spaces.SpaceVectors, ...]  # the baseline first
    unavailable: tuple[tuple[str, str], ...]  # (space, reason) of encoders that could not run
    failures: tuple[LoadFailure, ...]  # inputs not used, in input order
    n_decoded: int  # clips decoded, measured and embedded in this run (the others came from `previous`)
    transcripts: tuple[str, ...] | None = None  # one per clip when the stream transcribed (`transcribe=`)
    references: tuple[str | None, ...] = ()  # per clip: a manifest row's transcript column, else None

    def exact_duplicates(self) -> list[tuple[int, ...]]:
        """`duplicates.exact_duplicates` of the clips, from the audio hashes kept (no samples needed)."""
        return duplicates.equal_groups(c.audio_hash for c in self.clips)


@dataclass(frozen=True, eq=False)
class StreamedDecision:
    streamed: Streamed
    decision: decide.Decision  # its note includes the encoders that could not run


@dataclass
class _Space:
    name: str
    settings: dict  # what `spaces.space_vectors` records; also the key for reusing a run folder's vectors
    encoder: encoders.Encoder | None  # None for the baseline
    kept: KeptVectors | None
    rows: list[np.ndarray]  # one (d,) row per clip used, in input order
    seconds: float = 0.0  # extraction time of the rows computed here
    computed: int = 0
    all_cached: bool = True
    model_mb: float = 0.0
    features: FeatureSettings = FeatureSettings()  # the baseline's analysis (encoders ignore it)


def baseline_features(space_list: Sequence[_Space]) -> FeatureSettings:
    """The analysis the baseline of these spaces uses (the defaults where there is no baseline)."""
    return next((s.features for s in space_list if s.encoder is None), FeatureSettings())


def space_settings(name: str, *, padding: spaces.PaddingPolicy, layer: int | None,
                   encoder: encoders.Encoder | None,
                   feature_settings: FeatureSettings = FeatureSettings()) -> dict:
    """The settings `spaces.space_vectors` records for this space (vectors are reusable when they match)."""
    settings: dict = {"space": name, "padding": padding.label}
    if encoder is None:
        return {**settings, **feature_settings.as_dict()}
    return {**settings, **spaces.encoder_key(encoder, layer)}


def _failure(row: manifest.ManifestRow, error: InvalidAudioError) -> LoadFailure:
    message = str(error)  # as `manifest.load_row` words it
    return LoadFailure(row.name, message if row.line is None or row.where in message else f"{message} ({row.where})")


def open_item(item, name: str, previous: Previous | None) -> Clip | Kept | LoadFailure:
    """The item as a decoded Clip, as what an earlier run kept for the same bytes, or a LoadFailure."""
    if isinstance(item, LoadFailure):
        return replace(item, name=name)
    if isinstance(item, Clip):
        kept = previous.clips.get(item.content_hash) if previous else None
        return renamed(kept, name, item.label, item.group, item.fold) if kept else replace(item, name=name)
    try:
        if item.segment is not None:  # decoded first: a segment's hash is of its samples, not of the whole file
            clip = manifest.decode(item, name=name)
            kept = previous.clips.get(clip.content_hash) if previous else None
            return renamed(kept, name, item.label, item.group, item.fold) if kept else clip
        data = manifest.read_bytes(item)
        kept = previous.clips.get(decoding.content_hash(data)) if previous else None
        if kept is not None:
            return renamed(kept, name, item.label, item.group, item.fold)
        return decoding.load_clip(data, name=name, label=item.label, group=item.group, fold=item.fold)
    except InvalidAudioError as e:
        return _failure(item, e)


def renamed(kept: Kept, name: str, label: str | None, group: str | None, fold: str | None = None) -> Kept:
    """An earlier run's measurements under this run's name, label, group and fold (the file may have moved)."""
    return Kept(replace(kept.info, name=name, label=label, group=group, fold=fold),
                replace(kept.stats, name=name, label=label, group=group), kept.speech)


def _load_spaces(names: Sequence[str], *, padding: spaces.PaddingPolicy, layer: int | None,
                 previous: Previous | None, say: Callable[[str], None], baseline: bool = True,
                 features: FeatureSettings = FeatureSettings()) -> tuple[list[_Space], list[tuple[str, str]]]:
    """The baseline (unless baseline=False) and each encoder, loaded once; one that cannot load becomes (name,
    reason)."""
    out, unavailable = [], []
    for name in [spaces.BASELINE] * baseline + [n for n in names if not spaces.is_baseline(n)]:
        encoder = None
        if not spaces.is_baseline(name):
            try:
                encoder = encoders.load_encoder(name)
            except AudioDiagError as e:
                unavailable.append((name, str(e)))
                say(f"  {name}: could not run: {e}")
                continue
        settings = space_settings(name, padding=padding, layer=None if encoder is None else layer, encoder=encoder,
                                  feature_settings=features)
        kept = previous.vectors_for(settings) if previous else None
        out.append(_Space(name, settings, encoder, kept, [], features=features))
    return out, unavailable


@dataclass(frozen=True, eq=False)
class BatchResult:
    """One batch of inputs, worked on: what `stream` assembles, whichever engine computed it.

    opened: per input, in input order: a LoadFailure, a Kept reused from `previous`, or None for a clip decoded
    here, whose measurements are the next entry of `computed`. rows: {space: (len(computed), d) vectors}.
    timings: {space: (seconds, clips, all from cache, model MB)} for the rows computed here. failed: {space:
    reason} for an encoder that could not embed this batch (the space is then unavailable for the whole run).
    transcripts: one per computed clip when the stream transcribes.
    """

    opened: list
    sources: list[str | None]  # per input: where its bytes came from (ManifestRow.source), None for a Clip
    computed: list[Kept]
    rows: dict[str, np.ndarray]
    timings: dict[str, tuple[float, int, bool, float]]
    failed: dict[str, str]
    transcripts: list[str] | None = None
    references: list[str | None] | None = None  # per input (failures included): its manifest transcript


def _open_batch(batch: Sequence, names: Sequence[str], previous: Previous | None,
                reusable: Callable[[Kept], bool]) -> list[Clip | Kept | LoadFailure]:
    """`open_item` over a batch; an earlier run's file that lacks a vector in some space is decoded again."""
    opened = [open_item(item, name, previous) for item, name in zip(batch, names, strict=True)]
    for i, o in enumerate(opened):
        if isinstance(o, Kept) and not reusable(o):
            opened[i] = open_item(batch[i], o.info.name, None)
    return opened


def embed_batch(decoded: Sequence[Clip], space_list: Sequence[tuple[str, encoders.Encoder | None]], *,
                padding: spaces.PaddingPolicy, layer: int | None, features: FeatureSettings = FeatureSettings(),
                prepared: dict[str, encoders.Prepared] | None = None) -> tuple[dict, dict, dict]:
    """Each space's vectors for one batch of decoded clips: (rows, timings, failed) as in BatchResult.
    space_list: (space, its loaded encoder or None for the baseline, computed with `features`); a baseline error
    is raised. prepared: per space, its encoder's preparer output made by the workers (`encoders.PreparingEncoder`)."""
    rows: dict[str, np.ndarray] = {}
    timings: dict[str, tuple[float, int, bool, float]] = {}
    failed: dict[str, str] = {}
    for name, encoder in space_list:
        try:
            v = spaces.space_vectors(decoded, name, padding=padding, layer=None if encoder is None else layer,
                                     encoder=encoder, feature_settings=features, prepared=(prepared or {}).get(name))
        except AudioDiagError as e:
            if encoder is None:
                raise
            failed[name] = str(e)
            continue
        rows[name] = v.vectors
        timings[name] = (v.seconds_per_clip * len(decoded), len(decoded) if v.seconds_per_clip ==
                         v.seconds_per_clip else 0, v.from_cache, v.model_mb)
    return rows, timings, failed


def compute_batch(decoded: Sequence[Clip], space_list: Sequence[tuple[str, encoders.Encoder | None]], *,
                  padding: spaces.PaddingPolicy, layer: int | None,
                  features: FeatureSettings = FeatureSettings()) -> tuple[list[Kept], dict, dict, dict]:
    """Measure and embed one batch of decoded clips: (per clip measurements, rows, timings, failed) as in
    BatchResult. space_list: (space, its loaded encoder or None for the baseline)."""
    if not decoded:
        return [], {}, {}, {}
    batch_stats, batch_speech = dataset.measure(decoded)
    rows, timings, failed = embed_batch(decoded, space_list, padding=padding, layer=layer, features=features)
    kept = [Kept(ClipInfo.of(c, audio_hash=duplicates.audio_hash(c)), st, tuple(sp))
            for c, st, sp in zip(decoded, batch_stats, batch_speech, strict=True)]
    return kept, rows, timings, failed


def reusable(space_list: Sequence[_Space]) -> Callable[[Kept], bool]:
    """Whether an earlier run's file can be reused as it is: every space still in use kept its vector."""
    return lambda o: all(s.kept and o.info.content_hash in s.kept.rows for s in space_list)


def local_batches(named: Iterable[tuple], space_list: list[_Space], *, padding: spaces.PaddingPolicy,
                   layer: int | None, batch_size: int, previous: Previous | None,
                   transcribe: Transcribe | None = None) -> Iterator[BatchResult]:
    """The in-process engine: decode, measure and embed (and transcribe) one batch of (item, unique name) at a
    time."""
    for batch in manifest.iter_batches(named, batch_size):
        opened = _open_batch([item for item, _ in batch], [name for _, name in batch], previous,
                             reusable(space_list))
        decoded = [o for o in opened if isinstance(o, Clip)]
        computed, rows, timings, failed = compute_batch(
            decoded, [(s.name, s.encoder) for s in space_list], padding=padding, layer=layer,
            features=baseline_features(space_list))
        texts = transcribe.run(decoded) if transcribe else None
        del decoded
        yield BatchResult([None if isinstance(o, Clip) else o for o in opened], [source_of(i) for i, _ in batch],
                          computed, rows, timings, failed, texts, [reference_of(i) for i, _ in batch])


def reference_of(item) -> str | None:
    """A manifest row's reference transcript (its transcript column), else None."""
    return item.transcript if isinstance(item, manifest.ManifestRow) else None


def source_of(item) -> str | None:
    """Where an input's bytes are (a manifest row's path or URL), for opening one clip again later; None where the
    path alone does not give the clip: a segment of a file (NeMo offset, Lhotse cut) or bytes inside the manifest
    (a Hugging Face Parquet row)."""
    if not isinstance(item, manifest.ManifestRow) or item.segment is not None or item.data is not None:
        return None
    return item.source


def named_items(items: Iterable) -> Iterator[tuple]:
    """(item, its name made unique in input order: "a.wav", "a.wav (2)" ...), as every engine names clips."""
    unique = layout.UniqueNames()
    return ((item, unique(item.name)) for item in items)


def stream(
    items: Iterable[manifest.ManifestRow | LoadFailure | Clip],
    encoder_names: Sequence[str] = DEFAULT_ENCODERS,
    *,
    padding: spaces.PaddingPolicy = spaces.PaddingPolicy(),
    layer: int | None = None,
    batch_size: int = STREAM_BATCH_CLIPS,
    previous: Previous | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Callable[..., Iterator[BatchResult]] | None = None,
    transcribe: Transcribe | None = None,
    baseline: bool = True,
    features: FeatureSettings = FeatureSettings(),
    allow_empty: bool = False,
) -> Streamed:
    """Measure and embed every item, `batch_size` decoded clips at a time, keeping only numbers and vectors.

    items: manifest rows (`manifest.read_manifest`, `layout.iter_folder`), LoadFailures (kept as inputs not
    used) or already decoded Clips (a zip). previous: an earlier run's results (`runfolder.read_previous`).
    engine: what computes the batches (default: this process; `ray_engine.engine(...)` runs them on Ray); it is
    called like `local_batches` with (item, unique name) pairs and must yield BatchResults in input order;
    `workers.engine(n)` shares decoding, measuring and the baseline among n processes.
    transcribe: also transcribe every clip (then `previous` is not used: transcripts come from their own cache).
    baseline: False leaves out the spectral baseline (a transcription run needs no vectors); features: its analysis.
    Raises AudioDiagError when no item could be loaded, naming the first reasons, unless `allow_empty` (then no
    vectors: `audiodiag check` reports every file unreadable as a finding).
    """
    say = progress or (lambda message: None)
    if transcribe:
        previous = None
    space_list, unavailable = _load_spaces(encoder_names, padding=padding, layer=layer, previous=previous, say=say,
                                           baseline=baseline, features=features)
    infos: list[ClipInfo] = []
    texts: list[str] = []
    references: list[str | None] = []
    stats: list[ClipStats] = []
    speech: list[tuple[SpeechRegion, ...]] = []
    failures: list[LoadFailure] = []
    n_decoded = 0
    batches = (engine or local_batches)(named_items(items), space_list, padding=padding, layer=layer,
                                        batch_size=batch_size, previous=previous,
                                        **({"transcribe": transcribe} if transcribe else {}))
    for result in batches:
        for name, reason in result.failed.items():  # an encoder that fails mid-stream: unavailable, like one
            for s in [s for s in space_list if s.name == name]:  # that cannot load
                space_list.remove(s)
                unavailable.append((name, reason))
                say(f"  {name}: could not run: {reason}")
        n_decoded += len(result.computed)
        new = iter(result.computed)
        order = []  # per used item: the Kept it reused, or None for one computed here
        for o, source, reference in zip(result.opened, result.sources,
                                        result.references or [None] * len(result.opened), strict=True):
            if isinstance(o, LoadFailure):
                failures.append(o)
                continue
            kept = o if o is not None else next(new)
            order.append(o)
            infos.append(replace(kept.info, source=source))
            references.append(reference)
            stats.append(kept.stats)
            speech.append(kept.speech)
        texts += result.transcripts or []
        for s in space_list:
            seconds, count, from_cache, model_mb = result.timings.get(s.name, (0.0, 0, True, s.model_mb))
            s.seconds, s.computed = s.seconds + seconds, s.computed + count
            s.all_cached = s.all_cached and from_cache
            s.model_mb = model_mb
            fresh = iter(result.rows.get(s.name, ()))
            s.rows += [s.kept.rows[k.info.content_hash] if k is not None else next(fresh) for k in order]
        say(f"  streamed {len(infos) + len(failures)} inputs ({n_decoded} decoded)")
    if not infos and not allow_empty:
        reasons = "; ".join(f.message for f in failures[:MAX_REASONS]) + (
            f"; and {len(failures) - MAX_REASONS} more" if len(failures) > MAX_REASONS else "")
        raise BadDataError(f"no audio could be loaded: {reasons}")
    vectors = tuple(_space_vectors(s) for s in space_list) if infos else ()  # no clip: no rows to stack
    return Streamed(tuple(infos), tuple(stats), tuple(speech), vectors, tuple(unavailable), tuple(failures),
                    n_decoded, tuple(texts) if transcribe else None, tuple(references))


def _space_vectors(s: _Space) -> spaces.SpaceVectors:
    """One space's rows as `spaces.space_vectors` would return them for all clips at once."""
    seconds = s.seconds / s.computed if s.computed else s.kept.seconds_per_clip if s.kept else float("nan")
    model_mb = s.model_mb if s.computed or not s.kept else s.kept.model_mb
    from_cache = s.encoder is not None and s.all_cached
    return spaces.SpaceVectors(s.name, np.stack(s.rows).astype(np.float32, copy=False), seconds, model_mb,
                               from_cache, s.settings)


def classify_stream(
    items: Iterable[manifest.ManifestRow | LoadFailure | Clip],
    settings: ComparisonSettings = ComparisonSettings(),
    *,
    dataset_name: str = "dataset",
    batch_size: int = STREAM_BATCH_CLIPS,
    previous: Previous | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Callable[..., Iterator[BatchResult]] | None = None,
) -> StreamedDecision:
    """`decide.run_classification` on streamed items: the same comparison, curves, audit and note, from the
    kept numbers and vectors (the note does not list the failures: add them with `notes.with_input_problems`),
    the spectral baseline computed with `settings.features`."""
    from audiodiag.verdict import decide

    say = progress or (lambda message: None)
    say(f"Streaming (decode, levels, VAD, vectors; {batch_size} clips at a time) ...")
    streamed = stream(items, settings.encoders, padding=settings.padding, layer=settings.layer, batch_size=batch_size,
                      previous=previous, progress=say, engine=engine, features=settings.features)
    decision = decide.decide_measured(
        dataset_name, streamed.clips, streamed.vectors, streamed.stats, streamed.speech, streamed.unavailable,
        settings, say=say, exact=streamed.exact_duplicates())
    return StreamedDecision(streamed, decision)
