"""What every encoder implementation shares (public to them and to fine-tuning): input checks, resampling,
batching, versions and the weights check."""
from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from audiodiag.data.decoding import resample_clip
from audiodiag.errors import BadParameterError, MissingDependencyError
from audiodiag.types import Clip

WHISPER_PADDED = "whisper-tiny.en encoder (30 s padded)"
WHISPER_UNPADDED = "whisper-tiny.en encoder (unpadded)"
SPEECH_EMBEDDING = "speech_embedding (openwakeword)"

_threads: ContextVar[int] = ContextVar("audiodiag_model_threads", default=0)


@contextlib.contextmanager
def model_threads(n: int) -> Iterator[None]:
    """Within this block (this thread: a context variable), the CTranslate2 models (Whisper's encoder, the bundled
    ASR) run on n threads; 0: their runtime's default (two on this project's 2-core machine). Beside worker
    processes that hold the other cores, n=1: more threads than cores only take turns."""
    token = _threads.set(n)
    try:
        yield
    finally:
        _threads.reset(token)


class ByThreads:
    """One model per thread count, each made on first use: CTranslate2 fixes a model's threads when it loads it.
    make(threads) loads one (0: the runtime's default), here at once for the default, so a bad install fails early.

    >>> models = ByThreads(lambda threads: f"model on {threads or 'default'} threads")
    >>> with model_threads(1):
    ...     models.get()
    'model on 1 threads'
    >>> models.get()
    'model on default threads'
    """

    def __init__(self, make: Callable[[int], object]) -> None:
        self._make = make
        self._models = {0: make(0)}
        self._lock = threading.Lock()  # the app's sessions are threads sharing one encoder

    def get(self):
        n = _threads.get()
        with self._lock:
            if n not in self._models:
                self._models[n] = self._make(n)
            return self._models[n]


@dataclass(frozen=True, eq=False)
class Prepared:
    """A `PreparingEncoder`'s preparer output for some clips, made in another process: one item per clip, and the
    seconds it took there (counted in the encoder's cost per clip)."""

    items: list
    seconds: float


def check_clips(clips: Sequence[Clip], *, encoder: str) -> None:
    for clip in clips:
        if not isinstance(clip, Clip):
            raise BadParameterError(f"{encoder}: expected Clip objects (audiodiag.data.decoding.load_clip), got "
                                    f"{type(clip).__name__}")
        if clip.samples.ndim != 1 or clip.samples.size == 0:
            raise BadParameterError(f"{clip.name}: samples must be a non-empty mono array, got shape "
                                    f"{clip.samples.shape}; load it with audiodiag.data.decoding.load_clip (it "
                                    "downmixes)")


def last_layer_only(layer: int | None, *, encoder: str) -> None:
    if layer not in (None, -1):
        raise BadParameterError(f"{encoder}: exposes only its final layer, got layer={layer}; "
                                "pass layer=None (or -1), or use a Hugging Face encoder to pick hidden layers")


def resampled(clips: Sequence[Clip], sample_rate_hz: int) -> list[np.ndarray]:
    return [np.ascontiguousarray(resample_clip(c, target_sample_rate_hz=sample_rate_hz).samples, np.float32)
            for c in clips]


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def package_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def verify_weights(path: Path, *, sha256: str, what: str, install: str) -> None:
    """Refuse a weights file that is missing or is not the expected checkpoint (its sha256), naming the reinstall.
    `what`: the checkpoint as the message names it, e.g. "resemblyzer 0.1.4"."""
    if not path.is_file():
        raise MissingDependencyError(
            f"{path}: the {what} weights are missing from the installed package; reinstall with "
            f"`{install}`")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise MissingDependencyError(
            f"{path}: sha256 {digest[:12]}… is not the checkpoint of {what} ({sha256[:12]}…); "
            f"reinstall with `{install}`")
