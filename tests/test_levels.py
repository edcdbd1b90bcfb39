"""levels and the warnings built on them: loudness (LUFS), SNR, long internal silences and loudness outliers,
on signals whose answers are known by construction."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from audiodiag.data import decoding, layout
from audiodiag.measure import dataset, levels, per_clip
from audiodiag.types import SpeechRegion
from tests.helpers import make_clip, noise, sine

SR = 16_000


def _codes(findings) -> list[str]:
    return [f.code for f in findings]


# ---------------------------------------------------------------- loudness

def test_a_1khz_sine_with_a_peak_of_0_1_reads_minus_23_lufs():
    # BS.1770: a full-scale 1 kHz sine in one channel reads -3.01 LUFS, so a peak of 0.1 (-20 dBFS) reads -23.01
    x = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(3 * 48_000) / 48_000)
    assert levels.loudness_lufs(x, sample_rate_hz=48_000) == pytest.approx(-23.0, abs=0.15)
    assert levels.loudness_lufs(x / 10, sample_rate_hz=48_000) == pytest.approx(-43.0, abs=0.15)  # 20 dB down


def test_loudness_is_none_for_a_clip_shorter_than_one_block_and_for_silence():
    assert levels.loudness_lufs(sine(1000.0, duration_s=0.3), sample_rate_hz=SR) is None
    assert levels.loudness_lufs(np.zeros(SR), sample_rate_hz=SR) is None


def test_clip_stats_carry_the_loudness_of_the_decoded_clip():
    stats = per_clip.clip_stats(make_clip(0.1 * sine(1000.0, duration_s=2.0, sample_rate_hz=SR) / sine(
        1000.0, duration_s=2.0).max()))
    assert stats.loudness_lufs == pytest.approx(-23.0, abs=0.2)


# ---------------------------------------------------------------- SNR

def _gated_tone_in_noise(snr_db: float, *, seed: int = 0) -> np.ndarray:
    """A 440 Hz tone on for the first half of every second, white noise throughout, the tone `snr_db` above it."""
    t = np.arange(4 * SR) / SR
    tone = np.sin(2 * np.pi * 440 * t) * ((t % 1.0) < 0.5)  # power 0.5 while on
    background = np.random.default_rng(seed).standard_normal(len(t)) * np.sqrt(0.5 / 10 ** (snr_db / 10))
    return (0.1 * (tone + background)).astype(np.float32)


@pytest.mark.parametrize("snr", [5.0, 10.0, 20.0, 30.0])
def test_a_tone_in_noise_reads_its_snr_within_1_5_db(snr):
    stats = per_clip.clip_stats(make_clip(_gated_tone_in_noise(snr)))
    assert stats.snr_method == levels.SNR_FRAMES
    assert stats.snr_db == pytest.approx(snr, abs=1.5)


def test_speech_against_its_pauses_is_the_power_ratio_of_the_two():
    frame_levels = np.r_[np.full(20, -40.0), np.full(40, -20.0), np.full(20, -40.0)]
    speech = np.r_[np.zeros(20, bool), np.ones(40, bool), np.zeros(20, bool)]
    snr, method = levels.snr_db(frame_levels, speech=speech)
    assert method == levels.SNR_SPEECH
    assert snr == pytest.approx(10 * np.log10(99))  # (0.01 - 0.0001) / 0.0001


def test_speech_regions_pick_the_speech_frames():
    mask = levels.speech_frames([SpeechRegion(0.05, 0.1)], n_frames=6, frame_s=0.025)
    assert mask.tolist() == [False, False, True, True, False, False]


def test_no_snr_for_a_steady_sound_nor_from_digital_silence():
    assert levels.snr_db(np.full(100, -20.0)) == (None, levels.SNR_FRAMES)  # a steady tone: no quieter part
    # zeros (padding) are not background: the tone alone remains, steady again
    assert levels.snr_db(np.r_[np.full(50, -20.0), np.full(50, per_clip.DBFS_FLOOR)])[0] is None
    # too few pauses for the speech method: falls back to loud vs quiet frames
    assert levels.snr_db(np.r_[np.full(60, -20.0), np.full(3, -50.0)],
                         speech=np.r_[np.ones(60, bool), np.zeros(3, bool)])[1] == levels.SNR_FRAMES


# ---------------------------------------------------------------- internal silence

def test_a_three_second_gap_inside_a_clip_is_found_and_named():
    tone = sine(440.0, duration_s=1.0)
    clip = make_clip(np.r_[tone, np.zeros(3 * SR, np.float32), tone], name="gap.wav")
    stats = per_clip.clip_stats(clip)
    assert (stats.internal_silence_s, stats.internal_silence_start_s) == pytest.approx((3.0, 1.0), abs=0.03)
    finding = {f.code: f for f in per_clip.clip_findings(stats)}["internal_silence"]
    assert finding.message.startswith("gap.wav: 3.00 s of silence inside the clip, from 1.00 s to 4.00 s")
    assert "expected pauses under 2 s" in finding.message


def test_silence_at_the_ends_or_a_short_pause_is_not_an_internal_silence():
    tone = sine(440.0, duration_s=1.0)
    edges = per_clip.clip_stats(make_clip(np.r_[np.zeros(3 * SR, np.float32), tone, np.zeros(3 * SR, np.float32)]))
    assert edges.internal_silence_s == 0.0
    short = per_clip.clip_stats(make_clip(np.r_[tone, np.zeros(SR, np.float32), tone]))
    assert short.internal_silence_s == pytest.approx(1.0, abs=0.03)
    assert "internal_silence" not in _codes(per_clip.clip_findings(short))


# ---------------------------------------------------------------- dataset-relative warnings

def _base() -> per_clip.ClipStats:
    return per_clip.clip_stats(make_clip(noise(duration_s=1.0), name="base.wav"))


def test_a_clip_22_lu_quieter_than_the_rest_is_a_loudness_outlier():
    base = _base()
    stats = [replace(base, name=f"{i}.wav", loudness_lufs=-23.0 + (i % 3) - 1) for i in range(9)]
    stats.append(replace(base, name="quiet.wav", loudness_lufs=-45.0))
    report = dataset.check(stats, [()] * len(stats), spec=None)
    (finding,) = [f for f in report.findings if f.code == "loudness_outlier"]
    assert finding.files == ("quiet.wav",)
    assert "quiet.wav: integrated loudness -45.0 LUFS, 22.0 LU quieter than the dataset median (-23.0 LUFS" in \
        finding.message
    assert _codes(report.clip_findings["quiet.wav"]) == ["loudness_outlier"]


def test_a_tight_set_with_a_4_lu_difference_has_no_loudness_outlier():
    base = _base()
    stats = [replace(base, name=f"{i}.wav", loudness_lufs=-23.0) for i in range(9)]
    stats.append(replace(base, name="a_bit_loud.wav", loudness_lufs=-19.0))
    assert levels.loudness_outliers([s.name for s in stats], [s.loudness_lufs for s in stats]) == []
    assert levels.loudness_outliers(["a", "b"], [-10.0, -60.0]) == []  # too few clips to call either an outlier


def test_low_snr_speech_warns_in_a_speech_dataset_only():
    base = replace(_base(), speech_fraction=0.8)
    noisy = replace(base, name="noisy.wav", snr_db=4.2, snr_method=levels.SNR_SPEECH)
    clean = [replace(base, name=f"{i}.wav", snr_db=30.0, snr_method=levels.SNR_SPEECH) for i in range(4)]
    (finding,) = dataset.snr_findings([noisy, *clean])
    assert finding.message.startswith("noisy.wav: speech is 4.2 dB above the background in its pauses (expected at "
                                      "least 10 dB)")
    # the same clip among non-speech sounds (VAD can take a whale call for speech): no verdict
    sounds = [replace(c, speech_fraction=0.0) for c in clean * 3]
    assert dataset.snr_findings([noisy, *sounds]) == []
    # loud vs quiet frames never warn: a sound's "noise" may be the sound itself
    assert dataset.snr_findings([replace(noisy, snr_method=levels.SNR_FRAMES), *clean]) == []


def test_clean_real_speech_reads_a_high_snr_and_no_snr_warning(real_audio):
    clips = [c for c in layout.load_folder(real_audio / "utterances") if hasattr(c, "samples")]
    stats, speech = dataset.measure(clips)
    measured = [s.snr_db for s in stats if s.snr_db is not None]
    assert len(measured) == len(stats) and min(measured) > 15.0  # studio read speech (LibriSpeech, LJ Speech)
    assert not dataset.snr_findings(stats)
    assert all(-35.0 < s.loudness_lufs < -15.0 for s in stats)


@pytest.mark.parametrize("snr", [5.0, 20.0])
def test_real_speech_in_white_noise_reads_its_snr_between_speech_and_pauses(real_audio, snr):
    """LibriSpeech read speech with white noise added `snr` dB below the power inside its speech regions."""
    from audiodiag.measure import vad

    clip = decoding.load_clip((real_audio / "utterances" / "utt01_ls1089.wav").read_bytes(), name="utt01.wav")
    (regions,) = vad.speech_regions([clip])
    inside = np.zeros(len(clip.samples), bool)
    for r in regions:
        inside[int(r.start_s * clip.sample_rate_hz):int(r.end_s * clip.sample_rate_hz)] = True
    power = float(np.mean(clip.samples[inside].astype(np.float64) ** 2))
    background = np.random.default_rng(0).standard_normal(len(clip.samples)) * np.sqrt(power / 10 ** (snr / 10))
    noisy = replace(clip, samples=(clip.samples + background).astype(np.float32), name="noisy.wav")
    (noisy_regions,) = vad.speech_regions([noisy])
    stats = per_clip.clip_stats(noisy, speech=noisy_regions)
    assert stats.snr_method == levels.SNR_SPEECH
    assert stats.snr_db == pytest.approx(snr, abs=1.5)
    clean = [replace(stats, name=f"clean{i}.wav", snr_db=30.0) for i in range(3)]
    assert [f.files for f in dataset.snr_findings([stats, *clean])] == ([("noisy.wav",)] if snr < 10 else [])


@pytest.mark.parametrize("sample_rate_hz", [8_000, 11_025, 44_100])
def test_loudness_equals_pyloudnorms_own_meter(sample_rate_hz):
    import pyloudnorm

    rng = np.random.default_rng(sample_rate_hz)
    for seconds in (0.4, 0.43, 2.7):
        n = int(seconds * sample_rate_hz)
        x = rng.standard_normal(n) * np.r_[np.full(n // 2, 0.2), np.full(n - n // 2, 2e-4)]  # loud, then gated out
        assert levels.loudness_lufs(x, sample_rate_hz=sample_rate_hz) == pytest.approx(
            pyloudnorm.Meter(sample_rate_hz).integrated_loudness(x), abs=1e-9)


def test_the_one_clip_view_leaves_loudness_to_the_dataset_table():
    clip = make_clip(0.1 * sine(1000.0, duration_s=1.0))
    assert per_clip.clip_stats(clip, loudness=False).loudness_lufs is None
    assert per_clip.clip_stats(clip).loudness_lufs is not None


# ---------------------------------------------------------------- issue 27, class 9: measures where they mean something

def test_speech_vs_pauses_only_for_a_clip_that_is_mostly_speech():
    """A blender clip where VAD marks 4 % as speech: its "pauses" are the blender, so the SNR is loud vs quiet
    frames (the old rule took any 8 speech frames and read -14 dB "speech vs pauses")."""
    frame_levels = np.r_[np.full(8, -30.0), np.tile([-20.0, -26.0], 96)]  # 8 "speech" frames, then the blender
    blender = np.r_[np.ones(8, bool), np.zeros(192, bool)]  # 4 % speech
    snr, method = levels.snr_db(frame_levels, speech=blender)
    assert method == levels.SNR_FRAMES and snr == pytest.approx(10 * np.log10(10 ** 0.6 - 1), abs=1e-6)
    talk = np.r_[np.full(100, -20.0), np.full(100, -40.0)]
    assert levels.snr_db(talk, speech=np.r_[np.ones(100, bool), np.zeros(100, bool)])[1] == levels.SNR_SPEECH
    assert levels.snr_db(talk, speech=np.r_[np.ones(99, bool), np.zeros(101, bool)])[1] == levels.SNR_FRAMES
    assert dataset.SPEECH_DATASET_MIN == levels.SPEECH_MAJORITY == 0.5  # one threshold for a clip and a dataset


def _footsteps() -> np.ndarray:
    """Four 0.25-s noise bursts with a 2.5-s gap after the second: 30 % sound, the rest quiet between steps."""
    step, gap = noise(duration_s=0.25, amplitude=0.3, seed=1), np.zeros(int(0.4 * SR), np.float32)
    return np.r_[step, gap, step, np.zeros(int(2.5 * SR), np.float32), step, gap, step]


def test_pauses_between_footsteps_are_not_a_fault_but_the_same_gap_in_speech_is():
    clip = make_clip(_footsteps(), name="footsteps.wav")
    steps = per_clip.clip_stats(clip, speech=[])  # VAD ran and found no speech
    assert steps.internal_silence_s == pytest.approx(2.5, abs=0.03)
    assert steps.silence_ratio > per_clip.WARN_SILENCE_RATIO
    assert per_clip.speech_share_of_sound(steps) == 0.0 and not per_clip.pauses_matter(steps)
    assert not {"internal_silence", "mostly_silent"} & set(_codes(per_clip.clip_findings(steps)))
    # the same audio where VAD hears words in every sounding part: a 2.5-s gap in speech is worth a listen
    words = [SpeechRegion(0.0, 0.25), SpeechRegion(0.65, 0.9), SpeechRegion(3.4, 3.65), SpeechRegion(4.05, 4.3)]
    spoken = per_clip.clip_stats(clip, speech=words)
    assert spoken.speech_fraction < 0.5 < per_clip.speech_share_of_sound(spoken)  # the gap does not dilute it
    found = {f.code: f for f in per_clip.clip_findings(spoken)}
    assert "internal_silence" in found and "inside the clip (pauses)" in found["mostly_silent"].message
    # the default quarantine (every warning found) keeps the footsteps
    from audiodiag.measure import cleanlist

    by_clip = dataset.per_clip_findings([steps, replace(spoken, name="spoken.wav")])
    keep, quarantined = cleanlist.split([cleanlist.Entry(n, n) for n in ("footsteps.wav", "spoken.wav")], by_clip,
                                        quarantine_codes=cleanlist.default_codes(by_clip))
    assert [r["path"] for r in keep] == ["footsteps.wav"] and [r["path"] for r in quarantined] == ["spoken.wav"]
