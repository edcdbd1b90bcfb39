"""Frozen encoders: what each target model expects (the catalogue) and the models themselves.

`CATALOGUE` describes the models the Inspect page checks a dataset against. `load_encoder` returns an
object that satisfies the HEAR-style `Encoder` protocol: bundled encoders that work offline (Whisper
tiny.en through CTranslate2, Google's speech_embedding through ONNX Runtime), any Hugging Face audio model
by hub id, or a local folder written by `save_pretrained` / `huggingface-cli download`.

>>> tone = Clip("tone.wav", np.sin(np.arange(16000, dtype=np.float32) / 5), 16000, 16000, 1)
>>> encoder = load_encoder("speech_embedding")   # or "whisper-tiny.en encoder (unpadded)", a hub id, a folder
>>> encoder.embed([tone, tone]).shape, encoder.embed([tone]).dtype
((2, 96), dtype('float32'))
"""
from __future__ import annotations

import functools
import os
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

from audiodiag.errors import BadParameterError, MissingDependencyError
from audiodiag.represent.encoders.aisfx import AISFX, AISFX_INSTALL, AisfxEncoder
from audiodiag.represent.encoders.base import SPEECH_EMBEDDING, WHISPER_PADDED, WHISPER_UNPADDED, Prepared
from audiodiag.represent.encoders.hf import HFEncoder
from audiodiag.represent.encoders.speech_embedding import SpeechEmbeddingEncoder
from audiodiag.represent.encoders.whisper import WhisperEncoder
from audiodiag.types import Clip

__all__ = ["AISFX", "AisfxEncoder", "CATALOGUE", "DEFAULT_TARGET", "Encoder", "EncoderSpec", "HFEncoder",
           "LayerwiseEncoder", "Prepared", "PreparingEncoder",
           "SPEECH_EMBEDDING", "SpeechEmbeddingEncoder", "WHISPER_PADDED", "WHISPER_UNPADDED", "WhisperEncoder",
           "canonical_name", "get_spec", "load_encoder", "loadable_names", "target_names"]


@dataclass(frozen=True)
class EncoderSpec:
    name: str
    sample_rate_hz: int  # the rate the model was trained at; inputs are resampled to it
    speech_model: bool  # trained on speech only: non-speech input is out of distribution
    fixed_input_s: float | None = None  # every input is padded or cut to this length (Whisper: 30 s)
    source: str = ""
    encoder_id: str = ""  # what `load_encoder` takes for this entry; "" when there is no frozen encoder
    embedding_size: int | None = None  # the width of its rows (the model's output), where known

    @property
    def kind(self) -> str:
        return "speech" if self.speech_model else "general audio"



CATALOGUE: dict[str, EncoderSpec] = {s.name: s for s in (
    EncoderSpec("wav2vec2-base", 16_000, True, source="facebook/wav2vec2-base (Hugging Face)",
                encoder_id="facebook/wav2vec2-base", embedding_size=768),
    EncoderSpec("hubert-base", 16_000, True, source="facebook/hubert-base-ls960 (Hugging Face)",
                encoder_id="facebook/hubert-base-ls960", embedding_size=768),
    EncoderSpec(WHISPER_PADDED, 16_000, True, fixed_input_s=30.0,
                source="openai whisper tiny.en via faster-whisper (bundled weights)", encoder_id=WHISPER_PADDED,
                embedding_size=384),
    EncoderSpec(WHISPER_UNPADDED, 16_000, True,
                source="openai whisper tiny.en via faster-whisper (bundled weights)", encoder_id=WHISPER_UNPADDED,
                embedding_size=384),
    EncoderSpec(SPEECH_EMBEDDING, 16_000, True,
                source="Google speech_embedding ONNX, shipped in openwakeword (bundled weights)",
                encoder_id=SPEECH_EMBEDDING, embedding_size=96),
    EncoderSpec(AISFX, 44_100, False, source="aiSFX sound-effects CNN (Ma & Lerch, ISMIR 2022), optional `aisfx` "
                "wheel (bundled weights, CC BY 4.0)", encoder_id=AISFX,
                embedding_size=512),
    EncoderSpec("AST AudioSet", 16_000, False, fixed_input_s=10.24,
                source="MIT/ast-finetuned-audioset-10-10-0.4593 (Hugging Face)",
                encoder_id="MIT/ast-finetuned-audioset-10-10-0.4593", embedding_size=768),
    EncoderSpec("CLAP", 48_000, False, fixed_input_s=10.0, source="laion/clap-htsat-unfused (Hugging Face)"),
    EncoderSpec("spectral baseline (MFCC/log-mel)", 16_000, False,
                source="audiodiag.represent.features (no pretrained weights)"),
)}
DEFAULT_TARGET = WHISPER_UNPADDED  # bundled: works offline out of the box


def canonical_name(name: str | Path) -> str:
    """The one name resolver every command uses: a short alias ("aisfx", "whisper-tiny.en-unpadded") becomes its
    full name; any other name, id or folder comes back as given (stripped).

    >>> canonical_name(" speech_embedding "), canonical_name("facebook/wav2vec2-base")
    ('speech_embedding (openwakeword)', 'facebook/wav2vec2-base')
    """
    key = str(name).strip()
    return ALIASES.get(key, key)


def target_names() -> list[str]:
    """Every name `get_spec` takes: the catalogue's names and the short aliases."""
    return [*CATALOGUE, *ALIASES]


def get_spec(name: str) -> EncoderSpec:
    """The catalogue entry for `name` (a catalogue name, a short alias, or an entry's Hugging Face id); an unknown
    name raises with the valid names.

    >>> get_spec("aisfx").sample_rate_hz, get_spec("facebook/wav2vec2-base").name
    (44100, 'wav2vec2-base')
    """
    key = canonical_name(name)
    spec = CATALOGUE.get(key) or next((s for s in CATALOGUE.values() if s.encoder_id and s.encoder_id == key), None)
    if spec is None:
        raise BadParameterError(f"unknown target model {key!r}; choose one of: {', '.join(target_names())}")
    return spec


# ---------------------------------------------------------------- the protocol

@runtime_checkable
class Encoder(Protocol):
    """HEAR-style frozen encoder: clips in (any rate; resampled inside), one pooled row per clip out.

    Everything callers need is stated here, so nobody probes with getattr/hasattr: the embedding cache keys on
    (class, encoder_id, revision, padding_policy, sample_rate_hz, embedding_size, layer); Compare reports
    model_bytes as the model's size.
    """

    name: str  # shown to the user
    encoder_id: str  # what `load_encoder` took: a bundled name, a Hugging Face id or a folder
    revision: str  # the weights' version (package version, hub commit, folder content hash): part of the cache key
    padding_policy: str  # how inputs of different lengths are padded and pooled: part of the cache key
    sample_rate_hz: int  # the rate the model was trained at; inputs are resampled to it
    embedding_size: int  # the width of each row `embed` returns
    model_bytes: int  # weights on disk or in memory

    def embed(self, clips: Sequence[Clip], *, layer: int | None = None) -> np.ndarray:
        """(len(clips), embedding_size) float32; `layer` picks a hidden state (None: the model's output)."""
        ...


@runtime_checkable
class PreparingEncoder(Encoder, Protocol):
    """An encoder whose model-free first step (resampling, features) may run in another process: the workers that
    decode the clips run `preparer` while this process runs the model on earlier batches (audiodiag.runs.workers).
    `embed(clips)` is `embed_prepared(preparer(clips))`, bit for bit."""

    preparer: Callable[[Sequence[Clip]], list]  # picklable, numpy only: one item per clip

    def embed_prepared(self, prepared: Sequence, *, layer: int | None = None) -> np.ndarray:
        """`embed`'s rows for clips already through `preparer`."""
        ...


@runtime_checkable
class LayerwiseEncoder(Encoder, Protocol):
    """An encoder that exposes every hidden layer (Hugging Face models): the layer sweep and probes need it."""

    def embed_all_layers(self, clips: Sequence[Clip]) -> dict[str, np.ndarray]:
        """{"mean": (layers, clips, width), "mean+std": (layers, clips, 2 * width)} pooled hidden states."""
        ...


_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")




# ---------------------------------------------------------------- registry

BUNDLED: dict[str, Callable[[], Encoder]] = {
    WHISPER_PADDED: lambda: WhisperEncoder(mode="padded"),
    WHISPER_UNPADDED: lambda: WhisperEncoder(mode="unpadded"),
    SPEECH_EMBEDDING: SpeechEmbeddingEncoder,
    AISFX: AisfxEncoder,  # optional install; without it, loading says how
}
ALIASES = {"whisper-tiny.en": WHISPER_PADDED, "whisper-tiny.en-unpadded": WHISPER_UNPADDED,
           "speech_embedding": SPEECH_EMBEDDING, "aisfx": AISFX}


def loadable_names() -> list[str]:
    """Everything `load_encoder` takes by name: bundled encoders, aliases and catalogue entries."""
    return [*BUNDLED, *ALIASES, *(n for n, s in CATALOGUE.items() if s.encoder_id and n not in BUNDLED)]


def availability(name: str) -> str:
    """"" when `name` can run here without a download (bundled, installed, or in the local Hugging Face cache),
    else a short note for the encoder picker: why it would not run right now."""
    key = canonical_name(name)
    spec = CATALOGUE.get(key)
    target = spec.encoder_id if spec is not None else key
    if not target:
        return "no frozen encoder here"
    if target in BUNDLED:
        if target == AISFX:
            import importlib.util

            return "" if importlib.util.find_spec("aisfx") else "not installed"
        return ""
    if Path(target).expanduser().is_dir() or not _HUB_ID.fullmatch(target):
        return ""
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = isinstance(try_to_load_from_cache(target, "config.json"), str)
    except Exception:  # noqa: BLE001 - an unreadable cache counts as not cached
        cached = False
    if cached:
        return ""
    return "downloads from the model hub" if hub_reachable() else "needs the model hub (unreachable here)"


def install_command(name: str) -> str:
    """The command that installs an optional encoder missing here (aiSFX); "" when nothing needs installing, so
    no page or note advises installing what is installed.

    >>> install_command("speech_embedding")
    ''
    """
    key = canonical_name(name)
    return AISFX_INSTALL if key == AISFX and availability(key) == "not installed" else ""


def is_bundled(name: str) -> bool:
    """True for the encoders shipped with the app (by name or alias): offline, final layer only, not fine-tunable."""
    return canonical_name(name) in BUNDLED


@functools.lru_cache(maxsize=None)
def _bundled(make: Callable[[], Encoder]) -> Encoder:
    """One instance of each bundled encoder per process (models once per process: loading Whisper's weights took
    0.18 s of every report run). They are frozen and their embed keeps no state between calls; the app's server
    already shares each one among its sessions."""
    return make()


def load_encoder(name_or_path: str | Path) -> Encoder:
    """A bundled encoder by name, a catalogue name, a Hugging Face id ("owner/model") or a local folder.

    >>> load_encoder("speech_embedding").embedding_size   # a folder: load_encoder("models/wav2vec2-base")
    96
    >>> load_encoder("speech-embedding")                  # a typo: the error lists the valid names
    Traceback (most recent call last):
    audiodiag.errors.BadParameterError: unknown encoder 'speech-embedding': not a bundled name, ...; choose one of: ...
    """
    key = canonical_name(name_or_path)
    spec = CATALOGUE.get(key)
    if spec is not None and not spec.encoder_id:
        raise BadParameterError(f"{key!r} is a catalogue target without a frozen encoder here "
                                f"({spec.source}); choose one of: {', '.join(loadable_names())}")
    key = spec.encoder_id if spec is not None else key
    if key in BUNDLED:
        return _bundled(BUNDLED[key])
    path = Path(key).expanduser()
    if path.is_dir():
        try:
            return HFEncoder(str(path), name=spec.name if spec else None, local_files_only=True)
        except (OSError, ValueError, KeyError) as e:
            raise MissingDependencyError(
                f"{path}: could not load a Hugging Face model from this folder ({e}); it needs "
                "config.json, preprocessor_config.json and the weights, e.g. from "
                f"`huggingface-cli download ID --local-dir {path}`") from e
    if _HUB_ID.fullmatch(key):
        return _load_from_hub(key, name=spec.name if spec else None)
    raise BadParameterError(f"unknown encoder {key!r}: not a bundled name, not an existing folder and not a "
                            f"Hugging Face id like 'owner/model'; choose one of: {', '.join(loadable_names())}")


HUB_PROBE_TIMEOUT_S = 3.0
T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """Whether the Hugging Face hub (or $HF_ENDPOINT) answers a TCP connection within a few seconds; checked once
    per process, so an offline machine gets its error at once instead of after minutes of download retries."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() not in ("0", "", "false", "no"):
        return False
    from urllib.parse import urlparse

    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co",
                                       endpoint.port or (443 if endpoint.scheme == "https" else 80)),
                                      timeout=HUB_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def cache_then_hub(load: Callable[[bool], T], *,
                   cached_errors: tuple[type[Exception], ...] = (Exception,)) -> tuple[T | None, Exception | None]:
    """`load(local_files_only=True)`, else `load(False)` when the hub answers: (result, None), or (None, the last
    error) for the caller to explain. Errors of the cached attempt outside `cached_errors` propagate."""
    try:
        return load(True), None
    except cached_errors as cached_error:
        error: Exception = cached_error
    if hub_reachable():
        try:
            return load(False), None
        except Exception as e:  # noqa: BLE001 - any hub/network failure becomes the caller's one helpful message
            error = e
    return None, error


def _load_from_hub(model_id: str, *, name: str | None) -> HFEncoder:
    """Hub id: the local Hugging Face cache first, the network only when the hub answers."""
    encoder, error = cache_then_hub(lambda local: HFEncoder(model_id, name=name, local_files_only=local),
                                    cached_errors=(OSError, ValueError))
    if encoder is not None:
        return encoder
    raise MissingDependencyError(
        f"{model_id}: could not be loaded from the Hugging Face hub; the hub is unreachable from here, or "
        f"the id is wrong ({type(error).__name__}: {error}). Encoders that work offline: {', '.join(BUNDLED)}. "
        f"To use {model_id}, on a machine with internet run `huggingface-cli download {model_id} --local-dir "
        f"DIR`, copy DIR here and pass DIR to load_encoder") from error
