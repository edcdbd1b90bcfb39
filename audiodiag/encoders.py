"""Target models: what each expects from its input (sample rate, speech or general audio, fixed length).

The Inspect page checks a dataset against one of these; the Compare page (issue 4) adds the `Encoder`
protocol and the models themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

from audiodiag.errors import AudioDiagError


@dataclass(frozen=True)
class EncoderSpec:
    name: str
    sample_rate_hz: int  # the rate the model was trained at; inputs are resampled to it
    speech_model: bool  # trained on speech only: non-speech input is out of distribution
    fixed_input_s: float | None = None  # every input is padded or cut to this length (Whisper: 30 s)
    source: str = ""

    @property
    def kind(self) -> str:
        return "speech" if self.speech_model else "general audio"


CATALOGUE: dict[str, EncoderSpec] = {s.name: s for s in (
    EncoderSpec("wav2vec2-base", 16_000, True, source="facebook/wav2vec2-base (Hugging Face)"),
    EncoderSpec("hubert-base", 16_000, True, source="facebook/hubert-base-ls960 (Hugging Face)"),
    EncoderSpec("whisper-tiny.en encoder (30 s padded)", 16_000, True, fixed_input_s=30.0,
                source="openai whisper tiny.en via faster-whisper (bundled weights)"),
    EncoderSpec("whisper-tiny.en encoder (unpadded)", 16_000, True,
                source="openai whisper tiny.en via faster-whisper (bundled weights)"),
    EncoderSpec("speech_embedding (openwakeword)", 16_000, True,
                source="Google speech_embedding ONNX, shipped in openwakeword (bundled weights)"),
    EncoderSpec("AST AudioSet", 16_000, False, fixed_input_s=10.24,
                source="MIT/ast-finetuned-audioset-10-10-0.4593 (Hugging Face)"),
    EncoderSpec("CLAP", 48_000, False, fixed_input_s=10.0, source="laion/clap-htsat-unfused (Hugging Face)"),
    EncoderSpec("spectral baseline (MFCC/log-mel)", 16_000, False,
                source="audiodiag.features (no pretrained weights)"),
)}
DEFAULT_TARGET = "wav2vec2-base"


def get_spec(name: str) -> EncoderSpec:
    """The catalogue entry for `name`; an unknown name raises with the valid names."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise AudioDiagError(f"unknown target model {name!r}; choose one of: {', '.join(CATALOGUE)}") from None
