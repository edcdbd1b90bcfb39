"""ASR backends: the bundled Whisper model on real utterances at several rates, a tiny local CTC model by path,
the transcript cache, and reference loading."""
from __future__ import annotations

import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest

from audiodiag import asr, io, references, samples, wer
from audiodiag.errors import AudioDiagError
from conftest import make_clip

UTTERANCES = samples.SAMPLE_ROOT / "utterances"
STEREO = next(UTTERANCES.glob("*_44k_stereo.wav"), None)
SAME_TRANSCRIPT_MAX_WER = 0.1  # int8 decoding may change a word on differently resampled audio; ours: 0.0


@pytest.fixture(scope="module")
def whisper():
    return asr.load_transcriber(asr.BUNDLED_ASR)


@pytest.mark.skipif(STEREO is None, reason="bundled 44.1 kHz stereo utterance missing")
def test_8k_and_44k_stereo_give_the_same_transcript_as_16k_mono(whisper, tmp_path):
    stereo = io.load_clip(STEREO)
    assert stereo.original_channels == 2 and stereo.original_sample_rate_hz == 44_100
    mono_16k = make_clip(io.resample(stereo.samples, orig_sample_rate_hz=44_100, target_sample_rate_hz=16_000),
                         name="mono16k.wav")
    narrow = make_clip(io.resample(stereo.samples, orig_sample_rate_hz=44_100, target_sample_rate_hz=8_000),
                       sample_rate_hz=8_000, name="8k.wav")
    texts = asr.transcribe_cached(whisper, [mono_16k, stereo, narrow], cache_dir=tmp_path)
    reference = (UTTERANCES / STEREO.with_suffix(".txt").name).read_text().strip()
    assert wer.score([reference], [texts[0]]).corpus_wer.value <= SAME_TRANSCRIPT_MAX_WER  # the model is right
    for other in texts[1:]:
        assert wer.score([texts[0]], [other]).corpus_wer.value <= SAME_TRANSCRIPT_MAX_WER, texts


def test_transcripts_are_cached_by_audio_model_and_settings(whisper, tmp_path):
    clip = next(c for c in samples.load_sample_set("utterances") if hasattr(c, "samples"))
    calls = []
    original = whisper.transcribe
    whisper.transcribe = lambda wave, settings: calls.append(settings) or original(wave, settings)
    try:
        first = asr.transcribe_cached(whisper, [clip], cache_dir=tmp_path)
        again = asr.transcribe_cached(whisper, [clip], cache_dir=tmp_path)
        asr.transcribe_cached(whisper, [clip], asr.DecodingSettings(beam_size=2), cache_dir=tmp_path)
    finally:
        whisper.transcribe = original
    assert first == again and len(calls) == 2  # the repeat was a cache hit; other settings are another entry


def test_tiny_ctc_model_loads_from_a_local_folder(tmp_path):
    import torch
    from transformers import (Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC,
                              Wav2Vec2Processor)

    vocab = {"<pad>": 0, "|": 1, "<unk>": 2, "a": 3, "b": 4}
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(tmp_path / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16_000, padding_value=0.0, do_normalize=True)
    torch.manual_seed(0)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 8),
                            num_feat_extract_layers=2, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            pad_token_id=0)
    Wav2Vec2ForCTC(config).save_pretrained(tmp_path)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(tmp_path)
    model = asr.load_transcriber(str(tmp_path))
    assert model.sample_rate_hz == 16_000
    clip = make_clip(np.random.default_rng(0).normal(0, 0.1, 8_000).astype(np.float32), sample_rate_hz=8_000)
    (text,) = asr.transcribe_cached(model, [clip], cache_dir=tmp_path / "cache")
    assert isinstance(text, str) and set(text) <= set("ab <unk>")  # random weights: only its vocabulary


def test_unreachable_model_names_the_bundled_one(tmp_path):
    with pytest.raises(AudioDiagError, match="whisper-tiny.en"):
        asr.load_transcriber(str(tmp_path / "no-such-model"))


def test_references_from_the_bundled_table_and_an_uploaded_csv():
    clips = [c for c in samples.load_sample_set("utterances") if hasattr(c, "samples")]
    refs = references.sample_set_references("utterances", clips)
    assert all(refs) and len(refs) == len(clips)
    table = references.parse_table(b"path,reference\nsub/x.wav,hello there\n")
    assert references.match([make_clip(np.zeros(800, np.float32), name="x.wav")], table) == ["hello there"]
    with pytest.raises(AudioDiagError, match="path,reference"):
        references.parse_table(b"file,text\na,b\n")
