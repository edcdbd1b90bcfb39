"""The sample datasets bundled in sample_audio/: made by the project (tools/make_samples.py, CC0; see
sample_audio/ATTRIBUTION.md)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from audiodiag.data.decoding import AUDIO_EXTENSIONS
from audiodiag.data.layout import load_folder
from audiodiag.types import Clip, LoadFailure


def _sample_root() -> Path:
    """sample_audio/ of the checkout (next to the package), else the installed wheel's audiodiag_app/sample_audio."""
    checkout = Path(__file__).resolve().parents[2] / "sample_audio"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("audiodiag_app")  # a namespace package (no __init__.py): no origin, a location
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) / "sample_audio" if locations else checkout


SAMPLE_ROOT = _sample_root()
DEFAULT_SET = "spoken_digits"
DESCRIPTIONS = {
    "fsdd": "real recordings: Free Spoken Digit Dataset, digits 0-9 by 5 speakers (groups), 8 kHz, CC BY-SA 4.0 "
            "(downloaded with `python -m audiodiag samples --download fsdd`)",
    "spoken_digits": "synthetic spoken digits 0-9 (espeak-ng), 6 speakers with their own voice, room and noise "
                     "(groups), 8 kHz - a speech classification task",
    "sounds": "synthetic non-speech sounds (engine, rain, birdsong, bell, footsteps), 16 kHz, groups = source "
              "recording; loudness and duration do not separate the classes",
    "utterances": "synthetic read English sentences (espeak-ng) with reference transcripts, 16 kHz plus a 44.1 kHz "
                  "stereo and an 8 kHz copy - for transcription",
}


def _sample_set_dirs() -> dict[str, Path]:
    """Bundled sets (folders of sample_audio/ that hold audio), then real sets downloaded with
    `python -m audiodiag samples --download NAME` (a bundled name wins)."""
    from audiodiag.data import download

    bundled = {p.name: p for p in sorted(SAMPLE_ROOT.iterdir()) if p.is_dir() and any(
        f.suffix.lower() in AUDIO_EXTENSIONS for f in p.rglob("*"))} if SAMPLE_ROOT.is_dir() else {}
    return {**download.downloaded_sets(), **bundled}


def list_sample_sets() -> list[str]:
    """Names of the bundled sets and of the downloaded ones."""
    return sorted(_sample_set_dirs())


def sample_set_dir(name: str) -> Path:
    folders = _sample_set_dirs()
    if name not in folders:
        raise ValueError(f"unknown sample set {name!r}; choose one of: {', '.join(sorted(folders))}")
    return folders[name]


def load_sample_set(name: str) -> list[Clip | LoadFailure]:
    """Load one bundled or downloaded set; names come from `list_sample_sets()`."""
    return load_folder(sample_set_dir(name))
