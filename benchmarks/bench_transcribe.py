"""P6: WER + alignment for 10,000 utterances, and the bundled model's transcription speed (x real time) and WER
on the bundled utterances."""
from __future__ import annotations

import tempfile
import time

import numpy as np

from audiodiag.asr import normalisers, recognisers, references, wer
from audiodiag.data import sample_sets
from audiodiag.types import Clip
from benchmarks.harness import Row, warm_median

N_UTTERANCES = 10_000
NAIVE_SAMPLE = 1_000  # the per-utterance reference loop is timed on this many and scaled to N_UTTERANCES
TARGET_S = 2.0


def _corpus(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Read-speech-like pairs: 5-25 words from a 2,000-word vocabulary, 10 % substituted, 20 % with an "uh"."""
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


def _naive(refs: list[str], hyps: list[str]) -> float:
    """What a notebook does: per utterance, normalise, jiwer.process_words and jiwer.cer; corpus WER from the sums."""
    import jiwer

    edits = words = 0
    for r, h in zip(refs, hyps):
        r, h = wer.normalise(r, "basic"), wer.normalise(h, "basic")
        out = jiwer.process_words(r, h)
        jiwer.cer(r, h)
        edits += out.substitutions + out.deletions + out.insertions
        words += len(r.split())
    return edits / words


def p6_wer() -> list[Row]:
    refs, hyps = _corpus(N_UTTERANCES)
    seconds, result = warm_median(lambda: wer.score(refs, hyps, normalisation="basic"))
    naive_s, naive_wer = warm_median(lambda: _naive(refs[:NAIVE_SAMPLE], hyps[:NAIVE_SAMPLE]), repeats=1)
    assert abs(naive_wer - wer.score(refs[:NAIVE_SAMPLE], hyps[:NAIVE_SAMPLE]).corpus_wer.value) < 1e-12
    return [Row(f"P6 wer.score, {N_UTTERANCES:,} utterances: basic normalisation, one jiwer alignment, per-utterance "
                f"S/D/I + alignment spans, CER, {wer.N_BOOT:,}-resample CI (corpus WER {result.corpus_wer.value:.3f})",
                seconds, "s", f"naive per-utterance loop: normalise + jiwer.process_words + jiwer.cer, no CI "
                               f"({NAIVE_SAMPLE:,} timed, scaled)", naive_s * N_UTTERANCES / NAIVE_SAMPLE,
                f"≤ {TARGET_S:g} s", seconds <= TARGET_S)]


def p6_transcription_speed() -> list[Row]:
    clips = [c for c in sample_sets.load_sample_set("utterances") if isinstance(c, Clip)]
    refs = references.sample_set_references("utterances", clips)
    model = recognisers.load_transcriber(recognisers.BUNDLED_ASR)
    audio_s = sum(c.duration_s for c in clips)
    with tempfile.TemporaryDirectory() as cache:  # cold: every clip resampled and decoded
        model.transcribe(np.zeros(recognisers.ASR_SAMPLE_RATE_HZ, np.float32), recognisers.DecodingSettings())  # warm
        start = time.perf_counter()
        hyps = recognisers.transcribe_cached(model, clips, recognisers.DecodingSettings(), cache_dir=cache)
        seconds = time.perf_counter() - start
    waves = [recognisers.resample(c.samples, orig_sample_rate_hz=c.sample_rate_hz, target_sample_rate_hz=16_000)
             for c in clips]
    start = time.perf_counter()
    for w in waves:  # faster-whisper's own defaults: beam 5, temperature fallback ladder
        segments, _ = model._models.get().transcribe(w, language="en")
        list(segments)
    default_s = time.perf_counter() - start
    scores = {how: wer.score(refs, hyps, normalisation=how).corpus_wer for how in normalisers.names()}
    return [
        Row(f"P6 bundled Whisper tiny.en (int8, greedy, via transcribe_cached, cold cache) on the {len(clips)} bundled "
            f"utterances ({audio_s:.1f} s of audio)", audio_s / seconds, "× real time",
            "faster-whisper's defaults (beam 5, temperature fallback) on the same audio", audio_s / default_s,
            "—", None),
        Row("P6 its corpus WER on them, basic normalisation (all: " + ", ".join(
            f"{how} {e.value:.1%} [{e.ci_low:.1%}, {e.ci_high:.1%}]" for how, e in scores.items()) + ")",
            scores["basic"].value, "corpus WER", "the same transcripts, english normalisation",
            scores["english"].value, "—", None),
    ]


BENCHMARKS = (p6_wer, p6_transcription_speed)
