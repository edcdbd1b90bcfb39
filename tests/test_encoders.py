"""Frozen encoders: the registry, exact pooling over real audio, the contract every encoder meets, the cache.

Hugging Face models are tiny ones built and saved into a temporary folder here; no hub, no network.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from audiodiag import caches
from audiodiag.errors import AudioDiagError
from audiodiag.represent import embedding_cache, encoders
from audiodiag.types import Clip
from tests.helpers import noise, sine, tiny_wav2vec2

TOLERANCE = 1e-4


def _clip(samples: np.ndarray, *, sample_rate_hz: int = 16_000, name: str = "clip.wav",
          channels: int = 1) -> Clip:
    return Clip(name=name, samples=samples.astype(np.float32), sample_rate_hz=sample_rate_hz,
                original_sample_rate_hz=sample_rate_hz, original_channels=channels)


@pytest.fixture(scope="module")
def tiny_group_norm_dir(tmp_path_factory) -> str:
    """wav2vec2-base's layout: group norm over time in the conv stem, no attention mask."""
    return tiny_wav2vec2(tmp_path_factory.mktemp("w2v2-group"), norm="group", attention_mask=False)


@pytest.fixture(scope="module")
def tiny_layer_norm_dir(tmp_path_factory) -> str:
    """wav2vec2-large-lv60's layout: layer norm and an attention mask, so padded batches are masked."""
    return tiny_wav2vec2(tmp_path_factory.mktemp("w2v2-layer"), norm="layer", attention_mask=True)


_LOADED: dict[str, encoders.Encoder] = {}


def _encoder(name: str, request) -> encoders.Encoder:
    """Load once per test session: the bundled Whisper model takes ~1 s to load."""
    if name in ("tiny-group", "tiny-layer"):
        folder = request.getfixturevalue("tiny_group_norm_dir" if name == "tiny-group" else "tiny_layer_norm_dir")
        key = folder
    else:
        folder = key = name
    if key not in _LOADED:
        _LOADED[key] = encoders.load_encoder(folder)
    return _LOADED[key]


def _mixed_clips() -> list[Clip]:
    """1-s and 0.5-s clips, 8 kHz, 44.1 kHz and a stereo downmix: what a real upload looks like."""
    return [
        _clip(sine(440.0), name="a.wav"),
        _clip(noise(seed=1), name="b.wav"),
        _clip(noise(duration_s=0.5, seed=2), name="short.wav"),
        _clip(sine(300.0, sample_rate_hz=8_000), sample_rate_hz=8_000, name="8k.wav"),
        _clip(noise(duration_s=1.2, sample_rate_hz=44_100, seed=3), sample_rate_hz=44_100, name="44k.wav"),
        _clip(sine(500.0, duration_s=0.8, sample_rate_hz=48_000), sample_rate_hz=48_000, name="stereo.wav",
              channels=2),
    ]


# ---------------------------------------------------------------- contract, every encoder available offline

BUNDLED_IN_CATALOGUE = [n for n, spec in encoders.CATALOGUE.items() if spec.encoder_id in encoders.BUNDLED]
SLOW_ENCODERS = (encoders.WHISPER_PADDED, encoders.AISFX)  # the 30-s window costs 14 s on 2 cores; aiSFX's CNN


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_ENCODERS else n
                                  for n in ("tiny-group", "tiny-layer", *BUNDLED_IN_CATALOGUE)])
def test_contract_shape_dtype_determinism_and_batched_equals_one_by_one(name, request):
    """Every encoder of the real catalogue that ships with the app (plus two tiny Hugging Face models)."""
    if name == encoders.AISFX:
        pytest.importorskip("aisfx", reason="aisfx is the optional sound encoder (requirements-nodeps.txt)")
    encoder = _encoder(name, request)
    assert isinstance(encoder, encoders.Encoder)
    spec = encoders.CATALOGUE.get(name)
    if spec is not None:  # what the catalogue promises (Inspect's checks use it) is what the model does
        assert (encoder.sample_rate_hz, encoder.embedding_size) == (spec.sample_rate_hz, spec.embedding_size)
    assert all(isinstance(getattr(encoder, a), str) for a in ("name", "encoder_id", "revision", "padding_policy"))
    assert encoder.revision and encoder.model_bytes > 0
    clips = _mixed_clips()
    batched = encoder.embed(clips)
    assert batched.shape == (len(clips), encoder.embedding_size)
    assert batched.dtype == np.float32
    assert np.isfinite(batched).all()
    assert np.array_equal(encoder.embed(clips), batched), "two calls on the same clips differ"
    one_by_one = np.concatenate([encoder.embed([c]) for c in clips])
    assert np.abs(batched - one_by_one).max() <= TOLERANCE
    # different inputs give different rows: the encoder is not returning a constant
    assert np.abs(batched[0] - batched[1]).max() > 1e-3


def test_registry_loads_bundled_names_and_aliases():
    assert encoders.load_encoder("whisper-tiny.en-unpadded").name == encoders.WHISPER_UNPADDED
    assert encoders.load_encoder("speech_embedding").embedding_size == 96
    assert encoders.get_spec(encoders.WHISPER_PADDED).encoder_id == encoders.WHISPER_PADDED


def test_catalogue_keeps_positional_construction_and_default():
    spec = encoders.EncoderSpec("x", 16_000, True, None, "somewhere")
    assert (spec.encoder_id, spec.kind) == ("", "speech")
    assert encoders.DEFAULT_TARGET in encoders.CATALOGUE


def test_unknown_name_lists_valid_names():
    with pytest.raises(AudioDiagError, match="unknown encoder 'no such model'") as err:
        encoders.load_encoder("no such model")
    assert encoders.WHISPER_PADDED in str(err.value) and "speech_embedding" in str(err.value)


def test_catalogue_entry_without_encoder_says_so():
    with pytest.raises(AudioDiagError, match="without a frozen encoder"):
        encoders.load_encoder("spectral baseline (MFCC/log-mel)")


def test_hub_id_offline_names_the_hub_the_bundled_encoders_and_the_download_command(monkeypatch):
    from transformers import AutoFeatureExtractor

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(AutoFeatureExtractor, "from_pretrained", offline)
    with pytest.raises(AudioDiagError) as err:
        encoders.load_encoder("wav2vec2-base")  # catalogue name -> facebook/wav2vec2-base
    message = str(err.value)
    assert "facebook/wav2vec2-base" in message and "unreachable" in message
    assert encoders.WHISPER_UNPADDED in message
    assert "huggingface-cli download facebook/wav2vec2-base --local-dir DIR" in message


def test_broken_local_folder_says_what_it_needs(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(AudioDiagError, match="preprocessor_config.json"):
        encoders.load_encoder(tmp_path)


# ---------------------------------------------------------------- Hugging Face: pooling only over real audio

def test_group_norm_model_short_clip_batched_with_long_clip_equals_alone(tiny_group_norm_dir, request):
    encoder = _encoder("tiny-group", request)
    short, long = _clip(noise(duration_s=0.5, seed=4)), _clip(noise(duration_s=4.0, seed=5))
    alone = encoder.embed([short])
    together = encoder.embed([long, short, long])
    assert np.abs(together[1] - alone[0]).max() <= TOLERANCE
    assert np.abs(together[0] - together[2]).max() == 0


def test_naive_zero_padding_would_change_the_group_norm_embedding(tiny_group_norm_dir, request):
    """Why the encoder groups equal lengths: padding a group-norm model shifts every frame."""
    import torch

    encoder = _encoder("tiny-group", request)
    short = noise(duration_s=0.5, seed=4)
    padded = np.pad(short, (0, 16_000 * 4 - len(short)))
    model = encoder._model
    with torch.inference_mode():
        alone = model(torch.from_numpy(short)[None]).last_hidden_state
        in_padding = model(torch.from_numpy(padded)[None]).last_hidden_state[:, :alone.shape[1]]
    assert (alone.mean(1) - in_padding.mean(1)).abs().max().item() > 1e-3


def test_layer_norm_model_with_mask_pools_valid_frames_only(tiny_layer_norm_dir, request):
    encoder = _encoder("tiny-layer", request)
    assert encoder._masked, "layer-norm model with attention mask should take the padded, masked path"
    short, long = _clip(noise(duration_s=0.5, seed=4)), _clip(noise(duration_s=4.0, seed=5))
    assert np.abs(encoder.embed([long, short])[1] - encoder.embed([short])[0]).max() <= TOLERANCE


def test_layer_selects_hidden_states(request):
    encoder = _encoder("tiny-group", request)
    clips = [_clip(noise(seed=6))]
    first, last = encoder.embed(clips, layer=0), encoder.embed(clips, layer=-1)
    assert np.abs(first - last).max() > 1e-3
    assert np.allclose(encoder.embed(clips, layer=2), last)
    with pytest.raises(AudioDiagError, match="layer=7 out of range"):
        encoder.embed(clips, layer=7)


def test_hf_encoder_resamples_to_feature_extractor_rate(request):
    encoder = _encoder("tiny-group", request)
    tone_16k = _clip(sine(440.0))
    tone_48k = _clip(sine(440.0, sample_rate_hz=48_000), sample_rate_hz=48_000)
    assert np.abs(encoder.embed([tone_16k]) - encoder.embed([tone_48k])).max() < 0.05


# ---------------------------------------------------------------- bundled encoders

def test_whisper_padded_and_unpadded_differ_and_only_last_layer():
    padded, unpadded = (_encoder(n, None) for n in (encoders.WHISPER_PADDED, encoders.WHISPER_UNPADDED))
    clip = [_clip(noise(seed=7))]
    assert padded.embed(clip).shape == unpadded.embed(clip).shape == (1, 384)
    assert np.abs(padded.embed(clip) - unpadded.embed(clip)).max() > 1e-3
    with pytest.raises(AudioDiagError, match="only its final layer"):
        unpadded.embed(clip, layer=2)


def test_whisper_pools_only_real_audio_frames():
    """Padded mode: trailing digital silence the clip does not have must not enter the mean."""
    encoder = _encoder(encoders.WHISPER_UNPADDED, None)
    assert encoder.chunk_features(np.zeros(16_000, np.float32))[1] == 50  # 1 s = 50 frames of 20 ms
    assert encoder.chunk_features(np.zeros(16_001, np.float32))[0].shape == (80, 102)
    padded = _encoder(encoders.WHISPER_PADDED, None)
    features, n_real = padded.chunk_features(np.zeros(8_000, np.float32))
    assert features.shape == (80, 3000) and n_real == 25


def test_whisper_long_clip_is_encoded_in_30s_chunks():
    encoder = _encoder(encoders.WHISPER_UNPADDED, None)
    long = _clip(noise(duration_s=31.0, seed=8))
    row = encoder.embed([long])
    assert row.shape == (1, 384) and np.isfinite(row).all()


def test_speech_embedding_pads_clips_shorter_than_one_window():
    encoder = _encoder(encoders.SPEECH_EMBEDDING, None)
    row = encoder.embed([_clip(noise(duration_s=0.1, seed=9))])
    assert row.shape == (1, 96) and np.isfinite(row).all()


def test_speech_embedding_mel_floor_follows_the_loudest_clip_of_a_call_so_clips_get_one_call_each():
    """Why log_mel runs one clip per mel call: the export floors its log-mel 80 dB (8.0 after openwakeword's /10)
    below the loudest value of the whole input tensor, so a loud clip in the same call lifts a quiet clip's floor."""
    encoder = _encoder(encoders.SPEECH_EMBEDDING, None)
    quiet = np.zeros(16_000, np.float32)
    quiet[:4_000] = noise(duration_s=0.25, amplitude=0.003, seed=10)  # then digital silence: frames at the floor
    loud = noise(amplitude=0.6, seed=11)
    alone = encoder.log_mel(quiet)
    assert alone.max() - alone.min() == pytest.approx(8.0, abs=1e-3)
    pcm = np.stack([quiet, loud]) * 32_767.0
    together = encoder._mel.run(None, {"input": pcm.astype(np.float32)})[0][0, 0] / 10 + 2
    assert together.shape == alone.shape and together.min() > alone.min() + 1.0


# ---------------------------------------------------------------- cache

class CountingEncoder:
    """A fake encoder: row = [mean, len, rate] padded; counts the clips it was asked to embed."""

    name = encoder_id = "counting"
    revision = "1"
    padding_policy = "none"
    model_bytes = 0
    sample_rate_hz = 16_000
    embedding_size = 4

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, clips, *, layer=None):
        self.calls.append(len(clips))
        rows = [[float(c.samples.mean()), len(c.samples), c.sample_rate_hz, layer or 0] for c in clips]
        return np.asarray(rows, np.float32) / 7.0  # not exactly representable: bit-identity is meaningful


def test_cache_second_call_is_bit_identical_and_does_not_call_encoder(tmp_path):
    encoder = CountingEncoder()
    clips = [_clip(noise(seed=s), name=f"{s}.wav") for s in range(5)]
    first = embedding_cache.cached_embed(encoder, clips, cache_dir=tmp_path)
    assert encoder.calls == [5]
    second = embedding_cache.cached_embed(encoder, clips, cache_dir=tmp_path)
    assert encoder.calls == [5]
    assert first.tobytes() == second.tobytes() and second.dtype == np.float32


def test_cache_computes_only_missing_rows_and_reports_progress(tmp_path):
    encoder = CountingEncoder()
    clips = [_clip(noise(seed=s)) for s in range(4)]
    embedding_cache.cached_embed(encoder, clips[:2], cache_dir=tmp_path)
    seen = []
    rows = embedding_cache.cached_embed(encoder, clips, cache_dir=tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert encoder.calls == [2, 2]
    assert seen[0] == (2, 4) and seen[-1] == (4, 4)
    assert np.array_equal(rows, encoder.embed(clips))


class PreparingCountingEncoder(CountingEncoder):
    """CountingEncoder whose first step (the clip's mean) may be made elsewhere: `encoders.PreparingEncoder`."""

    @staticmethod
    def preparer(clips):
        return [(float(c.samples.mean()), len(c.samples), c.sample_rate_hz) for c in clips]

    def embed(self, clips, *, layer=None):
        return self.embed_prepared(self.preparer(clips), layer=layer)

    def embed_prepared(self, prepared, *, layer=None):
        self.calls.append(len(prepared))
        return np.asarray([[*item, layer or 0] for item in prepared], np.float32) / 7.0


def test_prepared_inputs_give_the_rows_of_embed_and_their_seconds_count_for_the_clips_computed(tmp_path):
    """Rows from a preparer's output (made in the worker that decoded the clips) are those of embed; the cost per
    clip counts the computed clips' share of the seconds the preparer took there."""
    encoder = PreparingCountingEncoder()
    assert isinstance(encoder, encoders.PreparingEncoder)
    clips = [_clip(noise(seed=s)) for s in range(4)]
    embedding_cache.cached_embed(encoder, clips[:2], cache_dir=tmp_path)  # two rows cached
    timing = embedding_cache.Timing()
    prepared = encoders.Prepared(encoder.preparer(clips), seconds=8.0)
    rows = embedding_cache.cached_embed(encoder, clips, cache_dir=tmp_path, timing=timing,
                                        prepared=prepared)
    assert np.array_equal(rows, encoder.embed(clips))
    assert encoder.calls[1] == 2 and timing.clips_computed == 2
    assert timing.seconds >= 4.0  # half of the 8 s: the two clips computed


def test_whisper_rows_from_its_preparer_equal_embed():
    encoder = _encoder(encoders.WHISPER_UNPADDED, None)
    assert isinstance(encoder, encoders.PreparingEncoder)
    clips = [_clip(noise(duration_s=d, seed=s)) for s, d in enumerate((0.5, 1.3, 0.5))]
    prepared = pickle.loads(pickle.dumps(encoder.preparer))(clips)  # as a worker process runs it
    assert np.array_equal(encoder.embed_prepared(prepared), encoder.embed(clips))


def test_cache_key_separates_layer_revision_and_content_not_name(tmp_path):
    encoder = CountingEncoder()
    clip = _clip(noise(seed=1), name="a.wav")
    renamed = _clip(noise(seed=1), name="b.wav")
    embedding_cache.cached_embed(encoder, [clip], cache_dir=tmp_path)
    embedding_cache.cached_embed(encoder, [renamed], cache_dir=tmp_path)
    assert encoder.calls == [1]
    embedding_cache.cached_embed(encoder, [clip], cache_dir=tmp_path, layer=1)
    encoder.revision = "2"
    embedding_cache.cached_embed(encoder, [clip], cache_dir=tmp_path)
    assert encoder.calls == [1, 1, 1]


def test_cache_dir_from_environment_and_corrupt_row_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv(caches.CACHE_DIR_ENV, str(tmp_path))
    assert embedding_cache.default_cache_dir() == tmp_path
    encoder = CountingEncoder()
    clip = _clip(noise(seed=2))
    first = embedding_cache.cached_embed(encoder, [clip])
    [row_file] = tmp_path.glob("*/*.npy")
    row_file.write_bytes(b"truncated")
    again = embedding_cache.cached_embed(encoder, [clip])
    assert encoder.calls == [1, 1] and np.array_equal(first, again)


def test_cache_with_real_tiny_model_matches_direct_embedding(tmp_path, request):
    encoder = _encoder("tiny-group", request)
    clips = _mixed_clips()
    assert np.array_equal(embedding_cache.cached_embed(encoder, clips, cache_dir=tmp_path), encoder.embed(clips))


def test_only_hugging_face_encoders_expose_every_layer(request):
    tiny = _encoder("tiny-layer", request)
    assert isinstance(tiny, encoders.LayerwiseEncoder)
    assert not isinstance(_encoder(encoders.SPEECH_EMBEDDING, request), encoders.LayerwiseEncoder)
    assert not isinstance(CountingEncoder(), encoders.LayerwiseEncoder) and isinstance(CountingEncoder(),
                                                                                        encoders.Encoder)


def test_every_bundled_catalogue_entry_states_its_dimension():
    assert BUNDLED_IN_CATALOGUE  # the loop above is not empty
    for name in BUNDLED_IN_CATALOGUE:
        assert encoders.CATALOGUE[name].embedding_size, name
