"""The Dataset every page works on: its own module, so the page helpers that take one import no page helper."""
from __future__ import annotations

from dataclasses import dataclass

from audiodiag.represent import encoders
from audiodiag.types import Clip, LoadFailure


@dataclass(frozen=True)
class Dataset:
    name: str
    clips: tuple[Clip, ...]
    failures: tuple[LoadFailure, ...]
    target: encoders.EncoderSpec
    run: object = None  # a runview.RunView when a run folder was chosen (pages then show it via pages/_run.py)
