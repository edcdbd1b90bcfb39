"""Spectral baseline: librosa-compatible MFCC, known descriptor values, shape/dtype/determinism."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest

from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import fitting
from audiodiag.represent import features
from audiodiag.represent.features import FeatureSettings, feature_names, spectral_features
from audiodiag.types import Clip
from tests.helpers import noise, sine

SR = 16_000


def _clip(samples: np.ndarray, *, sample_rate_hz: int = SR, name: str = "c.wav", label: str | None = None) -> Clip:
    return Clip(name, samples.astype(np.float32), sample_rate_hz, sample_rate_hz, 1, label=label)


def _column(X: np.ndarray, name: str, settings: FeatureSettings = FeatureSettings()) -> np.ndarray:
    return X[:, feature_names(settings).index(name)]


def test_shape_dtype_names_and_determinism():
    clips = [_clip(sine(300)), _clip(noise(seed=1)), _clip(sine(1000, duration_s=0.5))]
    X = spectral_features(clips)
    settings = FeatureSettings()
    expected_d = 2 * (2 * settings.n_mfcc + settings.n_mels + len(features.DESCRIPTORS))
    assert X.shape == (3, expected_d) == (3, len(feature_names(settings)))
    assert X.dtype == np.float32 and np.isfinite(X).all()
    assert len(set(feature_names(settings))) == expected_d
    np.testing.assert_array_equal(X, spectral_features(clips))


def test_batched_equals_one_by_one():
    clips = [_clip(noise(seed=s)) for s in range(5)] + [_clip(sine(500, duration_s=0.3))]
    together = spectral_features(clips)
    alone = np.concatenate([spectral_features([c]) for c in clips])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("settings", [FeatureSettings(), FeatureSettings(n_mels=40, n_mfcc=13, n_fft=400)])
def test_mfcc_and_delta_match_librosa(settings):
    x = sine(300, amplitude=0.3) + noise(amplitude=0.05, seed=3)
    power = features.power_spectrogram(x[None], settings=settings)
    log_mel = features.log_mel_db(power, settings=settings)
    import scipy.fft
    ours = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=-1)[0, :, :settings.n_mfcc].T
    ref = librosa.feature.mfcc(y=x, sr=SR, n_mfcc=settings.n_mfcc, n_fft=settings.n_fft,
                               hop_length=settings.hop_length, n_mels=settings.n_mels)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-3)  # float32 rounding on values up to ~150

    X = spectral_features([_clip(x)], settings=settings)[0]
    names = feature_names(settings)
    ref_delta = librosa.feature.delta(ref)
    for i in (0, 1, settings.n_mfcc - 1):
        assert X[names.index(f"mfcc_{i:02d}_mean")] == pytest.approx(ref[i].mean(), abs=1e-3)
        assert X[names.index(f"mfcc_{i:02d}_std")] == pytest.approx(ref[i].std(), abs=1e-3)
        assert X[names.index(f"delta_mfcc_{i:02d}_mean")] == pytest.approx(ref_delta[i].mean(), abs=1e-4)


def test_descriptors_match_librosa():
    x = sine(300, amplitude=0.3) + noise(amplitude=0.05, seed=4)
    X = spectral_features([_clip(x)])
    S = np.abs(librosa.stft(x, n_fft=512, hop_length=160))
    refs = {
        "spectral_centroid_hz": librosa.feature.spectral_centroid(S=S, sr=SR),
        "spectral_bandwidth_hz": librosa.feature.spectral_bandwidth(S=S, sr=SR),
        "spectral_rolloff_hz": librosa.feature.spectral_rolloff(S=S, sr=SR),
        "spectral_flatness": librosa.feature.spectral_flatness(S=S),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(x, frame_length=512, hop_length=160),
    }
    for name, ref in refs.items():
        assert _column(X, f"{name}_mean")[0] == pytest.approx(ref.mean(), rel=1e-4), name
        assert _column(X, f"{name}_std")[0] == pytest.approx(ref.std(), rel=1e-3, abs=1e-6), name


def test_known_answers_for_a_pure_tone():
    X = spectral_features([_clip(sine(1000))])
    assert _column(X, "zero_crossing_rate_mean")[0] == pytest.approx(2 * 1000 / SR, rel=0.05)
    assert _column(X, "spectral_centroid_hz_mean")[0] == pytest.approx(1000, rel=0.05)
    assert _column(X, "spectral_flatness_mean")[0] < 0.01  # a tone is anything but flat


def test_clips_are_resampled_first():
    at_16k = spectral_features([_clip(sine(440))])
    at_48k = spectral_features([_clip(sine(440, sample_rate_hz=48_000), sample_rate_hz=48_000)])
    assert _column(at_48k, "spectral_centroid_hz_mean")[0] == pytest.approx(
        _column(at_16k, "spectral_centroid_hz_mean")[0], rel=0.01)


def test_very_short_and_silent_clips_give_finite_features():
    X = spectral_features([_clip(np.zeros(400)), _clip(noise(duration_s=0.01))])
    assert np.isfinite(X).all()


def test_empty_clip_and_bad_settings_raise():
    with pytest.raises(AudioDiagError, match="no samples"):
        spectral_features([_clip(np.zeros(0))])
    with pytest.raises(AudioDiagError, match="n_mfcc"):
        FeatureSettings(n_mels=10, n_mfcc=20)
    assert spectral_features([]).shape == (0, len(feature_names()))


def test_settings_as_dict_records_units():
    d = FeatureSettings().as_dict()
    assert d["n_fft"] == 512 and d["window_s"] == pytest.approx(0.032) and d["hop_s"] == pytest.approx(0.010)


def test_baseline_is_a_fresh_scaled_logistic_regression():
    model = fitting.rung_classifier(seed=3)
    assert [name for name, _ in model.steps] == ["scale", "clf"]
    assert model.named_steps["clf"].C == 1.0 and model.named_steps["clf"].max_iter == 2000
    assert fitting.rung_classifier() is not fitting.rung_classifier()


@pytest.mark.filterwarnings("ignore:Empty filters detected")  # librosa's, for the 16-point FFT on purpose
@pytest.mark.parametrize("rate, n_fft, n_mels", [(16_000, 512, 64), (8_000, 256, 40), (44_100, 2048, 128),
                                                 (16_000, 16, 64)])
def test_mel_bank_window_and_centres_equal_librosa_and_scipy(rate, n_fft, n_mels):
    """Built here so the first spectrogram needs neither librosa.filters nor scipy.signal (seconds to import)."""
    from scipy import signal

    settings = FeatureSettings(sample_rate_hz=rate, n_fft=n_fft, n_mels=n_mels, n_mfcc=min(20, n_mels))
    expected = librosa.filters.mel(sr=rate, n_fft=n_fft, n_mels=n_mels, dtype=np.float32)
    np.testing.assert_allclose(features.mel_filters(settings), expected, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(features.mel_frequencies(n_mels=n_mels, fmax=rate / 2),
                               librosa.mel_frequencies(n_mels=n_mels, fmax=rate / 2), rtol=1e-9)
    np.testing.assert_allclose(features._window(n_fft), signal.get_window("hann", n_fft), atol=1e-7)


def test_the_first_spectrogram_imports_neither_librosa_nor_scipy_signal():
    code = ("import sys; import numpy as np; from audiodiag.plots.audio import spectrogram_figure;"
            "spectrogram_figure(np.sin(np.arange(8000) / 3).astype(np.float32), sample_rate_hz=8000);"
            "heavy = [m for m in ('librosa', 'scipy.signal', 'scipy.stats', 'numba', 'torch') if m in sys.modules];"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
