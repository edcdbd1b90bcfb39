"""aiSFX encoder (optional `aisfx` wheel): the encoder contract, the layout fix, short clips, the install message.

The model tests skip when aisfx is not installed (`pip install --no-deps aisfx==0.1.2`); the message test runs
either way. No network: the weights are inside the wheel.
"""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from audiodiag.errors import AudioDiagError
from audiodiag.represent import encoders
from audiodiag.represent.encoders import aisfx as aisfx_encoder
from audiodiag.types import Clip
from tests.helpers import noise, sine

TOLERANCE = 1e-4
HAVE_AISFX = importlib.util.find_spec("aisfx") is not None
needs_aisfx = pytest.mark.skipif(not HAVE_AISFX, reason="aisfx not installed: pip install --no-deps aisfx==0.1.2")


def _clip(samples: np.ndarray, *, sample_rate_hz: int = 16_000, name: str = "clip.wav") -> Clip:
    return Clip(name=name, samples=samples.astype(np.float32), sample_rate_hz=sample_rate_hz,
                original_sample_rate_hz=sample_rate_hz, original_channels=1)


@pytest.fixture(scope="module")
def encoder() -> encoders.Encoder:
    return encoders.load_encoder("aisfx")


def test_not_installed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "aisfx.models.cnn2d", None)  # makes the import fail like a missing package
    with pytest.raises(AudioDiagError, match=r"not installed .*pip install --no-deps aisfx==0\.1\.2"):
        encoders.load_encoder("aisfx")


def test_registered_as_a_44khz_non_speech_catalogue_entry():
    spec = encoders.get_spec(encoders.AISFX)
    assert (spec.sample_rate_hz, spec.speech_model, spec.encoder_id) == (44_100, False, encoders.AISFX)
    assert encoders.is_bundled("aisfx") and encoders.AISFX in encoders.loadable_names()


@needs_aisfx
@pytest.mark.slow  # 5 s of CNN inference; the other aisfx tests keep the encoder in the fast lane
def test_contract_shape_dtype_determinism_and_batched_equals_one_by_one(encoder):
    clips = [_clip(sine(440.0), name="a.wav"), _clip(noise(seed=1), name="b.wav"),
             _clip(noise(duration_s=0.3, seed=2), name="short.wav"),
             _clip(sine(300.0, sample_rate_hz=8_000), sample_rate_hz=8_000, name="8k.wav"),
             _clip(noise(duration_s=3.5, sample_rate_hz=44_100, seed=3), sample_rate_hz=44_100, name="3 blocks.wav")]
    assert isinstance(encoder, encoders.Encoder) and encoder.model_bytes > 20e6
    batched = encoder.embed(clips)
    assert batched.shape == (len(clips), 512) and batched.dtype == np.float32 and np.isfinite(batched).all()
    assert np.array_equal(encoder.embed(clips), batched), "two calls on the same clips differ"
    one_by_one = np.concatenate([encoder.embed([c]) for c in clips])
    assert np.abs(batched - one_by_one).max() <= TOLERANCE
    assert np.abs(batched[0] - batched[1]).max() > 1e-3


@needs_aisfx
def test_log_mel_is_frames_by_bands_with_a_tone_in_its_own_band():
    """The package's librosa front end returns (bands, frames); the model needs (frames, bands)."""
    import librosa

    spec = aisfx_encoder.log_mel(sine(1000.0, sample_rate_hz=44_100))
    assert spec.shape == (1 + 44_100 // aisfx_encoder.AISFX_HOP_SAMPLES, aisfx_encoder.AISFX_N_MELS)
    centres = librosa.mel_frequencies(aisfx_encoder.AISFX_N_MELS + 2, fmax=22_050, htk=True)[1:-1]
    assert int(spec.mean(axis=0).argmax()) == int(np.abs(centres - 1000.0).argmin())


@needs_aisfx
def test_full_block_matches_the_package_forward_and_only_short_clips_depend_on_pooling(encoder):
    import torch

    full = aisfx_encoder.log_mel(noise(duration_s=2.5, sample_rate_hz=44_100))[:aisfx_encoder.AISFX_BLOCK_FRAMES]
    with torch.inference_mode():
        package = encoder._net(torch.from_numpy(full[None])).numpy()
    assert np.abs(encoder.embed_blocks(full[None], np.array([len(full)])) - package).max() <= TOLERANCE
    padded = aisfx_encoder.AisfxEncoder(pooling="with padding")
    assert np.abs(padded.embed_blocks(full[None], np.array([len(full)])) - package).max() <= TOLERANCE
    short = [_clip(noise(duration_s=0.1, seed=9))]  # shorter than one hop: the package's own path asserts
    assert encoder.embed(short).shape == (1, 512)
    assert np.abs(encoder.embed(short) - padded.embed(short)).max() > 1e-3


@needs_aisfx
def test_two_noises_are_closer_than_noise_and_a_tone(encoder):
    rows = encoder.embed([_clip(noise(seed=1)), _clip(noise(seed=2)), _clip(sine(440.0))])
    assert np.linalg.norm(rows[0] - rows[1]) < 0.5 * np.linalg.norm(rows[0] - rows[2])


@needs_aisfx
def test_checkpoint_with_another_hash_is_refused(monkeypatch, encoder):
    monkeypatch.setattr(aisfx_encoder, "AISFX_CHECKPOINT_SHA256", "0" * 64)
    with pytest.raises(AudioDiagError, match="reinstall with `pip install --no-deps aisfx==0.1.2`"):
        aisfx_encoder.AisfxEncoder()
