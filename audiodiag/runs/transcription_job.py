"""The transcription job of a streamed run: `stream.stream(items, [], baseline=False, transcribe=Transcribe(model))`
transcribes every batch's decoded clips with one ASR model, in whichever engine decodes them (this process, the
worker pool or a Ray actor), loading the model once per process.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from audiodiag.types import Clip


@dataclass
class Transcribe:
    """Transcribe every clip in the stream with this ASR model (bundled name, HF id or folder) and settings;
    transcripts go through the on-disk transcript cache, as on the Transcribe page. The model is loaded once
    per process (sent to Ray workers without it)."""

    model: str
    settings: object = None  # asr.DecodingSettings; None: its defaults
    _loaded: object = field(default=None, repr=False, compare=False)

    def load(self):
        from audiodiag.asr import recognisers

        if self._loaded is None:
            self._loaded = recognisers.load_transcriber(self.model)
        return self._loaded

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_loaded": None}

    def run(self, clips: Sequence[Clip]) -> list[str]:
        from audiodiag.asr import recognisers

        if not clips:
            return []
        return recognisers.transcribe_cached(self.load(), clips, self.settings or recognisers.DecodingSettings())
