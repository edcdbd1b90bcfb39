"""Helpers the tests share: synthesised audio with known answers, tiny local models, the real-recordings folder.

Imported as `from tests.helpers import ...`; conftest.py holds only fixtures. No hub, no network."""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def sine(freq_hz: float = 440.0, *, duration_s: float = 1.0, sample_rate_hz: int = 16_000,
         amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(duration_s * sample_rate_hz)) / sample_rate_hz
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def noise(*, duration_s: float = 1.0, sample_rate_hz: int = 16_000, amplitude: float = 0.1,
          seed: int = 0) -> np.ndarray:
    return (amplitude * np.random.RandomState(seed).randn(int(duration_s * sample_rate_hz))).astype(np.float32)


def wav_bytes(samples: np.ndarray, *, sample_rate_hz: int = 16_000, subtype: str = "PCM_16",
              fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, sample_rate_hz, subtype=subtype, format=fmt)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


# Real recordings (FSDD digits, non-speech sounds, read speech with transcripts) for tests that need real audio.
# They live outside the repository (../shared/sample_audio, present for developers and CI, absent on a user's
# machine): tests that need them skip with a reason there, and fail instead where AUDIODIAG_REQUIRE_REAL_AUDIO=1
# (.ci/run sets it).
REAL_AUDIO = Path(os.environ.get("AUDIODIAG_REAL_AUDIO_DIR")
                  or Path(__file__).resolve().parent.parent.parent / "shared" / "sample_audio")


def real_audio_dir() -> Path:
    """The folder of real recordings; skips the calling test (or fails it in CI) when it is absent."""
    if (REAL_AUDIO / "spoken_digits").is_dir():
        return REAL_AUDIO
    reason = (f"real recordings not found at {REAL_AUDIO} (they come with ../shared/sample_audio for developers "
              "and CI; set AUDIODIAG_REAL_AUDIO_DIR to use another copy)")
    if os.environ.get("AUDIODIAG_REQUIRE_REAL_AUDIO") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def make_clip(samples: np.ndarray, *, sample_rate_hz: int = 16_000, name: str = "clip.wav",
              label: str | None = None, group: str | None = None, subtype: str = "FLOAT"):
    """A Clip decoded from synthesised WAV bytes, i.e. through the same path an upload takes."""
    from audiodiag.data.decoding import load_clip

    return load_clip(wav_bytes(samples, sample_rate_hz=sample_rate_hz, subtype=subtype),
                     name=name, label=label, group=group)


def peak_frequency_hz(samples: np.ndarray, *, sample_rate_hz: int) -> float:
    """Frequency of the largest FFT bin (Hann window; resolution sample_rate_hz / len(samples))."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / sample_rate_hz)[np.argmax(spectrum)])


# ---------------------------------------------------------------- tiny Hugging Face models (no hub)

def tiny_wav2vec2(folder, *, norm: str = "layer", attention_mask: bool = True, seed: int = 0) -> str:
    """Save a 2-layer, 32-wide wav2vec2 + feature extractor into `folder`; returns the path to load it by.

    norm="group", attention_mask=False is wav2vec2-base's layout (group norm over time, no mask);
    norm="layer", attention_mask=True is wav2vec2-large-lv60's (final layer norm, masked padding).
    """
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 8), num_feat_extract_layers=2,
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        feat_extract_norm=norm, do_stable_layer_norm=norm == "layer")
    Wav2Vec2Model(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16_000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=attention_mask).save_pretrained(folder)
    return str(folder)


CTC_VOCAB = {"<pad>": 0, "|": 1, "<unk>": 2, "a": 3, "b": 4}


def build_tiny_ctc(folder: Path) -> Path:
    """A randomly initialised 2-layer Wav2Vec2ForCTC with a 5-token vocabulary, saved like a hub download."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(CTC_VOCAB))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16_000, padding_value=0.0, do_normalize=True)
    torch.manual_seed(0)
    config = Wav2Vec2Config(vocab_size=len(CTC_VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=37, conv_dim=(32, 32), conv_stride=(5, 5), conv_kernel=(10, 5),
                            num_feat_extract_layers=2, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            pad_token_id=0)
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def tones_vs_noise(n_per_class: int = 8, n_groups: int = 4, *, duration_s: float = 0.5) -> list:
    """Class 'tone' (sines from 300 Hz up, 40 Hz apart) vs class 'noise' (white noise), groups g0..g{n_groups-1}:
    trivially separable by spectrum."""
    clips = []
    for i in range(n_per_class):
        group = f"g{i % n_groups}"
        clips.append(make_clip(sine(300 + 40 * i, duration_s=duration_s), name=f"tone_{i}.wav", label="tone",
                               group=group))
        clips.append(make_clip(noise(duration_s=duration_s, seed=i), name=f"noise_{i}.wav", label="noise", group=group))
    return clips


# Python's and numpy's missing values printed as they are, and a how-to-fix token the page did not word
# (audiodiag.fixes: the app renders every note and finding before showing it)
RAW_MISSING = re.compile(r"\b(None|nan|NaN)\b|⟦fix:")


def raw_missing(at) -> list[str]:
    """Every place an AppTest page prints a raw None / NaN or an unworded fix token: texts, metrics, and table
    cells (a table's missing numbers must show a placeholder, never "None")."""
    texts = [e.value for kind in ("markdown", "caption", "warning", "error", "info", "success", "subheader", "title")
             for e in at.get(kind)] + [f"{m.label} {m.value}" for m in at.metric]
    found = [t for t in texts if RAW_MISSING.search(str(t))]
    for frame in at.dataframe:
        df = frame.value
        if df.isna().any().any() and frame.proto.placeholder in ("", "None"):
            found.append(f"missing values shown as 'None' in the table with columns {list(df.columns)}")
        found += [str(v) for v in df.select_dtypes(exclude="number").stack() if RAW_MISSING.search(str(v))]
        found += [str(c) for c in df.columns if RAW_MISSING.search(str(c))]
    return found


# ---------------------------------------------------------------- writing (issue #27: no sentence over ~35 words)

SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")  # a sentence ends at . ! ? or ; followed by whitespace


def sentences(text: str) -> list[str]:
    """The sentences of `text`, split where . ! ? or ; is followed by whitespace."""
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def long_sentences(text: str, limit: int = 35) -> list[str]:
    """The sentences of `text` with more than `limit` whitespace-separated words.

    >>> [len(s.split()) for s in long_sentences("Short one; " + "word " * 36 + "end. Short two.")]
    [37]
    """
    return [s for s in sentences(text) if len(s.split()) > limit]
