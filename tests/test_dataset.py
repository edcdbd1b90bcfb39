"""dataset: checks of a whole dataset against the target model, with durations, rates and labels chosen so
the answers can be worked out by hand."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import kruskal

from audiodiag.measure import dataset, per_clip
from audiodiag.represent import encoders
from audiodiag.types import Finding
from tests.helpers import make_clip, noise, sine

WAV2VEC2 = encoders.get_spec("wav2vec2-base")  # speech, 16 kHz, any length
AST = encoders.get_spec("AST AudioSet")  # general audio
WHISPER_PADDED = encoders.get_spec("whisper-tiny.en encoder (30 s padded)")  # speech, every input padded to 30 s


def _stats(name: str, *, duration_s: float = 1.0, sample_rate_hz: int = 16_000, channels: int = 1,
           label: str | None = None, speech_fraction: float | None = None) -> per_clip.ClipStats:
    """Measured stats of a real synthesised clip (8 kHz noise keeps it cheap), then the fields under test set."""
    x = noise(duration_s=duration_s, sample_rate_hz=8_000)
    if channels > 1:
        x = np.tile(x[:, None], (1, channels))
    stats = per_clip.clip_stats(make_clip(x, sample_rate_hz=8_000, name=name, label=label))
    assert stats.duration_s == pytest.approx(duration_s, abs=1 / 8_000)
    return replace(stats, sample_rate_hz=sample_rate_hz, speech_fraction=speech_fraction)


def _codes(findings) -> dict[str, Finding]:
    return {f.code: f for f in findings}


# ---------------------------------------------------------------- sample rates and channels

def test_8khz_clip_under_a_16khz_speech_encoder_warns_with_both_rates_and_the_file():
    stats = [per_clip.clip_stats(make_clip(sine(sample_rate_hz=8_000), sample_rate_hz=8_000, name="phone.wav"))]
    finding = _codes(dataset.sample_rate_findings(stats, WAV2VEC2))["sample_rate_mismatch"]
    assert finding.severity == "warning" and finding.files == ("phone.wav",)
    assert "8000 Hz" in finding.message and "16000 Hz" in finding.message and "phone.wav" in finding.message
    assert "no content above 4000 Hz" in finding.message and "wav2vec2-base" in finding.message


def test_clip_above_the_model_rate_is_only_an_info():
    finding = _codes(dataset.sample_rate_findings([_stats("hi.wav", sample_rate_hz=44_100)], WAV2VEC2))
    assert finding["sample_rate_mismatch"].severity == "info"
    assert "44100 Hz to 16000 Hz" in finding["sample_rate_mismatch"].message


def test_clips_at_the_model_rate_give_no_rate_findings():
    stats = [_stats(f"{i}.wav") for i in range(3)]
    assert dataset.sample_rate_findings(stats, WAV2VEC2) == []


def test_mixed_sample_rates_and_channel_counts_are_flagged_with_counts():
    stats = [_stats("a.wav", sample_rate_hz=8_000), _stats("b.wav"), _stats("c.wav", channels=2),
             _stats("d.wav", sample_rate_hz=44_100)]
    found = _codes(dataset.sample_rate_findings(stats, WAV2VEC2))
    assert "8000 Hz: 1, 16000 Hz: 2, 44100 Hz: 1" in found["mixed_sample_rates"].message
    assert "1 ch: 3 (a.wav, b.wav, d.wav); 2 ch: 1 (c.wav)" in found["mixed_channels"].message
    assert set(found["mixed_channels"].files) == {"a.wav", "b.wav", "c.wav", "d.wav"}


def test_rate_mismatch_message_names_five_files_then_counts_the_rest():
    stats = [_stats(f"f{i}.wav", sample_rate_hz=8_000) for i in range(7)]
    finding = _codes(dataset.sample_rate_findings(stats, WAV2VEC2))["sample_rate_mismatch"]
    assert "7 clip(s) at 8000 Hz (f0.wav, f1.wav, f2.wav, f3.wav, f4.wav and 2 more)" in finding.message
    assert len(finding.files) == 7


# ---------------------------------------------------------------- padding

def test_padding_report_for_1s_and_3s_clips_cut_to_2s():
    report = dataset.padding_report([_stats("short.wav", duration_s=1.0), _stats("long.wav", duration_s=3.0)],
                                    clip_length_s=2.0)
    assert report.fraction_padded == 0.5  # one of two clips is shorter
    assert report.mean_padding_fraction == pytest.approx(0.25)  # (1/2 + 0) / 2
    assert report.fraction_truncated == 0.5
    assert report.fraction_audio_lost == pytest.approx(0.25)  # 1 s of 4 s
    assert report.most_padded == (("short.wav", pytest.approx(0.5)),)


def test_truncation_over_10_percent_warns():
    stats = [_stats("short.wav", duration_s=1.0), _stats("long.wav", duration_s=3.0)]
    found = _codes(dataset.padding_findings(dataset.padding_report(stats, clip_length_s=2.0)))
    assert set(found) == {"truncation"}
    assert "discards 25% of all audio (50% of clips are cut" in found["truncation"].message


def test_padding_dominates_warns_and_names_the_most_padded_files():
    stats = [_stats("a.wav", duration_s=0.2), _stats("b.wav", duration_s=0.6), _stats("c.wav", duration_s=2.0)]
    report = dataset.padding_report(stats, clip_length_s=2.0)
    assert report.mean_padding_fraction == pytest.approx((0.9 + 0.7 + 0.0) / 3)
    finding = _codes(dataset.padding_findings(report))["padding_dominates"]
    assert "average input is 53% padding" in finding.message
    assert "a.wav (90%), b.wav (70%)" in finding.message and finding.files == ("a.wav", "b.wav")


def test_padding_just_under_half_does_not_warn():
    stats = [_stats("a.wav", duration_s=1.0), _stats("b.wav", duration_s=2.0)]  # mean padding 0.25
    assert dataset.padding_findings(dataset.padding_report(stats, clip_length_s=2.0)) == []


def test_whisper_30s_window_on_1s_clips_warns_about_fixed_input_padding():
    stats = [_stats(f"{i}.wav", duration_s=1.0) for i in range(3)]
    finding = _codes(dataset.fixed_input_findings(WHISPER_PADDED, stats))["fixed_input_padding"]
    assert "pads every input to 30 s" in finding.message and "(1.00 s) becomes 97% padding" in finding.message
    assert "pool only the frames" not in finding.message.replace("audiodiag pools only the frames", "")
    unpadded = encoders.get_spec("whisper-tiny.en encoder (unpadded)")
    assert dataset.fixed_input_findings(unpadded, stats) == []


def test_padding_policy_none_gives_no_cut_or_padding_warning():
    """No pad/cut length in use: nothing is padded or cut, so there is nothing to warn about (the old default,
    the median, made every dataset start with a cut warning)."""
    stats = [_stats("short.wav", duration_s=0.2), _stats("long.wav", duration_s=3.0), _stats("mid.wav", duration_s=1.0)]
    report = dataset.check(stats, [()] * 3, spec=WAV2VEC2)
    assert report.padding is None
    assert not {"truncation", "padding_dominates"} & {f.code for f in report.findings}
    cut = dataset.check(stats, [()] * 3, spec=WAV2VEC2, clip_length_s=1.0)
    assert "truncation" in {f.code for f in cut.findings}


# ---------------------------------------------------------------- duration shortcut

def _durations(label: str, centre_s: float, n: int = 10, *, spread_s: float = 0.05, seed: int = 0):
    jitter = np.random.RandomState(seed).uniform(-spread_s, spread_s, n)
    return [_stats(f"{label}{i}.wav", duration_s=round(centre_s + j, 3), label=label) for i, j in enumerate(jitter)]


def test_labels_with_1s_and_3s_clips_get_a_duration_shortcut_warning():
    a, b = _durations("A", 1.0), _durations("B", 3.0, seed=1)
    median_a, median_b = np.median([s.duration_s for s in a]), np.median([s.duration_s for s in b])
    message = _codes(dataset.duration_shortcut_findings(a + b))["duration_shortcut"].message
    assert (f"median {median_b:.2f} s for 'B' vs {median_a:.2f} s for 'A' (ratio {median_b / median_a:.1f}, "
            "Kruskal-Wallis p = ") in message
    assert 2.8 < median_b / median_a < 3.2


def test_labels_with_the_same_durations_get_no_shortcut_warning():
    identical = [_stats(f"{lab}{i}.wav", duration_s=1.0, label=lab) for lab in "AB" for i in range(10)]
    assert dataset.duration_shortcut_findings(identical) == []
    similar = _durations("A", 1.0) + _durations("B", 1.0, seed=1)
    assert dataset.duration_shortcut_findings(similar) == []


def test_a_label_with_one_clip_cannot_trigger_the_shortcut_warning():
    # A and B differ significantly but only 1.2x (under the 1.5x ratio); C has a single 5-s clip, too few to
    # test. Letting C's lone clip set the ratio would warn about a difference no test supports.
    a, b = _durations("A", 1.0, spread_s=0.02), _durations("B", 1.2, spread_s=0.02, seed=1)
    p = kruskal([s.duration_s for s in a], [s.duration_s for s in b]).pvalue
    assert p < dataset.DURATION_SHORTCUT_P  # so only the ratio keeps A vs B from warning
    stats = a + b + [_stats("C0.wav", duration_s=5.0, label="C")]
    assert dataset.duration_shortcut_findings(stats) == []


def test_shortcut_check_needs_two_labels_with_two_clips():
    assert dataset.duration_shortcut_findings(_durations("A", 1.0) + _durations("B", 3.0, n=1)) == []
    unlabelled = [_stats(f"{i}.wav", duration_s=1.0 + 2 * (i % 2)) for i in range(10)]
    assert dataset.duration_shortcut_findings(unlabelled) == []


# ---------------------------------------------------------------- speech vs non-speech

def test_speech_encoder_on_non_speech_clips_warns_naming_the_clips():
    stats = [_stats(f"n{i}.wav", speech_fraction=0.0) for i in range(3)]
    finding = _codes(dataset.speech_findings(stats, WAV2VEC2, 0.0))["non_speech_for_speech_encoder"]
    assert "wav2vec2-base is a speech model" in finding.message and "only 0%" in finding.message
    assert "3 of 3 clips" in finding.message and finding.files == ("n0.wav", "n1.wav", "n2.wav")


def test_non_speech_encoder_or_speech_dataset_gives_no_speech_warning():
    noise_stats = [_stats(f"n{i}.wav", speech_fraction=0.0) for i in range(3)]
    assert dataset.speech_findings(noise_stats, AST, 0.0) == []
    speech_stats = [_stats(f"s{i}.wav", speech_fraction=0.9) for i in range(3)]
    assert dataset.speech_findings(speech_stats, WAV2VEC2, 0.9) == []


def test_dataset_speech_fraction_is_duration_weighted():
    stats = (_stats("a.wav", duration_s=1.0, speech_fraction=1.0), _stats("b.wav", duration_s=3.0, speech_fraction=0.0))
    report = dataset.DatasetAnalysis(stats, ((), ()), dataset.padding_report(stats, clip_length_s=2.0), ())
    assert report.speech_fraction == pytest.approx(0.25)


# ---------------------------------------------------------------- aggregation

def _finding(code: str, file: str, severity: str = "warning") -> Finding:
    return Finding(code, severity, f"{file}: something about {file}", (file,))


def test_aggregate_merges_one_code_into_one_row_naming_every_file():
    by_clip = {f"{i}.wav": (_finding("dc_offset", f"{i}.wav"),) for i in range(7)}
    by_clip["x.wav"] = (_finding("clipping", "x.wav"), _finding("low_level", "x.wav", "info"))
    rows = _codes(dataset.aggregate(by_clip))
    assert set(rows) == {"dc_offset", "clipping", "low_level"}
    merged = rows["dc_offset"]
    assert merged.files == tuple(f"{i}.wav" for i in range(7)) and merged.severity == "warning"
    assert merged.message.startswith("7 clips: 0.wav: something about 0.wav")
    assert "(also: 1.wav, 2.wav, 3.wav, 4.wav, 5.wav and 1 more)" in merged.message
    assert rows["clipping"] == by_clip["x.wav"][0]  # a single finding stays as it was
    assert rows["low_level"].severity == "info"


def test_aggregate_of_clean_clips_is_empty():
    assert dataset.aggregate({"a.wav": (), "b.wav": ()}) == []


# ---------------------------------------------------------------- end to end

def test_analyse_returns_stats_in_input_order_across_batches(monkeypatch):
    monkeypatch.setattr(dataset, "MEASURE_BATCH_CLIPS", 2)  # 5 clips -> 3 batches
    clips = [make_clip(noise(duration_s=0.3 + 0.1 * i, seed=i), name=f"z{9 - i}.wav") for i in range(4)]
    clips.insert(2, make_clip(sine(sample_rate_hz=8_000), sample_rate_hz=8_000, name="a_tone.wav"))
    progress = []
    report = dataset.analyse(clips, spec=WAV2VEC2, progress=lambda f, msg: progress.append(round(f, 2)))
    assert [s.name for s in report.stats] == [c.name for c in clips]
    assert [s.duration_s for s in report.stats] == pytest.approx([c.duration_s for c in clips])
    assert progress == [0.0, 0.4, 0.8]
    assert len(report.speech) == 5 and all(s.speech_fraction is not None for s in report.stats)
    assert report.padding is None  # no pad/cut length asked for: nothing is padded or cut
    found = _codes(report.findings)
    assert found["sample_rate_mismatch"].files == ("a_tone.wav",)
    assert "mixed_sample_rates" in found and "non_speech_for_speech_encoder" in found
    assert set(report.clip_findings) == {c.name for c in clips}


def test_analyse_with_a_fixed_length_measures_padding_against_it():
    clips = [make_clip(noise(duration_s=1.0, seed=i), name=f"{i}.wav") for i in range(2)]
    report = dataset.analyse(clips, spec=AST, clip_length_s=4.0)
    assert report.padding.mean_padding_fraction == pytest.approx(0.75)
    assert "padding_dominates" in _codes(report.findings)


def test_analyse_and_check_refuse_an_empty_dataset():
    with pytest.raises(ValueError, match="at least one clip"):
        dataset.analyse([], spec=WAV2VEC2)
    with pytest.raises(ValueError, match="no clips to check"):
        dataset.check([], [], spec=WAV2VEC2)
