"""Known answers for spaces (padding policy, cached vectors) and the rung comparison."""
from __future__ import annotations

import math

import numpy as np
import pytest

from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare
from audiodiag.measure import dataset
from audiodiag.represent import encoders, spaces
from tests.helpers import make_clip, noise, sine, tones_vs_noise


def test_separable_classes_baseline_is_perfect_and_groups_stay_in_one_fold():
    clips = tones_vs_noise()
    result = compare.compare(clips, [spaces.space_vectors(clips, spaces.BASELINE)], n_splits=4)
    rung = result.rungs[0]
    assert rung.metrics.accuracy.value == 1.0 and rung.metrics.macro_f1.value == 1.0
    assert result.folds.strategy == "StratifiedGroupKFold"
    folds_of_group = {}
    for clip, fold in zip(clips, result.folds.fold_of_sample):
        folds_of_group.setdefault(clip.group, set()).add(int(fold))
    assert all(len(f) == 1 for f in folds_of_group.values())
    assert rung.confusion.counts.tolist() == [[8, 0], [0, 8]]  # classes sorted: noise, tone
    assert rung.split_check is not None and not rung.split_check.leakage_suspected


def test_every_rung_is_scored_on_the_same_folds_and_paired_against_the_baseline():
    # 48 clips of 8 sources: with 16 clips of 4 sources, how near chance the random rung lands (0.19-0.5,
    # moved by BLAS threading) decided whether its clustered CI stayed below 0. Here the random rung scored 0.48
    # (CI high end -0.33) on this machine and 0.625 (-0.17) in one CI run: what is asserted is the claim itself,
    # that the paired CI puts the random rung below the perfect baseline
    clips = tones_vs_noise(24, 8)
    base = spaces.space_vectors(clips, spaces.BASELINE)
    shuffled = spaces.SpaceVectors("random", np.random.RandomState(0).randn(len(clips), 8).astype(np.float32),
                                   math.nan, 0.0, False, {})
    result = compare.compare(clips, [base, shuffled], n_splits=4, group_aware=False)
    assert result.folds.strategy == "StratifiedKFold"
    assert len(result.paired) == 1 and result.paired[0].name_b == "random"
    assert result.paired[0].verdict == "no"  # random vectors cannot beat a perfect baseline
    assert result.paired[0].difference.ci_high < 0
    assert compare.per_class_f1_differences(result, "random")["tone"] < 0


def test_unlabelled_and_single_class_datasets_are_refused_with_the_reason():
    with pytest.raises(AudioDiagError, match="no label"):
        compare.check_labels([make_clip(sine(), name="a.wav")])
    with pytest.raises(AudioDiagError, match="one class"):
        compare.check_labels([make_clip(sine(), name=f"{i}.wav", label="dog") for i in range(3)])


def test_padding_policy_pads_and_trims_and_reports_the_padded_fraction():
    short, long = make_clip(sine(duration_s=0.5), name="s.wav"), make_clip(sine(duration_s=3.0), name="l.wav")
    policy = spaces.PaddingPolicy(length_s=2.0)
    padded, trimmed = policy.apply([short, long])
    assert len(padded.samples) == len(trimmed.samples) == 32_000
    assert np.all(padded.samples[8_000:] == 0) and padded.content_hash != short.content_hash
    assert policy.padded_fraction(short) == pytest.approx(0.75)
    assert policy.padded_fraction(long) == 0.0
    assert spaces.PaddingPolicy().padded_fraction(short) == 0.0
    whisper = spaces.padded_fractions([make_clip(sine(duration_s=1.0))], encoders.WHISPER_PADDED, spaces.PaddingPolicy())
    assert whisper[0] == pytest.approx(29 / 30)  # 1 s of audio in Whisper's 30-s window
    with pytest.raises(AudioDiagError, match="padding length"):
        spaces.PaddingPolicy(length_s=0)


def test_accuracy_by_padding_bins_known_answer():
    correct = np.array([True, True, False, True, False])
    fractions = np.array([0.0, 0.1, 0.3, 0.9, 1.0])
    bins = compare.accuracy_by_padding(correct, fractions)
    assert [(b.n_clips, b.accuracy) for b in bins if b.n_clips] == [(2, 1.0), (1, 0.0), (2, 0.5)]
    assert math.isnan(bins[2].accuracy)
    # plotted where the clips are, not at the bin centre: unpadded clips sit at 0 %, not at 12.5 %
    assert [b.mean_fraction for b in bins if b.n_clips] == pytest.approx([0.05, 0.3, 0.95])
    assert compare.accuracy_by_padding(np.array([True]), np.array([0.0]))[0].mean_fraction == 0.0


def test_encoder_vectors_come_back_from_the_disk_cache_identical_with_their_cost(tmp_path):
    clips = tones_vs_noise(n_per_class=3)
    cold = spaces.space_vectors(clips, encoders.WHISPER_UNPADDED, cache_dir=str(tmp_path))
    warm = spaces.space_vectors(clips, encoders.WHISPER_UNPADDED, cache_dir=str(tmp_path))
    assert not cold.from_cache and warm.from_cache
    assert np.array_equal(cold.vectors, warm.vectors) and cold.vectors.dtype == np.float32
    assert warm.seconds_per_clip == pytest.approx(cold.seconds_per_clip)  # the cold cost is remembered
    assert cold.embedding_size == 384 and cold.model_mb > 10
    padded = spaces.space_vectors(clips, encoders.WHISPER_UNPADDED, cache_dir=str(tmp_path),
                                  padding=spaces.PaddingPolicy(length_s=2.0))
    assert not padded.from_cache and not np.allclose(padded.vectors, cold.vectors, atol=1e-3)


def test_comparison_warnings_name_speech_encoder_on_non_speech_and_wrong_rate():
    clips = [make_clip(sine(440, sample_rate_hz=8_000), sample_rate_hz=8_000, name="tone8k.wav", label="a"),
             make_clip(noise(sample_rate_hz=8_000), sample_rate_hz=8_000, name="noise8k.wav", label="b")]
    stats, speech = dataset.measure(clips)
    findings = dataset.model_input_findings(stats, speech, [encoders.get_spec(encoders.WHISPER_UNPADDED)],
                                            padding=spaces.PaddingPolicy())
    codes = {f.code: f for f in findings}
    assert "non_speech_for_speech_encoder" in codes and "sample_rate_mismatch" in codes
    assert "tone8k.wav" in codes["sample_rate_mismatch"].message and "16000" in codes["sample_rate_mismatch"].message
