"""Issue 27, classes 5 and 7 with known answers: a statement about a setting comes from the setting in use, and
one quantity is written as one number everywhere. Each test failed before its fix."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from audiodiag.asr import wer
from audiodiag.evaluation import compare
from audiodiag.measure import dataset, per_clip
from audiodiag.plots.wer import wer_histogram_figure
from audiodiag.represent import encoders, spaces
from audiodiag.represent.spaces import SpaceVectors
from audiodiag.verdict import notes, transcribe
from tests.helpers import make_clip, noise, sine

WAV2VEC2 = encoders.get_spec("wav2vec2-base")  # speech, 16 kHz, any length
AISFX_INSTALLED = importlib.util.find_spec("aisfx") is not None


# ---------------------------------------------------------------- class 5: settings in use

def _vectors(space: str, n: int, seed: int) -> SpaceVectors:
    return SpaceVectors(space, np.random.RandomState(seed).randn(n, 4).astype(np.float32), 0.0, 0.0, False, {})


def test_the_padding_line_says_the_padded_whisper_saw_its_30_s_window_not_each_clip_at_its_own_length():
    clips = [make_clip(sine(300 + 40 * i, duration_s=0.5) if i % 2 else noise(duration_s=0.5, seed=i),
                       name=f"{i}.wav", label="ab"[i % 2]) for i in range(8)]
    result = compare.compare(clips, [_vectors(spaces.BASELINE, 8, 0), _vectors(encoders.WHISPER_PADDED, 8, 1),
                                     _vectors(encoders.WHISPER_UNPADDED, 8, 2)], n_splits=2, n_boot=20)
    assert result.settings["padding"] == (
        "none (each clip at its own length) for spectral baseline (MFCC/log-mel), whisper-tiny.en encoder "
        "(unpadded); whisper-tiny.en encoder (30 s padded): each clip zero-padded to the model's fixed 30-s input "
        "window")
    only_baseline = compare.compare(clips, [_vectors(spaces.BASELINE, 8, 0)], n_splits=2, n_boot=20)
    assert only_baseline.settings["padding"] == "none (each clip at its own length)"  # nothing else to say


@pytest.mark.parametrize("length_s, seen", [
    (None, "each clip zero-padded to the model's fixed 30-s input window"),
    (2.0, "pad or trim to 2 s, then zero-padded to the model's fixed 30-s input window"),
    (30.0, "pad or trim to 30 s"),  # the policy already fills the window
    (60.0, "pad or trim to 60 s"),  # two whole 30-s windows
])
def test_what_the_padded_whisper_saw_under_each_policy(length_s, seen):
    policy = spaces.PaddingPolicy(length_s)
    assert spaces.padding_seen("whisper-tiny.en", policy) == seen
    assert spaces.padding_seen(encoders.WHISPER_UNPADDED, policy) == policy.label  # no window of its own


def test_check_without_a_target_model_says_nothing_about_a_target_models_nyquist():
    stats = [per_clip.clip_stats(make_clip(noise(sample_rate_hz=96_000), sample_rate_hz=96_000, name="hi.wav"))]
    no_model = dataset.check(stats, [[]], spec=None)
    (high,) = [f for f in no_model.findings if f.code == "high_sample_rate"]
    assert high.severity == "info" and "96000 Hz" in high.message
    assert not [f.message for f in no_model.findings if "target model" in f.message or "discarded" in f.message]
    with_model = dataset.check(stats, [[]], spec=WAV2VEC2)  # a target model: its rate says what is discarded
    (resampled,) = [f for f in with_model.findings if f.code == "sample_rate_mismatch"]
    assert "Content above 8000 Hz is discarded" in resampled.message


def _rate_stats(name: str, rate: int) -> per_clip.ClipStats:
    from dataclasses import replace

    measured = per_clip.clip_stats(make_clip(noise(duration_s=0.5, sample_rate_hz=8_000), sample_rate_hz=8_000,
                                             name=name))
    return replace(measured, sample_rate_hz=rate)


def test_mixed_rates_at_or_above_the_model_rate_lose_no_upper_band():
    at_or_above = [_rate_stats("a.wav", 16_000), _rate_stats("b.wav", 44_100)]
    (mixed,) = [f for f in dataset.sample_rate_findings(at_or_above, WAV2VEC2) if f.code == "mixed_sample_rates"]
    assert "without their upper band" not in mixed.message and mixed.severity == "info"
    assert "16000 Hz: 1, 44100 Hz: 1" in mixed.message and "same band (up to 8000 Hz)" in mixed.message
    below = [_rate_stats("a.wav", 8_000), _rate_stats("b.wav", 16_000), _rate_stats("c.wav", 44_100)]
    (mixed,) = [f for f in dataset.sample_rate_findings(below, WAV2VEC2) if f.code == "mixed_sample_rates"]
    assert mixed.severity == "warning" and "below wav2vec2-base's 16000 Hz (8000 Hz) reach the model without " \
        "their upper band" in mixed.message


def test_aisfx_install_advice_only_where_aisfx_cannot_be_imported(monkeypatch):
    command = "pip install --no-deps aisfx==0.1.2"
    assert "pip install" not in encoders.get_spec(encoders.AISFX).source  # the sidebar adds it when missing
    assert encoders.install_command("aisfx") == ("" if AISFX_INSTALLED else command)
    assert (command in dataset.SOUND_ENCODER_ADVICE) is not AISFX_INSTALLED
    assert "pip install" not in dataset.sound_encoder_advice("")
    assert f"`{command}`" in dataset.sound_encoder_advice(command)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aisfx" else real(name, *a))
    assert encoders.install_command(encoders.AISFX) == command
    assert encoders.install_command(encoders.SPEECH_EMBEDDING) == ""  # bundled: nothing to install


# ---------------------------------------------------------------- class 7: one quantity, one number

def test_a_rate_is_rounded_half_to_even_never_truncated():
    assert [wer.format_rate(v) for v in (3 / 7, 2 / 14, 0.189, 0.0125, 0.0135, 1.0, 0.0)] == \
        ["42.9%", "14.3%", "18.9%", "1.2%", "1.4%", "100.0%", "0.0%"]
    assert wer.format_rate(-0.0004, signed=True) == "+0.0%" and wer.format_rate(0.02, signed=True) == "+2.0%"
    assert wer.format_rate(float("nan")) == wer.format_rate(None) == "—"


def test_the_note_and_the_histogram_write_one_utterances_wer_as_one_string():
    scores = wer.score(["a b c d e f g"], ["a b c d x y z"], normalisation="none", n_boot=20)  # 3 of 7 words
    note = notes.transcription_note("set", "m", scores, audio_minutes=0.1)
    text = note.to_markdown()
    assert "corpus WER 42.9%" in note.verdict and "WER 42.9%: 'a b c d e f g'" in text and "42.8" not in text
    figure = wer_histogram_figure(scores.wers, corpus_wer=scores.corpus_wer.value)
    assert figure.layout.annotations[0].text == "corpus WER 42.9%"


def test_number_formatting_is_said_to_be_part_of_the_substitution_counts_it_is_in():
    scores = wer.score(["i have 21 apples"], ["i have twenty one apples"], n_boot=20)
    assert (scores.substitutions, scores.deletions, scores.insertions) == (1, 0, 1)  # "21" → "twenty", + "one"
    lines = [line for s in notes.transcription_note("set", "m", scores, audio_minutes=0.1).sections
             for line in s.lines]
    assert any("1 substitutions, 0 deletions, 1 insertions of 4 words" in line for line in lines)
    (formatting,) = [line for line in lines if line.startswith("Number formatting")]
    assert "not as substitutions" not in formatting
    assert "part of the substitutions, deletions and insertions counted above" in formatting


def test_duration_slices_are_named_by_their_range_and_count_only_their_clips():
    durations_s = [1.0, 2.5, 3.0, 4.0, 6.0]
    clips = [make_clip(np.zeros(int(16_000 * d), np.float32), name=f"{i}.wav") for i, d in enumerate(durations_s)]
    assert wer.clip_slices(clips)["duration"] == ["0–2 s", "2–5 s", "2–5 s", "2–5 s", "5–10 s"]
    note = transcribe.transcription_decision("set", "m", clips, ["a b"] * 5, ["a b"] * 5, [0.9] * 5)
    lines = [line for s in note.sections for line in s.lines if line.startswith("duration = ")]
    assert lines == ["duration = 0–2 s: corpus WER 0.0% (1 utterances)",
                     "duration = 2–5 s: corpus WER 0.0% (3 utterances)",
                     "duration = 5–10 s: corpus WER 0.0% (1 utterances)"]
