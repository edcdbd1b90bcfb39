"""Where audiodiag keeps what it caches on disk: one root, $AUDIODIAG_CACHE_DIR or ~/.cache/audiodiag, shared by the
embedding, measurement and transcript caches, the downloaded datasets and the model-file hashes."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "AUDIODIAG_CACHE_DIR"
DEFAULT_CACHE_ROOT = Path("~/.cache/audiodiag")


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """`cache_dir`, else $AUDIODIAG_CACHE_DIR, else ~/.cache/audiodiag (user folder expanded).

    >>> cache_root("~/x") == Path.home() / "x"
    True
    """
    return Path(cache_dir or os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_ROOT).expanduser()
