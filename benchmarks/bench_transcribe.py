"""P6: WER + alignment for 10,000 utterances, and the bundled model's transcription speed (x real time)."""
from __future__ import annotations

import time

import numpy as np

from audiodiag import asr, samples, wer
from audiodiag.types import Clip
from benchmarks.harness import Row

N_UTTERANCES = 10_000
NAIVE_SAMPLE = 500  # the per-utterance reference loop is timed on this many and scaled


def _corpus(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(2_000)]
    refs, hyps = [], []
    for _ in range(n):
        words = list(rng.choice(vocab, size=rng.integers(5, 25)))
        hyp = [w if rng.random() > 0.1 else str(rng.choice(vocab)) for w in words]
        if rng.random() < 0.2:
            hyp.insert(int(rng.integers(0, len(hyp))), "uh")
        refs.append(" ".join(words))
        hyps.append(" ".join(hyp))
    return refs, hyps


def p6_wer() -> list[Row]:
    import jiwer

    refs, hyps = _corpus(N_UTTERANCES)
    wer.score(refs[:100], hyps[:100])  # warm imports
    start = time.perf_counter()
    result = wer.score(refs, hyps, normalisation="basic")
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    for r, h in zip(refs[:NAIVE_SAMPLE], hyps[:NAIVE_SAMPLE]):
        jiwer.process_words(r, h)
    naive = (time.perf_counter() - start) * N_UTTERANCES / NAIVE_SAMPLE
    return [Row(f"P6 wer.score, {N_UTTERANCES:,} utterances (normalise + align + per-utterance counts + 1,000-"
                f"resample CI; corpus WER {result.corpus_wer.value:.3f})", seconds, "s",
                f"per-utterance jiwer.process_words loop ({NAIVE_SAMPLE} measured, scaled)", naive,
                "≤ 2 s", seconds <= 2.0)]


def p6_transcription_speed() -> list[Row]:
    clips = [c for c in samples.load_sample_set("utterances") if isinstance(c, Clip)]
    model = asr.load_transcriber(asr.BUNDLED_ASR)
    waves = [asr.resample(c.samples, orig_sample_rate_hz=c.sample_rate_hz, target_sample_rate_hz=16_000)
             for c in clips]
    model.transcribe(waves[0], asr.DecodingSettings())  # warm
    start = time.perf_counter()
    for w in waves:
        model.transcribe(w, asr.DecodingSettings())
    seconds = time.perf_counter() - start
    audio_s = sum(c.duration_s for c in clips)
    return [Row(f"P6 bundled Whisper tiny.en (int8, beam 1) on the {len(clips)} bundled utterances "
                f"({audio_s:.1f} s of audio)", audio_s / seconds, "× real time", "real time", 1.0, "—", None)]


BENCHMARKS = (p6_wer, p6_transcription_speed)
