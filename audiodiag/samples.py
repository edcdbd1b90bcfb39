"""The sample datasets bundled in sample_audio/: made by the project (tools/make_samples.py, CC0; see
sample_audio/ATTRIBUTION.md)."""
from __future__ import annotations

from pathlib import Path

from audiodiag.io import AUDIO_EXTENSIONS, load_folder
from audiodiag.types import Clip, LoadFailure

SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "sample_audio"
DEFAULT_SET = "spoken_digits"
DESCRIPTIONS = {
    "spoken_digits": "synthetic spoken digits 0-9 (espeak-ng), 6 speakers with their own voice, room and noise "
                     "(groups), 8 kHz - a speech classification task",
    "sounds": "synthetic non-speech sounds (engine, rain, birdsong, bell, footsteps), 16 kHz, groups = source "
              "recording; loudness and duration do not separate the classes",
    "utterances": "synthetic read English sentences (espeak-ng) with reference transcripts, 16 kHz plus a 44.1 kHz "
                  "stereo and an 8 kHz copy - for transcription",
}


def list_sample_sets() -> list[str]:
    """Names of the bundled sets (folders of sample_audio/ that hold audio)."""
    if not SAMPLE_ROOT.is_dir():
        return []
    return sorted(p.name for p in SAMPLE_ROOT.iterdir()
                  if p.is_dir() and any(f.suffix.lower() in AUDIO_EXTENSIONS for f in p.rglob("*")))


def load_sample_set(name: str) -> list[Clip | LoadFailure]:
    """Load one bundled set; names come from `list_sample_sets()`."""
    if name not in list_sample_sets():
        raise ValueError(f"unknown sample set {name!r}; choose one of: {', '.join(list_sample_sets())}")
    return load_folder(SAMPLE_ROOT / name)
