"""Decode audio from bytes and paths into `Clip` objects; resample with a real resampler (soxr); the model's view
of a clip (resampled, padded or trimmed).

Anything that cannot be decoded becomes a `LoadFailure` row so the rest of a batch still loads.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
import soxr

from audiodiag.errors import InvalidAudioError
from audiodiag.types import Clip

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")

MIN_CLIP_DURATION_S = 0.025  # one analysis frame; anything shorter has no measurable content

MAX_CLIP_DURATION_S = 600.0  # longer recordings must be cut into clips first (memory, and clips are the unit)

# a segment may end this far past its file (manifests round durations; mp3 decoders differ by a frame): read to the end
SEGMENT_OVERRUN_S = 0.05

# containers libsndfile decodes correctly only in one read from the start: an MP3 read after a seek, or in several
# reads, departs from the whole-file decode by up to the signal's amplitude (mpg123's "part2_3_length too large";
# python-soundfile issue #402), so a segment of one is decoded from the file's start
SEQUENTIAL_CONTAINERS = ("MP3",)

HASH_CHARS = 16

# Containers people try that libsndfile cannot decode: magic bytes -> what it is.
_UNSUPPORTED_MAGIC = (
    (4, b"ftyp", "MP4/M4A/AAC"),
    (0, b"\x30\x26\xb2\x75", "WMA/ASF"),
    (0, b"#!AMR", "AMR"),
    (0, b"\x1a\x45\xdf\xa3", "WebM/Matroska"),
)

_CONVERT_HINT = "convert it to WAV or FLAC first (e.g. `ffmpeg -i input output.wav`)"


@dataclass(frozen=True)
class AudioInfo:
    """Header facts read without decoding the samples."""

    name: str
    sample_rate_hz: int
    channels: int
    frames: int
    subtype: str
    container: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz if self.sample_rate_hz else 0.0


def content_hash(data: bytes) -> str:
    """Short sha256 of the file bytes: identical files share cache entries whatever their names."""
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def read_info(source: str | Path | bytes, *, name: str | None = None) -> AudioInfo:
    """Read sample rate, channels and length from the header only (fast: no sample decoding)."""
    name = name or (str(source) if not isinstance(source, bytes) else "<bytes>")
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        info = sf.info(handle)
    except (sf.LibsndfileError, RuntimeError) as e:
        detail = getattr(e, "error_string", "") or str(e).split(": ", 1)[-1]  # libsndfile's reason, not its handle
        raise InvalidAudioError(f"{name}: not a readable audio file ({detail}); {_CONVERT_HINT}") from e
    return AudioInfo(name, info.samplerate, info.channels, info.frames, info.subtype, info.format)


def load_clip(
    source: bytes | str | Path,
    *,
    name: str | None = None,
    label: str | None = None,
    group: str | None = None,
    fold: str | None = None,
) -> Clip:
    """Decode one file (WAV/FLAC/OGG/MP3/AIFF) into a mono float32 `Clip` at its original rate.

    >>> import io, soundfile as sf
    >>> wav = io.BytesIO(); sf.write(wav, np.zeros((1600, 2)), 8000, format="WAV")  # 0.2 s of stereo silence
    >>> clip = load_clip(wav.getvalue(), name="a.wav")  # or a path: load_clip(Path("a.wav"))
    >>> clip.sample_rate_hz, clip.original_channels, clip.samples.shape, clip.subtype
    (8000, 2, (1600,), 'PCM_16')
    """
    if isinstance(source, (str, Path)):
        name = name or Path(source).name
        data = Path(source).read_bytes()
    else:
        data = source
    name = name or "<bytes>"
    if not data:
        raise InvalidAudioError(f"{name}: file is empty (0 bytes); upload a WAV/FLAC/OGG/MP3 file")
    _refuse_known_unsupported(data, name)
    info = read_info(data, name=name)
    _check_duration(info)
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        raise InvalidAudioError(f"{name}: header reads but the audio data does not decode ({e}); "
                                f"the file is probably truncated or corrupt: re-export it") from e
    if samples.shape[0] == 0:
        raise InvalidAudioError(f"{name}: contains no audio frames (header says {info.frames}); "
                                "the file is probably truncated: re-export it")
    mono = _downmix(samples)
    finite = np.isfinite(mono)
    non_finite = int(finite.size - np.count_nonzero(finite))
    if non_finite:
        mono[~finite] = 0.0
    _check_duration(replace(info, frames=len(mono)))
    return Clip(
        name=name, samples=mono, sample_rate_hz=int(rate), original_sample_rate_hz=int(rate),
        original_channels=samples.shape[1], subtype=info.subtype, container=info.container,
        label=label, group=group, content_hash=content_hash(data), non_finite_count=non_finite, fold=fold,
    )


def load_segment(
    source: BinaryIO | bytes,
    *,
    start_s: float,
    duration_s: float | None,
    name: str,
    channel: int | None = None,
    label: str | None = None,
    group: str | None = None,
    fold: str | None = None,
) -> Clip:
    """Decode only `duration_s` seconds (None: to the end) from `start_s` of a file into a mono float32 `Clip`:
    soundfile seeks to the segment and nothing after it is decoded, nor anything before it except in an MP3
    (`SEQUENTIAL_CONTAINERS`). For a NeMo offset or a Lhotse cut.

    channel: keep that channel of the file (0-based) instead of the downmix. The clip's content_hash is of the
    decoded segment (its samples and rate), so two segments of one file differ and equal audio is equal.

    >>> wav = io.BytesIO(); sf.write(wav, np.arange(8000) / 8000, 8000, format="WAV", subtype="FLOAT")  # a ramp
    >>> clip = load_segment(io.BytesIO(wav.getvalue()), start_s=0.25, duration_s=0.5, name="a.wav@0.25-0.75s")
    >>> len(clip.samples), float(clip.samples[0]), clip.duration_s
    (4000, 0.25, 0.5)
    """
    if not start_s >= 0 or (duration_s is not None and not duration_s > 0):  # `not`: NaN is refused too
        raise InvalidAudioError(f"{name}: a segment from {start_s} s lasting {duration_s} s; the start must be at "
                                "least 0 s and the duration more than 0 s")
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    head = handle.read(max(o + len(m) for o, m, _ in _UNSUPPORTED_MAGIC))
    if not head:
        raise InvalidAudioError(f"{name}: file is empty (0 bytes); upload a WAV/FLAC/OGG/MP3 file")
    _refuse_known_unsupported(head, name)
    handle.seek(0)
    try:
        with sf.SoundFile(handle) as f:
            rate, total = f.samplerate, f.frames
            start = int(round(start_s * rate))
            wanted = total - start if duration_s is None else int(round(duration_s * rate))
            end_s = start_s + wanted / rate
            if start >= total or start + wanted > total + round(SEGMENT_OVERRUN_S * rate):
                raise InvalidAudioError(
                    f"{name}: the segment {start_s:g}-{end_s:g} s goes past the end of the file "
                    f"({total / rate:g} s); fix its offset and duration")
            info = AudioInfo(name, rate, f.channels, min(wanted, total - start), f.subtype, f.format)
            _check_duration(info)
            if channel is not None and not 0 <= channel < f.channels:
                raise InvalidAudioError(f"{name}: asks for channel {channel} of a file with {f.channels} "
                                        f"channel(s); use 0 to {f.channels - 1}")
            if f.format in SEQUENTIAL_CONTAINERS:  # one read from the start, as load_clip decodes it
                samples = f.read(start + info.frames, dtype="float32", always_2d=True)[start:]
            else:
                f.seek(start)
                samples = f.read(info.frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        detail = getattr(e, "error_string", "") or str(e)
        raise InvalidAudioError(f"{name}: not a readable audio file ({detail}); {_CONVERT_HINT}") from e
    if samples.shape[0] == 0:
        raise InvalidAudioError(f"{name}: the segment holds no audio frames; the file is probably truncated")
    mono = samples[:, channel].copy() if channel is not None else _downmix(samples)
    finite = np.isfinite(mono)
    non_finite = int(finite.size - np.count_nonzero(finite))
    if non_finite:
        mono[~finite] = 0.0
    return Clip(
        name=name, samples=mono, sample_rate_hz=int(rate), original_sample_rate_hz=int(rate),
        original_channels=samples.shape[1], subtype=info.subtype, container=info.container, label=label,
        group=group, content_hash=content_hash(np.ascontiguousarray(samples).tobytes() + str(rate).encode()),
        non_finite_count=non_finite, fold=fold,
    )


def _downmix(samples: np.ndarray) -> np.ndarray:
    """Average the channels into a new mono array (column sums: ~10x faster than mean(axis=1) on long files)."""
    mono = samples[:, 0].copy()
    for channel in range(1, samples.shape[1]):
        mono += samples[:, channel]
    if samples.shape[1] > 1:
        mono /= np.float32(samples.shape[1])
    return mono


def _refuse_known_unsupported(data: bytes, name: str) -> None:
    for offset, magic, kind in _UNSUPPORTED_MAGIC:
        if data[offset:offset + len(magic)] == magic:
            raise InvalidAudioError(f"{name}: is {kind}, which audiodiag cannot decode; {_CONVERT_HINT}")


def _check_duration(info: AudioInfo) -> None:
    if info.duration_s < MIN_CLIP_DURATION_S:
        raise InvalidAudioError(
            f"{info.name}: only {info.frames} sample(s) ({info.duration_s * 1000:.2f} ms) long; at least "
            f"{MIN_CLIP_DURATION_S * 1000:.0f} ms is needed to measure anything: remove it or re-export it")
    if info.duration_s > MAX_CLIP_DURATION_S:
        raise InvalidAudioError(
            f"{info.name}: {info.duration_s:.0f} s long; clips up to {MAX_CLIP_DURATION_S:.0f} s are analysed: "
            f"cut it into clips first (e.g. `sox long.wav clip.wav trim 0 30 : newfile : restart`)")


def resample(samples: np.ndarray, *, orig_sample_rate_hz: int, target_sample_rate_hz: int) -> np.ndarray:
    """Band-limited resampling with soxr (VHQ); never index-skipping, which aliases."""
    if orig_sample_rate_hz == target_sample_rate_hz:
        return samples
    return soxr.resample(samples, orig_sample_rate_hz, target_sample_rate_hz, quality="VHQ").astype(np.float32)


def resample_clip(clip: Clip, *, target_sample_rate_hz: int) -> Clip:
    """The same clip at another rate; `original_sample_rate_hz` keeps what the file was."""
    if clip.sample_rate_hz == target_sample_rate_hz:
        return clip
    samples = resample(clip.samples, orig_sample_rate_hz=clip.sample_rate_hz,
                       target_sample_rate_hz=target_sample_rate_hz)
    return replace(clip, samples=samples, sample_rate_hz=target_sample_rate_hz)


def pad_or_trim(samples: np.ndarray, *, length: int) -> np.ndarray:
    """Zero-pad at the end or cut to exactly `length` samples (what fixed-length encoders do)."""
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))


@dataclass(frozen=True)
class ModelInput:
    """A clip as a model receives it: resampled to the model's rate, then padded/cut to a length if one is set."""

    clip: Clip
    padding_fraction: float  # share of the model input that is padding
    cut_s: float  # seconds of audio cut off the end
    resampled: bool  # False when the clip already was at the model's rate


def as_model_sees_it(clip: Clip, *, sample_rate_hz: int, length_s: float | None = None) -> ModelInput:
    """What a model with this rate (and fixed input length, None: none) is given for `clip`.

    >>> half_second_8k = Clip("a.wav", np.ones(4000, np.float32), 8000, 8000, 1)
    >>> seen = as_model_sees_it(half_second_8k, sample_rate_hz=16_000, length_s=1.0)
    >>> seen.clip.sample_rate_hz, len(seen.clip.samples), seen.padding_fraction
    (16000, 16000, 0.5)
    """
    resampled = resample_clip(clip, target_sample_rate_hz=sample_rate_hz)
    changed = clip.sample_rate_hz != sample_rate_hz
    if not length_s:
        return ModelInput(resampled, 0.0, 0.0, changed)
    length = max(1, int(round(length_s * sample_rate_hz)))
    n = len(resampled.samples)
    return ModelInput(replace(resampled, samples=pad_or_trim(resampled.samples, length=length)),
                      max(0, length - n) / length, max(0, n - length) / sample_rate_hz, changed)
