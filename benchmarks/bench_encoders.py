"""Frozen-encoder batching: the issue's target P4, batched extraction against one clip at a time.

For each encoder available offline (a tiny wav2vec2 built here, Whisper tiny.en padded and unpadded,
speech_embedding) the same 1-s clips are embedded in one `embed` call and one clip per call; the rows
must agree (max abs difference) and batching should pay (throughput ratio). Nothing is downloaded.
Run with `python -m benchmarks.run_all p4` or `python -m benchmarks.bench_encoders`.
"""
from __future__ import annotations

import atexit
import os
import shutil
import statistics
import tempfile
from functools import lru_cache

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from audiodiag import encoders  # noqa: E402
from audiodiag.types import Clip  # noqa: E402
from benchmarks.harness import Row, markdown_table, warm_median  # noqa: E402

P4_CLIPS = 64
P4_PADDED_WHISPER_CLIPS = 8  # ~0.3-0.5 s per clip on CPU whichever way: 64 would take minutes
P4_CLIP_S = 1.0
P4_MIN_SPEEDUP = 2.0
P4_MAX_ABS_DIFF = 1e-4
SAMPLE_RATE_HZ = 16_000
SEED = 20240504


@lru_cache(maxsize=1)
def tiny_wav2vec2_dir() -> str:
    """wav2vec2-base's layout at toy size (group norm, no attention mask), saved like a hub download."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    folder = tempfile.mkdtemp(prefix="audiodiag-bench-w2v2-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    torch.manual_seed(0)
    config = Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 8), num_feat_extract_layers=2,
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, feat_extract_norm="group")
    Wav2Vec2Model(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE_HZ, do_normalize=True,
                             return_attention_mask=False).save_pretrained(folder)
    return folder


def one_second_clips(n: int) -> list[Clip]:
    """Noise plus a random tone per clip, 16 kHz: rows differ, nothing to resample."""
    rng = np.random.default_rng(SEED)
    t = np.arange(int(P4_CLIP_S * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    clips = []
    for i in range(n):
        x = 0.05 * rng.standard_normal(len(t)) + 0.3 * np.sin(2 * np.pi * rng.uniform(100, 4000) * t)
        clips.append(Clip(f"clip_{i:03d}.wav", x.astype(np.float32), SAMPLE_RATE_HZ, SAMPLE_RATE_HZ, 1))
    return clips


def _rows_for(label: str, encoder: encoders.Encoder, n: int, *, repeats: int) -> list[Row]:
    clips = one_second_clips(n)
    batched, single = encoder.embed(clips), np.concatenate([encoder.embed([c]) for c in clips])  # warm-up
    batched_times, single_times = [], []
    for _ in range(repeats):  # interleaved, so a noisy neighbour slows both
        batched_times.append(warm_median(lambda: encoder.embed(clips), repeats=1, warmups=0)[0])
        single_times.append(warm_median(lambda: [encoder.embed([c]) for c in clips], repeats=1, warmups=0)[0])
    batched_s, single_s = statistics.median(batched_times), statistics.median(single_times)
    diff = float(np.abs(batched - single).max())
    batched_rate, single_rate = n / batched_s, n / single_s
    return [
        Row(f"P4 {label}: batched embed, {n} × {P4_CLIP_S:g}-s clips (median of {repeats}, interleaved)", batched_rate,
            "clips/s", "one clip per embed call, same clips", single_rate, f"≥ {P4_MIN_SPEEDUP:g}× reference",
            batched_rate >= P4_MIN_SPEEDUP * single_rate),
        Row(f"P4 {label}: max |batched − one-by-one|", diff, "", "tolerance", P4_MAX_ABS_DIFF,
            f"≤ {P4_MAX_ABS_DIFF:g}", diff <= P4_MAX_ABS_DIFF),
    ]


def p4() -> list[Row]:
    """P4: batched vs one-by-one extraction per encoder: throughput ratio and max abs difference."""
    rows = _rows_for("tiny wav2vec2 (HF, group norm)", encoders.load_encoder(tiny_wav2vec2_dir()), P4_CLIPS,
                     repeats=3)
    rows += _rows_for("whisper-tiny.en unpadded", encoders.load_encoder(encoders.WHISPER_UNPADDED), P4_CLIPS,
                      repeats=3)
    rows += _rows_for("whisper-tiny.en 30 s padded", encoders.load_encoder(encoders.WHISPER_PADDED),
                      P4_PADDED_WHISPER_CLIPS, repeats=1)
    rows += _rows_for("speech_embedding (openwakeword)", encoders.load_encoder(encoders.SPEECH_EMBEDDING),
                      P4_CLIPS, repeats=3)
    return rows


BENCHMARKS = (p4,)


if __name__ == "__main__":
    print(markdown_table(p4()))
