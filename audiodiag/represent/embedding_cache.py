"""On-disk cache of clip embeddings: one .npy row per (clip content, encoder, revision, layer, padding).

Encoding a dataset with a frozen encoder is the slow step of a comparison; re-running with another
classifier or fold split must not pay it again. Rows are keyed by a hash of the samples the encoder would
see (so renamed or re-uploaded files hit), the encoder's id and revision (package version for bundled
encoders, a hash of config and weight files for local folders), the layer, the input sample rate and the
encoder's padding policy. Only missing rows are computed.

>>> import tempfile
>>> from audiodiag.represent.encoders import load_encoder
>>> clips = [Clip("tone.wav", np.sin(np.arange(16000, dtype=np.float32) / 5), 16000, 16000, 1)]
>>> encoder, timing = load_encoder("speech_embedding"), Timing()
>>> with tempfile.TemporaryDirectory() as cache:                  # default: default_cache_dir()
...     rows = cached_embed(encoder, clips, cache_dir=cache)                   # computes and stores
...     again = cached_embed(encoder, clips, cache_dir=cache, timing=timing)   # reads back, bit-identical
>>> rows.shape, np.array_equal(rows, again), timing.clips_computed
((1, 96), True, 0)
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiodiag.caches import CACHE_DIR_ENV
from audiodiag.errors import AudioDiagError
from audiodiag.represent.encoders import Encoder, Prepared
from audiodiag.types import Clip

DEFAULT_CACHE_DIR = Path("~/.cache/audiodiag/embeddings")
KEY_CHARS = 32
COMPUTE_CHUNK_CLIPS = 32  # missing clips are encoded this many at a time, so progress moves
TIMING_FILE = "timing.json"  # running extraction totals next to the rows


@dataclass
class Timing:
    """Filled in by `cached_embed`: extraction cost, measured when rows were computed.

    `seconds_per_clip` is this call's figure when it computed rows, otherwise the figure stored with the
    cached rows by earlier calls (NaN when no call ever recorded one).
    """

    clips_computed: int = 0
    seconds: float = 0.0
    seconds_per_clip: float = math.nan


def default_cache_dir() -> Path:
    """$AUDIODIAG_CACHE_DIR if set, else ~/.cache/audiodiag/embeddings."""
    return Path(os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR).expanduser()


def encoder_key(encoder: Encoder, *, layer: int | None) -> dict[str, object]:
    """Everything about the encoder that changes its output, as a JSON-able dict."""
    return {
        "class": f"{type(encoder).__module__}.{type(encoder).__qualname__}",
        "encoder_id": str(encoder.encoder_id),
        "revision": str(encoder.revision),
        "padding_policy": str(encoder.padding_policy),
        "sample_rate_hz": int(encoder.sample_rate_hz),
        "embedding_size": int(encoder.embedding_size),
        "layer": layer,
    }


def clip_key(clip: Clip) -> str:
    """Hash of the samples and their rate: what the encoder sees, whatever the file was called."""
    digest = hashlib.sha256(f"{clip.sample_rate_hz}:{clip.samples.dtype.str}:".encode())
    digest.update(np.ascontiguousarray(clip.samples).tobytes())
    return digest.hexdigest()[:KEY_CHARS]


def _hash(obj: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:KEY_CHARS]


CACHE_WARNINGS: list[str] = []  # one line per unwritable cache folder met in this process (CLI and pages show them)
_FALLBACKS: dict[str, Path] = {}


def writable_dir(folder: Path) -> Path:
    """`folder`, created if needed, when files can be written there; else a temporary folder for this process,
    with one line in CACHE_WARNINGS (a read-only or missing mount must not end a run)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
        return folder
    except OSError as e:
        if str(folder) not in _FALLBACKS:
            _FALLBACKS[str(folder)] = Path(tempfile.mkdtemp(prefix="audiodiag-cache-"))
            CACHE_WARNINGS.append(
                f"the cache folder {folder} cannot be written ({e.strerror or e}); this run uses a temporary cache "
                f"({_FALLBACKS[str(folder)]}) instead, so vectors and transcripts are not kept for the next run: "
                f"set {CACHE_DIR_ENV} to a writable folder")
        return _FALLBACKS[str(folder)]


def cached_embed(
    encoder: Encoder,
    clips: Sequence[Clip],
    *,
    layer: int | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    timing: Timing | None = None,
    prepared: Prepared | None = None,
) -> np.ndarray:
    """`encoder.embed(clips, layer=layer)`, reading rows already on disk and storing the new ones.

    Parameters
    ----------
    prepared : the encoder's `preparer` output for these clips, made in the process that decoded them
        (`encoders.PreparingEncoder`); the missing rows then come from `encoder.embed_prepared`, and the timing counts
        the computed clips' share of its seconds.
    cache_dir : folder for the cache; default `default_cache_dir()`.
    progress : called as progress(done, total) with clip counts while missing rows are computed.
    timing : if given, receives the extraction cost (see `Timing`).

    Returns
    -------
    (len(clips), encoder.embedding_size) float32, bit-identical to what was stored.
    """
    meta = encoder_key(encoder, layer=layer)
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    folder = writable_dir(folder / _hash(meta))
    meta_file = folder / "encoder.json"
    if not meta_file.exists():  # for people browsing the cache: which encoder wrote these rows
        meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True))
    size = int(encoder.embedding_size)
    out = np.empty((len(clips), size), np.float32)
    paths = [folder / f"{clip_key(c)}.npy" for c in clips]
    missing = [i for i, p in enumerate(paths) if not _read_row(p, size, out, i)]
    # the same content twice in one call is computed once
    first: dict[Path, int] = {}
    todo = [i for i in missing if first.setdefault(paths[i], i) == i]
    done = len(clips) - len(missing)
    if progress and todo:
        progress(done, len(clips))
    started = time.perf_counter()
    for start in range(0, len(todo), COMPUTE_CHUNK_CLIPS):
        chunk = todo[start:start + COMPUTE_CHUNK_CLIPS]
        rows = np.asarray(encoder.embed([clips[i] for i in chunk], layer=layer) if prepared is None else
                          encoder.embed_prepared([prepared.items[i] for i in chunk], layer=layer))
        if rows.shape != (len(chunk), size):
            raise AudioDiagError(f"{encoder.name}: returned shape {rows.shape} for {len(chunk)} clips; "
                                 f"expected ({len(chunk)}, {size}); the encoder breaks the Encoder protocol")
        rows = rows.astype(np.float32, copy=False)
        for i, row in zip(chunk, rows, strict=True):
            out[i] = row
            _write_row(paths[i], row)
        done += len(chunk)
        if progress:
            progress(done, len(clips))
    for i in missing:
        if first[paths[i]] != i:
            out[i] = out[first[paths[i]]]
    if timing is not None:
        elsewhere = prepared.seconds * len(todo) / len(clips) if prepared is not None else 0.0
        _record_timing(folder / TIMING_FILE, timing, len(todo), time.perf_counter() - started + elsewhere)
    return out


def _record_timing(path: Path, timing: Timing, computed: int, seconds: float) -> None:
    """Keep running totals next to the rows, so a fully cached call can still report the extraction cost."""
    try:
        stored = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        stored = {}
    total_clips = int(stored.get("clips", 0)) + computed
    total_seconds = float(stored.get("seconds", 0.0)) + (seconds if computed else 0.0)
    if computed:
        try:
            path.write_text(json.dumps({"clips": total_clips, "seconds": total_seconds}))
        except OSError:
            pass  # a read-only cache still serves rows; only the cost figure is lost
    timing.clips_computed, timing.seconds = computed, seconds if computed else 0.0
    timing.seconds_per_clip = (seconds / computed if computed
                               else total_seconds / total_clips if total_clips else math.nan)


def _read_row(path: Path, size: int, out: np.ndarray, i: int) -> bool:
    """Fill out[i] from `path`; a missing, truncated or wrong-shaped file counts as a miss."""
    try:
        row = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return False
    if row.shape != (size,) or row.dtype != np.float32:
        return False
    out[i] = row
    return True


def _write_row(path: Path, row: np.ndarray) -> None:
    """Write to a temporary file and rename, so a crash or a concurrent reader never sees half a row."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, np.ascontiguousarray(row, np.float32), allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
