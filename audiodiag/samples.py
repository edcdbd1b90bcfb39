"""The sample datasets bundled in sample_audio/ (see sample_audio/ATTRIBUTION.md for their provenance)."""
from __future__ import annotations

from pathlib import Path

from audiodiag.io import AUDIO_EXTENSIONS, load_folder
from audiodiag.types import Clip, LoadFailure

SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "sample_audio"
DEFAULT_SET = "spoken_digits"
DESCRIPTIONS = {
    "spoken_digits": "real recordings of the digits 0-9, 5 speakers (groups), 8 kHz (Free Spoken Digit Dataset, "
                     "CC BY-SA 4.0) - a speech classification task",
    "sounds": "real non-speech recordings (cat, dishes, exercise bike, running tap, whale song), 16 kHz, groups = "
              "part of the source recording (Speech Commands CC BY 4.0; NPS public domain)",
    "utterances": "read English sentences with reference transcripts, 16/22.05/44.1 kHz stereo (LibriSpeech CC BY "
                  "4.0, LJ Speech public domain) - for transcription",
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
