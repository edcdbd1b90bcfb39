"""Datasets of any size through the classification pipeline, one batch of decoded audio at a time.

Rows (a manifest, a folder walked lazily, or already loaded clips) go through the same library calls as
`decide.run_classification`, batch by batch: decode → `dataset.measure` (levels, VAD) → baseline features →
encoder vectors (through the on-disk embedding cache). Only per-clip numbers, a light `ClipInfo` per clip and the
vectors are kept; the decoded samples of a batch are dropped before the next is read, so memory grows with the
number of clips by those numbers, not by their audio. Cross-validation, learning curves, audit, duplicates and
the note then run as today on what was kept, and give the same note as the in-memory run.

>>> rows = manifest.iter_folder("data/")
>>> result = run_classification(rows, ["speech_embedding"], dataset_name="data")
>>> print(result.decision.note.to_markdown())

A run folder's earlier results (`runfolder.read_previous`) are reused: a clip whose file bytes (content hash)
were measured before, with every space's vector at the same settings, is neither decoded nor re-embedded.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag import dataset, decide, duplicates, encoders, io, manifest, spaces
from audiodiag.checks import ClipStats
from audiodiag.errors import AudioDiagError, InvalidAudioError
from audiodiag.features import FeatureSettings
from audiodiag.types import Clip, ClipInfo, LoadFailure, SpeechRegion

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


def space_settings(name: str, *, padding: spaces.PaddingPolicy, layer: int | None,
                   encoder: encoders.Encoder | None,
                   feature_settings: FeatureSettings = FeatureSettings()) -> dict:
    """The settings `spaces.space_vectors` records for this space (vectors are reusable when they match)."""
    settings: dict = {"space": name, "padding": padding.label}
    if encoder is None:
        return {**settings, **feature_settings.as_dict()}
    return {**settings, **spaces.encoder_key(encoder, layer)}


def exact_groups(clips: Sequence[ClipInfo]) -> list[tuple[int, ...]]:
    """`duplicates.exact_duplicates` from the audio hashes kept per clip (no samples needed)."""
    seen: dict[str, list[int]] = {}
    for i, clip in enumerate(clips):
        seen.setdefault(clip.audio_hash, []).append(i)
    return [tuple(members) for members in seen.values() if len(members) > 1]


class _UniqueNames:
    """`io.unique_names` one item at a time: a repeated name becomes "a.wav (2)". (A later file literally named
    "a.wav (2)" is then renamed in turn, where the in-memory rule would rename the earlier one.)"""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        unique, count = name, 2
        while unique in self.taken:
            unique, count = f"{name} ({count})", count + 1
        self.taken.add(unique)
        return unique


def _failure(row: manifest.ManifestRow, error: InvalidAudioError) -> LoadFailure:
    message = str(error)  # as `manifest.load_row` words it
    return LoadFailure(row.name, message if row.line is None or row.where in message else f"{message} ({row.where})")


def _open(item, name: str, previous: Previous | None) -> Clip | Kept | LoadFailure:
    """The item as a decoded Clip, as what an earlier run kept for the same bytes, or a LoadFailure."""
    if isinstance(item, LoadFailure):
        return replace(item, name=name)
    if isinstance(item, Clip):
        kept = previous.clips.get(item.content_hash) if previous else None
        return _renamed(kept, name, item.label, item.group) if kept else replace(item, name=name)
    try:
        data = manifest.read_bytes(item)
        kept = previous.clips.get(io.content_hash(data)) if previous else None
        if kept is not None:
            return _renamed(kept, name, item.label, item.group)
        return io.load_clip(data, name=name, label=item.label, group=item.group)
    except InvalidAudioError as e:
        return _failure(item, e)


def _renamed(kept: Kept, name: str, label: str | None, group: str | None) -> Kept:
    """An earlier run's measurements under this run's name, label and group (the file may have moved)."""
    return Kept(replace(kept.info, name=name, label=label, group=group),
                replace(kept.stats, name=name, label=label, group=group), kept.speech)


def _load_spaces(names: Sequence[str], *, padding: spaces.PaddingPolicy, layer: int | None,
                 previous: Previous | None, say: Callable[[str], None]) -> tuple[list[_Space], list[tuple[str, str]]]:
    """The baseline and each encoder, loaded once; one that cannot load becomes (name, reason)."""
    out, unavailable = [], []
    for name in [spaces.BASELINE, *[n for n in names if not spaces.is_baseline(n)]]:
        encoder = None
        if not spaces.is_baseline(name):
            try:
                encoder = encoders.load_encoder(name)
            except AudioDiagError as e:
                unavailable.append((name, str(e)))
                say(f"  {name}: could not run: {e}")
                continue
        settings = space_settings(name, padding=padding, layer=None if encoder is None else layer, encoder=encoder)
        kept = previous.vectors_for(settings) if previous else None
        out.append(_Space(name, settings, encoder, kept, []))
    return out, unavailable


def stream(
    items: Iterable[manifest.ManifestRow | LoadFailure | Clip],
    encoder_names: Sequence[str] = decide.DEFAULT_ENCODERS,
    *,
    padding: spaces.PaddingPolicy = spaces.PaddingPolicy(),
    layer: int | None = None,
    batch_size: int = STREAM_BATCH_CLIPS,
    previous: Previous | None = None,
    progress: Callable[[str], None] | None = None,
) -> Streamed:
    """Measure and embed every item, `batch_size` decoded clips at a time, keeping only numbers and vectors.

    items: manifest rows (`manifest.read_manifest`, `manifest.iter_folder`), LoadFailures (kept as inputs not
    used) or already decoded Clips (a zip). previous: an earlier run's results (`runfolder.read_previous`).
    Raises AudioDiagError when no item could be loaded, naming the first reasons.
    """
    say = progress or (lambda message: None)
    space_list, unavailable = _load_spaces(encoder_names, padding=padding, layer=layer, previous=previous, say=say)
    infos: list[ClipInfo] = []
    stats: list[ClipStats] = []
    speech: list[tuple[SpeechRegion, ...]] = []
    failures: list[LoadFailure] = []
    unique, n_decoded = _UniqueNames(), 0
    for batch in manifest.iter_batches(items, batch_size):
        opened = [_open(item, unique(item.name), previous) for item in batch]
        for i, o in enumerate(opened):  # a space without a kept vector for this file: decode it again
            if isinstance(o, Kept) and not all(s.kept and o.info.content_hash in s.kept.rows for s in space_list):
                opened[i] = _open(batch[i], o.info.name, None)
        decoded = [o for o in opened if isinstance(o, Clip)]
        computed, rows = _compute(decoded, space_list, unavailable, padding=padding, layer=layer, say=say)
        del decoded
        n_decoded += len(computed)
        new = iter(range(len(computed)))
        order = []  # per used item: ("new", index into computed) or ("kept", Kept)
        for o in opened:
            if isinstance(o, LoadFailure):
                failures.append(o)
                continue
            kept = computed[next(new)] if isinstance(o, Clip) else o
            order.append(kept if isinstance(o, Kept) else None)
            infos.append(kept.info)
            stats.append(kept.stats)
            speech.append(kept.speech)
        del opened
        for s in space_list:
            fresh = iter(rows[s.name]) if s.name in rows else iter(())
            s.rows += [s.kept.rows[k.info.content_hash] if k is not None else next(fresh) for k in order]
        say(f"  streamed {len(infos) + len(failures)} inputs ({n_decoded} decoded)")
    if not infos:
        reasons = "; ".join(f.message for f in failures[:MAX_REASONS]) + (
            f"; and {len(failures) - MAX_REASONS} more" if len(failures) > MAX_REASONS else "")
        raise AudioDiagError(f"no audio could be loaded: {reasons}")
    vectors = tuple(_space_vectors(s) for s in space_list)
    return Streamed(tuple(infos), tuple(stats), tuple(speech), vectors, tuple(unavailable), tuple(failures),
                    n_decoded)


def _compute(clips: list[Clip], space_list: list[_Space], unavailable: list[tuple[str, str]], *,
             padding: spaces.PaddingPolicy, layer: int | None,
             say: Callable[[str], None]) -> tuple[list[Kept], dict[str, np.ndarray]]:
    """Measure and embed one batch of decoded clips: (per clip, {space: (n, d) vectors}); the samples go out of
    scope with the batch."""
    if not clips:
        return [], {}
    rows: dict[str, np.ndarray] = {}
    batch_stats, batch_speech = dataset.measure(clips)
    for s in list(space_list):
        try:
            v = spaces.space_vectors(clips, s.name, padding=padding, layer=None if s.encoder is None else layer,
                                     encoder=s.encoder)
        except AudioDiagError as e:
            if s.encoder is None:
                raise
            space_list.remove(s)  # an encoder that fails mid-stream is reported like one that cannot load
            unavailable.append((s.name, str(e)))
            say(f"  {s.name}: could not run: {e}")
            continue
        rows[s.name] = v.vectors
        if v.seconds_per_clip == v.seconds_per_clip:
            s.seconds += v.seconds_per_clip * len(clips)
            s.computed += len(clips)
        s.all_cached = s.all_cached and v.from_cache
        s.model_mb = v.model_mb
    return [Kept(ClipInfo.of(c, audio_hash=duplicates.audio_hash(c)), st, tuple(sp))
            for c, st, sp in zip(clips, batch_stats, batch_speech)], rows


def _space_vectors(s: _Space) -> spaces.SpaceVectors:
    """One space's rows as `spaces.space_vectors` would return them for all clips at once."""
    seconds = s.seconds / s.computed if s.computed else s.kept.seconds_per_clip if s.kept else float("nan")
    model_mb = s.model_mb if s.computed or not s.kept else s.kept.model_mb
    from_cache = s.encoder is not None and s.all_cached
    return spaces.SpaceVectors(s.name, np.stack(s.rows).astype(np.float32, copy=False), seconds, model_mb,
                               from_cache, s.settings)


def run_classification(
    items: Iterable[manifest.ManifestRow | LoadFailure | Clip],
    encoder_names: Sequence[str] = decide.DEFAULT_ENCODERS,
    *,
    dataset_name: str = "dataset",
    n_splits: int = 5,
    group_aware: bool = True,
    padding: spaces.PaddingPolicy = spaces.PaddingPolicy(),
    layer: int | None = None,
    seed: int = 0,
    batch_size: int = STREAM_BATCH_CLIPS,
    previous: Previous | None = None,
    progress: Callable[[str], None] | None = None,
    interface: str = "cli",
) -> StreamedDecision:
    """`decide.run_classification` on streamed items: the same comparison, curves, audit and note, from the
    kept numbers and vectors (the note does not list the failures: add them with `report.with_input_problems`)."""
    say = progress or (lambda message: None)
    say(f"Streaming (decode, levels, VAD, vectors; {batch_size} clips at a time) ...")
    streamed = stream(items, encoder_names, padding=padding, layer=layer, batch_size=batch_size, previous=previous,
                      progress=say)
    decision = decide.decide_measured(
        dataset_name, streamed.clips, streamed.vectors, streamed.stats, streamed.speech, streamed.unavailable,
        n_splits=n_splits, group_aware=group_aware, padding=padding, seed=seed, interface=interface, say=say,
        exact=exact_groups(streamed.clips))
    return StreamedDecision(streamed, decision)
