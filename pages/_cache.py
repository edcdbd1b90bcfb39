"""The pages' st.cache_* wrappers around the library: measurements, plots, vectors, comparisons, the decision,
UMAP, retrieval, duplicates, transcripts and WER.

Data is keyed by content hash, so the same clips are decoded and analysed once per server, whichever page asks
first. Parameters starting with `_` are not hashed: each such wrapper takes the content hash (or the clips) as a
hashed parameter too.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from audiodiag.errors import AudioDiagError
from audiodiag.measure import cache as measure_cache
from audiodiag.measure import dataset as ds
from audiodiag.measure import per_clip
from audiodiag.measure.per_clip import ClipStats
from audiodiag.plots.audio import spectrogram_figure, waveform_figure
from audiodiag.represent import encoders
from audiodiag.types import Clip, Finding
from pages import _fixes as wording
from pages._display import MISSING, STATS_FORMATS, md_escape, shown_stats, stats_order, stats_table
from pages._tables import table_layout

if TYPE_CHECKING:
    from audiodiag.evaluation import compare
    from audiodiag.measure import speakers
    from audiodiag.represent import spaces
    from audiodiag.runs import pool
    from audiodiag.settings import ComparisonSettings
    from pages._dataset import Dataset

# Inspect's first waveform needs only the measuring and plotting modules above: the comparison, speaker, settings
# and worker-pool modules are imported where they are used (0.10-0.15 s of CPU at a server's first run, measured).


def _clip_key(clip: Clip) -> tuple:
    return (clip.content_hash, clip.name, clip.label, clip.group, clip.sample_rate_hz)


_HASH = {Clip: _clip_key}


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=4096)
def _measure(clips: tuple[Clip, ...], _pool: pool.Launch | None = None):
    """`_pool` only changes where the numbers are computed, not what they are: it is not part of the key. Clips
    measured before (by this server or an earlier one) are read from the disk cache."""
    if _pool is None:
        return measure_cache.cached_measure(clips)
    from audiodiag.runs import pool, workers

    return measure_cache.cached_measure(
        clips, measure=lambda todo: workers.measure(todo, launch=_pool, workers=pool.usable_cores()))


def default_encoders(data: Dataset) -> tuple[str, ...]:
    """The frozen encoders a page starts with (`settings.default_encoders`): the sidebar's target model when it is
    bundled, a sound encoder when the clips are mostly not speech (measured here, cached for every page)."""
    from audiodiag import settings as run_settings

    return run_settings.default_encoders(target=data.target.name, dataset_speech=analyse(data).speech_fraction)


def analyse(data: Dataset, *, clip_length_s: float | None = None, partial_table=None) -> ds.DatasetAnalysis:
    """Dataset report with a progress bar. The expensive per-clip part (VAD, levels, bandwidth) is cached by
    content hash in batches, so other pages and changed settings (target model, clip length) reuse it.

    partial_table: an st.empty() that shows the per-clip rows measured so far while the rest are measured.
    """
    from audiodiag.runs import pool, workers

    bar = st.progress(0.0, text="Measuring clips ...")
    measured: list[ClipStats] = []
    # a small dataset (the bundled ones) is measured here: a pool would cost more than it saves, and starting
    # one would compete with the first paint for the CPU; a large one on the server's one pool (`pool.kept`),
    # started the first time (this process measures meanwhile) and kept for every later one
    launch = pool.kept(pool.usable_cores()) if workers.worth_a_pool(data.clips) else None

    def measure_batch(clips):
        stats, speech = _measure(tuple(clips), launch)
        measured.extend(stats)
        if partial_table is not None and len(measured) < len(data.clips):
            so_far = shown_stats(stats_table(tuple(measured), {}))  # laid out as the finished table will be
            partial_table.dataframe(so_far, hide_index=True, width="stretch", placeholder=MISSING,
                                    column_order=stats_order(so_far), column_config=table_layout(
                                        so_far, formats=STATS_FORMATS, order=stats_order(so_far),
                                        placeholder=MISSING).column_config)
        return stats, speech

    report = ds.analyse(data.clips, spec=data.target, clip_length_s=clip_length_s, measure_batch=measure_batch,
                        progress=lambda fraction, message: bar.progress(fraction, text=message))
    bar.empty()
    if partial_table is not None:
        partial_table.empty()
    return report


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=256)
def _measure_one(clip: Clip):
    return measure_cache.cached_measure((clip,), loudness=False)


def measure_clip(clip: Clip) -> tuple[ClipStats, tuple, tuple[Finding, ...]]:
    """One clip's measurements, speech regions and warnings (what Inspect's clip view needs before the dataset
    is measured): the same functions as the dataset report, so the numbers agree with its table. Loudness is
    left out (see checks.clip_stats; no warning depends on it alone): the dataset report has it."""
    (stats,), (speech,) = _measure_one(clip)
    return stats, tuple(speech), tuple(per_clip.clip_findings(stats))


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=256)
def waveform(clip: Clip, speech: tuple | None, title_suffix: str = ""):
    """speech None: not measured yet (no speech shading, no legend entry claiming there is none)."""
    return waveform_figure(clip.samples, sample_rate_hz=clip.sample_rate_hz, speech=speech or (),
                           title="Waveform" + title_suffix)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=256)
def spectrogram(clip: Clip, title_suffix: str = ""):
    return spectrogram_figure(clip.samples, sample_rate_hz=clip.sample_rate_hz,
                              title="Log-mel spectrogram" + title_suffix,
                              original_sample_rate_hz=clip.original_sample_rate_hz)


# ---------------------------------------------------------------- spaces and comparisons (Compare, Embeddings, Decide)

@st.cache_resource(show_spinner="Loading the encoder ...", max_entries=4)
def encoder_model(name: str) -> encoders.Encoder:
    """One loaded model per server, shared by every session and page."""
    return encoders.load_encoder(name)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=32)
def _space_vectors(clips: tuple[Clip, ...], space: str, padding_s: float | None, layer: int | None,
                   feature_settings: tuple[int, ...]) -> spaces.SpaceVectors:
    from audiodiag.represent import spaces
    from audiodiag.represent.features import FeatureSettings

    # the bar is created inside: Streamlit replays elements made in a cached function on a hit
    label = md_escape(space)
    bar = st.progress(0.0, text=f"{label}: vectors for {len(clips)} clips ...")
    encoder = None if spaces.is_baseline(space) else encoder_model(space)
    vectors = spaces.space_vectors(
        clips, space, padding=spaces.PaddingPolicy(padding_s), layer=layer, encoder=encoder,
        feature_settings=FeatureSettings(*feature_settings),
        progress=lambda done, total: bar.progress(done / max(total, 1), text=f"{label}: encoded {done} of {total} clips"))
    bar.empty()
    return vectors


def space_vectors(data: Dataset, space: str, settings: ComparisonSettings) -> spaces.SpaceVectors:
    """Vectors of the sidebar dataset in one space (its padding, layer and baseline features from `settings`), with
    a progress bar; cached in memory and (encoders) on disk. Raises AudioDiagError (unknown encoder, hub
    unreachable) for the page to show."""
    from audiodiag.represent import spaces

    layer = None if spaces.is_baseline(space) else settings.layer
    return _space_vectors(data.clips, space, settings.pad_s, layer, astuple(settings.features))


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _compare(clips: tuple[Clip, ...], space_names: tuple[str, ...], n_splits: int, group_aware: bool,
             padding_s: float | None, layer: int | None, feature_settings: tuple[int, ...], seed: int,
             voices: tuple, _vectors: tuple[spaces.SpaceVectors, ...],
             _speakers: speakers.SpeakerEstimate | None = None) -> compare.Comparison:
    from audiodiag.evaluation import compare
    from audiodiag.represent import spaces

    bar = st.progress(0.0, text="Cross-validating every space on the same folds ...")
    result = compare.compare(clips, _vectors, n_splits=n_splits, group_aware=group_aware,
                             padding=spaces.PaddingPolicy(padding_s), seed=seed,
                             progress=lambda fraction, message: bar.progress(fraction, text=md_escape(message)),
                             speakers=_speakers)
    bar.empty()
    return result


def run_comparison(data: Dataset, settings: ComparisonSettings) -> tuple[compare.Comparison, tuple[tuple[str, str], ...]]:
    """Baseline first, then each encoder: vectors (cached) and the cross-validated comparison (cached).

    Returns (comparison of the spaces that ran, ((encoder, why it could not run), ...)): one encoder that is not
    installed or needs the hub offline never discards the others. Raises AudioDiagError when the baseline or the
    comparison itself fails (bad labels), for the page to show.
    """
    from audiodiag.represent import spaces

    vectors, unavailable = spaces.vectors_per_space(list(settings.spaces), lambda s: space_vectors(data, s, settings))
    estimate = speaker_estimate(data)
    result = _compare(data.clips, tuple(v.space for v in vectors), settings.n_splits, settings.group_aware,
                      settings.pad_s, settings.layer, astuple(settings.features), settings.seed,
                      (estimate.status, estimate.voices), tuple(vectors), estimate)
    return result, tuple(unavailable)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _speaker_estimate(clips: tuple[Clip, ...], speech_share: float) -> speakers.SpeakerEstimate:
    from audiodiag.measure import speakers

    with st.spinner(f"Voices: inferring speakers for {len(clips)} clips (speaker encoder) ..."):
        return speakers.estimate_speakers(clips, speech_share=speech_share)


def speaker_estimate(data: Dataset) -> speakers.SpeakerEstimate:
    """Voices inferred from the sidebar dataset (speech only; vectors disk-cached), or why not: the estimated
    leakage check without a group column, the group column's check with one (`speakers.estimate_speakers`)."""
    return _speaker_estimate(data.clips, float(analyse(data).speech_fraction))


# ---------------------------------------------------------------- decision (Decide)

@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _decision(clips: tuple[Clip, ...], dataset_name: str, settings_key: str, seed: int, unavailable: tuple,
              _vectors, _comparison, _report):
    from audiodiag.verdict import decide

    bar = st.progress(0.0, text="Learning curves ...")
    decision = decide.classification_decision(
        dataset_name, clips, _vectors, _comparison, _report.stats, _report.speech, seed=seed,
        unavailable=unavailable, progress=lambda fraction, message: bar.progress(fraction, text=md_escape(message)))
    bar.empty()
    return decision.rendered(wording.APP)


def classification_decision(data: Dataset, settings: ComparisonSettings):
    """The comparison (shared with the Compare page's cache), then curves, audit and the note; cached."""
    import json

    result, unavailable = run_comparison(data, settings)
    vectors = tuple(space_vectors(data, r.space, settings) for r in result.rungs)
    report = analyse(data)
    return _decision(data.clips, data.name, json.dumps(settings.to_dict(), sort_keys=True), settings.seed,
                     tuple(unavailable), vectors, result, report)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=8)
def _all_layers(clips: tuple[Clip, ...], name: str) -> dict[str, np.ndarray]:
    with st.spinner(f"Hidden states of every layer of {md_escape(name)} for {len(clips)} clips ..."):
        return encoder_model(name).embed_all_layers(clips)


def all_layers(data: Dataset, name: str) -> dict[str, np.ndarray]:
    """Every hidden layer pooled (mean, mean+std) for a Hugging Face encoder: one extraction, cached."""
    return _all_layers(data.clips, name)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=4)
def _finetune(clips: tuple[Clip, ...], request_key: str, fold_of_sample: tuple[int, ...], _folds):
    import json

    from audiodiag.evaluation import finetune

    request = json.loads(request_key)
    settings = finetune.FinetuneSettings(top_layers=request["top_layers"], epochs=request["epochs"],
                                         learning_rate=request["learning_rate"])
    bar = st.progress(0.0, text="Fine-tuning ...")  # inside: replayed on a cache hit
    result = finetune.finetune_cross_validated(
        encoder_model(request["model"]), clips, [c.label for c in clips], _folds, settings,
        progress=lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=md_escape(message)))
    bar.empty()
    return result


def finetune_run(data: Dataset, request: dict, folds):
    """Partial fine-tuning on the comparison's folds, with a progress bar; cached per clips and settings."""
    import json

    return _finetune(data.clips, json.dumps(request, sort_keys=True), tuple(int(f) for f in folds.fold_of_sample),
                     folds)


# ---------------------------------------------------------------- embeddings (Embeddings page)

def vectors_digest(vectors: np.ndarray) -> str:
    """Content hash of a vector matrix (dtype, shape and every value): the cache key of what is computed on it."""
    import hashlib

    array = np.ascontiguousarray(vectors)
    digest = hashlib.blake2b(f"{array.dtype}{array.shape}".encode(), digest_size=16)
    digest.update(array.tobytes())
    return digest.hexdigest()


@st.cache_data(show_spinner=False, max_entries=64)
def _umap(digest: str, n_neighbors: int, min_dist: float, n_epochs: int | None, _vectors: np.ndarray):
    from audiodiag.evaluation import projection

    return projection.umap_2d(_vectors, n_neighbors=n_neighbors, min_dist=min_dist, n_epochs=n_epochs)


def umap_projection(vectors: spaces.SpaceVectors, *, n_neighbors: int, min_dist: float, n_epochs: int | None = None):
    """UMAP map of one space, cached on the vectors' content hash and the UMAP settings only: colouring the
    map differently reuses it. Raises AudioDiagError (too few clips) for the page to show."""
    return _umap(vectors_digest(vectors.vectors), int(n_neighbors), float(min_dist), n_epochs, vectors.vectors)


@st.cache_data(show_spinner=False, max_entries=64)
def _retrieval(digest: str, space: str, labels: tuple, groups: tuple | None, exclude_same_group: bool, n_boot: int,
               _vectors: np.ndarray):
    from audiodiag.evaluation import retrieval

    return retrieval.retrieval_metrics(_vectors, list(labels), groups=None if groups is None else list(groups),
                                       exclude_same_group=exclude_same_group, n_boot=n_boot, space=space)


def retrieval_metrics(data: Dataset, vectors: spaces.SpaceVectors, *, exclude_same_group: bool = False,
                      n_boot: int = 1000):
    """Leave-one-out retrieval metrics of one space on the sidebar dataset, cached (vectors' hash + settings).
    Groups are used when every clip has one. Scored on the clips in `order.canonical_order`, as the CLI scores
    them, so the upload's order changes no number (per-query values and `unscored` follow that order)."""
    from audiodiag.data.order import canonical_order

    canonical = canonical_order(data.clips)
    clips, rows = [data.clips[i] for i in canonical], np.asarray(vectors.vectors)[canonical]
    groups = tuple(c.group for c in clips)
    return _retrieval(vectors_digest(rows), vectors.space, tuple(c.label for c in clips),
                      groups if all(g is not None for g in groups) else None, bool(exclude_same_group), int(n_boot),
                      rows)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def exact_duplicates(clips: tuple[Clip, ...]) -> list[tuple[int, ...]]:
    """Groups of clips with identical decoded audio (audiodiag.evaluation.duplicates), cached per dataset."""
    from audiodiag.evaluation import duplicates

    return duplicates.exact_duplicates(clips)


@st.cache_data(show_spinner=False, max_entries=64)
def _near_duplicates(digest: str, space: str, exact: tuple, _vectors: np.ndarray):
    from audiodiag.evaluation import duplicates

    return duplicates.near_duplicates(_vectors, space=space, exact=exact)


def near_duplicates(vectors: spaces.SpaceVectors, exact: Sequence[tuple[int, ...]]):
    """Near-duplicate pairs in one space (cosine ≥ duplicates.NEAR_DUPLICATE_COSINE), exact ones left out; cached."""
    return _near_duplicates(vectors_digest(vectors.vectors), vectors.space, tuple(map(tuple, exact)), vectors.vectors)


def duplicate_statement(data: Dataset, settings) -> list[Finding]:
    """The identical-clip findings for this dataset against the folds of the Compare page's `settings`
    (`_links.comparison_settings`; when the clips can be split): the same finding, word for word, that Compare,
    Embeddings and Decide show."""
    from audiodiag.evaluation import duplicates
    from audiodiag.evaluation.folds import comparison_folds

    exact = exact_duplicates(data.clips)
    if not duplicates.exact_pairs(exact):
        return []
    try:
        folds = comparison_folds(data.clips, n_splits=settings.n_splits, group_aware=settings.group_aware)
    except AudioDiagError:
        folds = None
    return [f for f in duplicates.leakage_findings(data.clips, folds, exact=exact)
            if f.code.startswith("duplicate")]



# ---------------------------------------------------------------- transcription (Transcribe)

@st.cache_resource(show_spinner="Loading the ASR model ...", max_entries=3)
def transcriber(name: str):
    """One loaded ASR model per server, shared by every session."""
    from audiodiag.asr import recognisers

    return recognisers.load_transcriber(name)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _transcripts(clips: tuple[Clip, ...], model: str, settings: tuple) -> list[str]:
    from audiodiag.asr import recognisers

    bar = st.progress(0.0, text=f"{md_escape(model)}: transcribing {len(clips)} utterances ...")
    texts = recognisers.transcribe_cached(transcriber(model), clips, recognisers.DecodingSettings(*settings),
                                          progress=lambda done, total: bar.progress(
                                              done / total, text=f"Transcribed {done} of {total}"))
    bar.empty()
    return texts


def transcripts(clips: tuple[Clip, ...], model: str, settings: tuple) -> list[str]:
    """Transcripts with a progress bar per utterance; cached in memory and on disk (audio hash, model, settings)."""
    return _transcripts(clips, model, tuple(settings))


# ---------------------------------------------------------------- WER scoring (Transcribe)

@st.cache_data(show_spinner="Scoring transcripts ...", max_entries=32)
def wer_scores(references: tuple[str, ...], hypotheses: tuple[str, ...], normalisation: str):
    """audiodiag.asr.wer.score, cached on the texts and the normalisation. Raises AudioDiagError (all references
    empty) for the page to show."""
    from audiodiag.asr import wer

    return wer.score(list(references), list(hypotheses), normalisation=normalisation)


@st.cache_data(show_spinner=False, max_entries=32)
def wer_slices(references: tuple[str, ...], hypotheses: tuple[str, ...], normalisation: str,
               slices: tuple[tuple[str, tuple[str, ...]], ...]):
    """Corpus WER with a CI per slice value; `slices` is ((slice name, one value per utterance), ...)."""
    from audiodiag.asr import wer

    return wer.slice_scores(wer_scores(references, hypotheses, normalisation), dict(slices))


@st.cache_data(show_spinner="Paired bootstrap of the two systems ...", max_entries=16)
def wer_comparison(references: tuple[str, ...], hypotheses_a: tuple[str, ...], hypotheses_b: tuple[str, ...],
                   normalisation: str):
    """System B against A on the same utterances: per-utterance differences and the paired bootstrap."""
    from audiodiag.asr import wer

    return wer.compare_systems(wer_scores(references, hypotheses_a, normalisation),
                               wer_scores(references, hypotheses_b, normalisation))
