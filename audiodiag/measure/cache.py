"""On-disk cache of per-clip measurements (`dataset.measure`: levels, silence, bandwidth, VAD speech regions).

Measuring is what a restarted app pays before it can show a clip's numbers (VAD's model load, scipy's filters for
loudness); the same clips measured by the same code give the same numbers, so they are read back instead. One
JSON file per clip, keyed by a hash of the samples, every other field of the `Clip` (name, label, group, rates,
channels, subtype, container ...: what `checks.clip_stats` copies into its row), the `loudness` flag and
`measurement_version()`: audiodiag's own source and the installed files of the packages that compute. Any change to
those measures again; nothing is ever served from other code.

>>> import tempfile
>>> clip = Clip("tone.wav", np.sin(np.arange(16000, dtype=np.float32) / 5), 16000, 16000, 1)
>>> with tempfile.TemporaryDirectory() as cache:
...     first = cached_measure([clip], cache_dir=cache)     # measures and stores
...     again = cached_measure([clip], cache_dir=cache)     # reads back
>>> first == again
True
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from audiodiag.caches import cache_root
from audiodiag.measure import dataset
from audiodiag.measure.per_clip import ClipStats
from audiodiag.represent.embedding_cache import clip_key, writable_dir
from audiodiag.types import Clip, SpeechRegion

CACHE_SUBDIR = "measurements"
KEY_CHARS = 32
# the packages whose numbers end up in a measurement: resampling for VAD, VAD's runtime and model, loudness filters
COMPUTING_PACKAGES = ("numpy", "scipy", "soxr", "onnxruntime", "silero_vad", "pyloudnorm")
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # every source file of audiodiag is part of the key


def measurement_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """`cache_dir`, else $AUDIODIAG_CACHE_DIR, else ~/.cache/audiodiag; measurements live in its measurements/."""
    return cache_root(cache_dir) / CACHE_SUBDIR


@lru_cache(maxsize=1)
def measurement_version() -> str:
    """Hash of audiodiag's source files and of the computing packages' installed files (path, size, mtime), found
    without importing them: an edit, an upgrade or a reinstall changes it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0" + path.read_bytes())
    for name in COMPUTING_PACKAGES:
        spec = importlib.util.find_spec(name)
        stat = os.stat(spec.origin) if spec is not None and spec.origin else None
        digest.update(f"{name}:{spec and spec.origin}:{stat and stat.st_size}:{stat and stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:KEY_CHARS]


measurement_version()  # at import: the version names the files this process loaded, not ones edited while it runs


def entry_key(clip: Clip, *, loudness: bool) -> str:
    """The cache key of one clip's measurements: its samples, every other Clip field, the flag, the code."""
    fields = {f.name: repr(getattr(clip, f.name)) for f in dataclasses.fields(clip) if f.name != "samples"}
    blob = json.dumps([clip_key(clip), fields, bool(loudness), measurement_version()], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:KEY_CHARS]


Measured = tuple[list[ClipStats], list[list[SpeechRegion]]]


def cached_measure(clips: Sequence[Clip], *, loudness: bool = True, cache_dir: str | Path | None = None,
                   measure: Callable[[Sequence[Clip]], Measured] | None = None) -> Measured:
    """`dataset.measure(clips, loudness=loudness)`, reading the clips measured before from disk and storing the
    others. Returns what `dataset.measure` returns, equal field by field.

    measure: measures the clips not on disk, in one call (default `dataset.measure` with `loudness`; e.g. a
    process pool's, which must measure the same way).
    """
    folder = writable_dir(measurement_cache_dir(cache_dir))
    paths = [folder / f"{entry_key(c, loudness=loudness)}.json" for c in clips]
    found = [_read(p) for p in paths]
    missing = [i for i, entry in enumerate(found) if entry is None]
    if missing:
        todo = [clips[i] for i in missing]
        stats, speech = measure(todo) if measure is not None else dataset.measure(todo, loudness=loudness)
        for i, s, r in zip(missing, stats, speech, strict=True):
            found[i] = (s, list(r))
            _write(paths[i], s, r)
    return [e[0] for e in found], [e[1] for e in found]


def _read(path: Path) -> tuple[ClipStats, list[SpeechRegion]] | None:
    """The stored entry; a missing, truncated or foreign file counts as a miss."""
    try:
        entry = json.loads(path.read_text())
        return ClipStats(**entry["stats"]), [SpeechRegion(*r) for r in entry["speech"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _plain(value):
    """numpy scalars as Python numbers (JSON writes floats so that they read back exactly)."""
    return value.item() if isinstance(value, np.generic) else value


def _write(path: Path, stats: ClipStats, speech: Sequence[SpeechRegion]) -> None:
    """Write to a temporary file and rename, so a crash or a concurrent reader never sees half an entry; a cache
    that cannot be written only loses the entry."""
    entry = {"stats": {k: _plain(v) for k, v in dataclasses.asdict(stats).items()},
             "speech": [[_plain(r.start_s), _plain(r.end_s)] for r in speech]}
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(entry, f)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
