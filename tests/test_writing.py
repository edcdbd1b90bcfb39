"""Writing (issue #27): every finding message and readiness reason that a decision note quotes has no sentence
over 35 words and names a model at most once per sentence. Each message is built here on synthetic data that
triggers it, at its longest: file lists full (5 names and "and N more"), several models, aggregated rows."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from audiodiag import cli, fixes
from audiodiag.asr import transcript_checks as tc
from audiodiag.evaluation import audit, duplicates, finetune, label_issues
from audiodiag.evaluation.compare import CLASSIFIER
from audiodiag.evaluation.duplicates import DuplicatePair, NearDuplicates
from audiodiag.evaluation.folds import Folds, make_folds
from audiodiag.measure import dataset, levels, per_clip
from audiodiag.represent import encoders
from audiodiag.types import Clip
from pages import _fixes as wording
from tests.helpers import long_sentences, make_clip, noise, sentences

WHISPER = encoders.get_spec("whisper-tiny.en encoder (unpadded)")
WHISPER_PADDED = encoders.get_spec("whisper-tiny.en encoder (30 s padded)")
SPEECH_MODELS = [s for s in encoders.CATALOGUE.values() if s.speech_model]
FIXED_WINDOW = encoders.EncoderSpec("some-model with a window", 16_000, False, fixed_input_s=10.0)


def _stats(name: str, **fields) -> per_clip.ClipStats:
    """A clean 1-s, 16 kHz mono clip's measurements, with `fields` set."""
    clean = dict(label=None, group=None, sample_rate_hz=16_000, channels=1, bit_depth=16, subtype="PCM_16",
                 duration_s=1.0, peak_dbfs=-6.0, rms_dbfs=-20.0, clipping_fraction=0.0, dc_offset=0.0,
                 silence_ratio=0.1, leading_silence_s=0.0, trailing_silence_s=0.0, effective_bandwidth_hz=7000.0,
                 band_limit_hz=8000.0, band_edge_drop_db=0.0, speech_fraction=0.0, non_finite_samples=0,
                 loudness_lufs=-23.0)
    return per_clip.ClipStats(name=name, **{**clean, **fields})


def _many(n: int = 120, *, speaker: str = "speaker", **fields) -> list[per_clip.ClipStats]:
    """`n` clips named like the bundled sets' (folder/speaker_take.wav)."""
    return [_stats(f"{i % 10}/{speaker}_{i}.wav", **fields) for i in range(n)]


def _check(text: str, *models: str) -> None:
    assert long_sentences(text) == [], text
    for model in models:
        assert all(s.count(model) <= 1 for s in sentences(text)), f"{model} named twice in a sentence: {text}"


def _aggregated(findings_per_clip: list[list]) -> list:
    """The dataset rows `dataset.aggregate` makes of these per-clip findings (the longest form: N clips, also ...)."""
    return dataset.aggregate({fs[0].files[0]: tuple(fs) for fs in findings_per_clip if fs})


# ---------------------------------------------------------------- dataset.py

@pytest.mark.parametrize("rate", [8_000, 44_100])
def test_resampling_findings_are_short_sentences(rate):
    (finding,) = dataset.sample_rate_findings(_many(sample_rate_hz=rate), WHISPER)
    assert finding.code == "sample_rate_mismatch" and "and 115 more" in finding.message
    _check(finding.message, WHISPER.name)


@pytest.mark.parametrize("labelled, rates", [(True, (8_000, 16_000)), (False, (8_000, 11_025, 16_000)),
                                             (False, (16_000, 44_100))])
def test_mixed_rate_and_channel_findings_are_short_sentences(labelled, rates):
    stats = [replace(s, sample_rate_hz=rates[i % len(rates)], channels=(1, 2, 6)[i % 3],
                     label="dog" if labelled else None) for i, s in enumerate(_many())]
    found = {f.code: f for f in dataset.sample_rate_findings(stats, WHISPER)}
    assert {"mixed_sample_rates", "mixed_channels"} <= set(found)
    for finding in found.values():
        _check(finding.message, WHISPER.name)


def test_padding_and_truncation_findings_are_short_sentences():
    report = dataset.padding_report(_many(100, duration_s=0.2) + _many(20, speaker="long", duration_s=30.0),
                                    clip_length_s=2.0)
    found = dataset.padding_findings(report)
    assert {f.code for f in found} == {"padding_dominates", "truncation"}
    for finding in found:
        _check(finding.message)


@pytest.mark.parametrize("spec", [WHISPER_PADDED, FIXED_WINDOW], ids=["whisper", "other"])
def test_fixed_input_finding_is_short_sentences(spec):
    (finding,) = dataset.fixed_input_findings(spec, _many(duration_s=1.0))
    _check(finding.message, spec.name)


def test_duration_shortcut_finding_is_short_sentences():
    stats = ([replace(s, label="a rather long label name", duration_s=3.0 + 0.01 * i) for i, s in enumerate(_many(30))]
             + [replace(s, label="another long label", duration_s=1.0 + 0.01 * i) for i, s in enumerate(_many(30))])
    (finding,) = dataset.duration_shortcut_findings(stats)
    _check(finding.message)


@pytest.mark.parametrize("specs", [[WHISPER], SPEECH_MODELS], ids=["one model", "every speech model"])
def test_non_speech_finding_is_short_sentences_with_and_without_the_advice(specs):
    (finding,) = dataset.speech_findings(_many(60, speech_fraction=0.0), specs, 0.0)
    assert dataset.SOUND_ENCODER_ADVICE in finding.message
    without = finding.message.replace(dataset.SOUND_ENCODER_ADVICE, "")  # what the note keeps when aiSFX was measured
    for text in (finding.message, without):
        _check(text, *(s.name for s in specs))
    assert without.rstrip()[-1].isalnum(), without  # the note appends ". Measured: ..." to what is left
    assert without.endswith("spectral baseline")


@pytest.mark.parametrize("install", ["", "pip install 'audiodiag[aisfx]'"])
def test_sound_encoder_advice_is_one_short_sentence(install):
    advice = dataset.sound_encoder_advice(install)
    _check(advice)
    assert install in advice and "AST or CLAP" in advice


def test_loudness_and_snr_findings_are_short_sentences_alone_and_aggregated():
    stats = [replace(s, loudness_lufs=-23.0 + 0.1 * i, speech_fraction=0.9, snr_db=3.0,
                     snr_method=levels.SNR_SPEECH) for i, s in enumerate(_many(40))]
    stats += [replace(s, loudness_lufs=-60.0, speech_fraction=0.9) for s in _many(7, speaker="quiet")]
    by_clip = dataset.per_clip_findings(stats)
    found = [f for fs in by_clip.values() for f in fs]
    assert {f.code for f in found} >= {"loudness_outlier", "low_snr"}
    for finding in found + dataset.aggregate(by_clip):
        _check(finding.message)


# ---------------------------------------------------------------- checks.py

EVERY_CLIP_PROBLEM = dict(
    non_finite_samples=12, clipping_fraction=0.05, dc_offset=0.2, silence_ratio=0.7, leading_silence_s=0.0,
    trailing_silence_s=0.0, internal_silence_s=2.5, internal_silence_start_s=0.5, duration_s=4.0, peak_dbfs=-40.0,
    sample_rate_hz=96_000, band_limit_hz=4000.0, band_edge_drop_db=60.0, bit_depth=8, subtype="PCM_U8", channels=6,
    speech_fraction=0.29)


@pytest.mark.parametrize("fields", [
    EVERY_CLIP_PROBLEM,
    dict(silence_ratio=1.0, peak_dbfs=-120.0),
    dict(silence_ratio=0.8, leading_silence_s=0.4, trailing_silence_s=0.4),  # silence at the ends: trim
], ids=["every problem", "all silent", "silent ends"])
def test_clip_findings_are_short_sentences_alone_and_aggregated(fields):
    by_clip = [per_clip.clip_findings(s) for s in _many(12, **fields)]
    assert all(by_clip)
    if fields is EVERY_CLIP_PROBLEM:
        assert {f.code for f in by_clip[0]} == {
            "non_finite", "clipping", "dc_offset", "mostly_silent", "internal_silence", "low_level", "band_limited",
            "low_bit_depth", "many_channels", "high_sample_rate"}
    for finding in by_clip[0] + _aggregated(by_clip):
        _check(finding.message)


# ---------------------------------------------------------------- transcript_checks.py

@pytest.mark.parametrize("speech_s", [2.0, None], ids=["speech measured", "no speech measurement"])
def test_transcript_findings_are_short_sentences(speech_s):
    names = ["0/speaker_0.wav", "0/speaker_1.wav", "0/speaker_2.wav"]
    found = tc.char_rate_findings(names, ["", "x" * 200, "x"], speech_s=[speech_s] * 3, duration_s=[2.0] * 3)
    assert [f.code for f in found] == ["empty_transcript", "transcript_too_fast", "transcript_too_slow"]
    for finding in found:
        _check(finding.message)


# ---------------------------------------------------------------- duplicates.py

def _duplicate_clips(n_pairs: int = 12) -> tuple[list[Clip], Folds]:
    """n_pairs pairs of identical clips, every copy in another fold and group than its original, with another
    label; and the folds."""
    sounds = np.random.default_rng(0).normal(0, 0.1, (n_pairs, 800)).astype(np.float32)
    clips = [Clip(f"{i % 10}/speaker_{i}.wav", s, 16000, 16000, 1, label="dog", group=f"speaker {i}")
             for i, s in enumerate(sounds)]
    clips += [Clip(f"{i % 10}/speaker_{i}_copy.wav", s, 16000, 16000, 1, label="cat", group=f"speaker {i + 2}")
              for i, s in enumerate(sounds)]
    fold_of = np.r_[np.arange(n_pairs) % 5, (np.arange(n_pairs) + 1) % 5]
    return clips, Folds(fold_of, 5, "StratifiedGroupKFold", "")


@pytest.mark.parametrize("reader, strategy", [(wording.APP, "StratifiedGroupKFold"), (cli.CLI, "StratifiedGroupKFold"),
                                              (fixes.LIBRARY, "StratifiedGroupKFold"), (wording.APP, "predefined")])
def test_leakage_findings_are_short_sentences(reader, strategy):
    clips, folds = _duplicate_clips()
    folds = replace(folds, strategy=strategy)
    exact = duplicates.exact_duplicates(clips)
    near = {WHISPER.name: NearDuplicates(WHISPER.name, tuple(DuplicatePair(p.first, p.second, 0.995)
                                                            for p in duplicates.exact_pairs(exact)), 12, 0.99)}
    found = fixes.rendered(duplicates.leakage_findings(clips, folds, exact=exact, near=near), reader)
    assert {f.code for f in found} == {"duplicate_across_folds", "duplicate_label_conflict",
                                       "near_duplicate_across_folds", "group_across_folds"}
    for finding in found:
        _check(finding.message, WHISPER.name)


def test_duplicates_in_one_fold_are_short_sentences():
    clips, folds = _duplicate_clips()
    exact = duplicates.exact_duplicates(clips)
    near = {WHISPER.name: NearDuplicates(WHISPER.name, tuple(DuplicatePair(p.first, p.second, 0.995)
                                                            for p in duplicates.exact_pairs(exact)), 12, 0.99)}
    for fold_of in (np.zeros(len(clips), int), None):
        same = None if fold_of is None else replace(folds, fold_of_sample=fold_of)
        found = duplicates.leakage_findings(clips, same, exact=exact, near=near)
        assert {"duplicate_clips", "near_duplicates"} <= {f.code for f in found}
        for finding in found:
            _check(finding.message, WHISPER.name)


# ---------------------------------------------------------------- audit.py

def test_metadata_audit_explanations_are_short_sentences():
    short = [make_clip(noise(duration_s=0.4, seed=i), name=f"short_{i}.wav", label="short") for i in range(8)]
    long = [make_clip(noise(duration_s=1.2, seed=100 + i), name=f"long_{i}.wav", label="long") for i in range(8)]
    same = [make_clip(noise(duration_s=0.5, seed=i), name=f"c{i}.wav", label="ab"[i % 2]) for i in range(16)]
    for clips, suspected in ((short + long, True), (same, False)):
        stats, _ = dataset.measure(clips)
        labels = np.asarray([c.label for c in clips])
        result = audit.metadata_audit(clips, stats, make_folds(labels, None, n_splits=4, seed=0))
        assert result.shortcut_suspected is suspected
        _check(f"Metadata shortcut: {result.explanation}.")  # as the note quotes it


# ---------------------------------------------------------------- finetune.py

@pytest.mark.parametrize("labels, groups", [
    (["bell"] * 12 + ["a rather long class name"] * 12 + ["c", "d", "e", "f"] * 12 + ["g"] * 40, None),
    (["dog"] * 30 + [None] * 3, None),
    (["dog"] * 30, None),
    (["dog"] * 30 + ["cat"] * 30, ["speaker one", "speaker two"] * 30),
    (["dog"] * 30 + ["cat"] * 30, [f"g{i % 5}" for i in range(60)]),
])
@pytest.mark.parametrize("n_splits", [3, 5])
def test_finetune_readiness_reasons_are_short_sentences(labels, groups, n_splits):
    ready = finetune.finetune_readiness(labels, groups, n_splits=n_splits)
    _check(ready.reason if ready.ok else f"Not justified: {ready.reason}")  # as the note quotes it
    if ready.ok:
        assert ready.reason.endswith(".")  # the note goes on with a sentence of its own


def test_finetune_rule_is_short_sentences():
    _check(finetune.RULE)


# ---------------------------------------------------------------- label_issues.py

def test_label_issue_method_is_a_short_sentence():
    _check(f"space {WHISPER_PADDED.name}, the most accurate; {label_issues.method_text(CLASSIFIER)}")
