"""checks: per-clip measurements against values worked out by hand, and the findings they lead to."""
from __future__ import annotations

import re

import numpy as np
import pytest

from audiodiag.data import decoding
from audiodiag.measure import per_clip
from tests.helpers import make_clip, noise, sine, wav_bytes


def _findings(clip) -> dict[str, object]:
    return {f.code: f for f in per_clip.clip_findings(per_clip.clip_stats(clip))}


# ---------------------------------------------------------------- levels

def test_half_scale_sine_peaks_at_minus_6_dbfs_with_rms_minus_9(sine_440hz):
    # 20 log10(0.5) = -6.02; RMS 0.5 / sqrt(2) -> -9.03
    assert per_clip.peak_dbfs(sine_440hz) == pytest.approx(-6.02, abs=0.01)
    assert per_clip.rms_dbfs(sine_440hz) == pytest.approx(-9.03, abs=0.01)


def test_full_scale_sine_peaks_at_0_dbfs_with_rms_minus_3():
    x = sine(1_000, amplitude=1.0)  # 16 samples per period: hits exactly 1.0
    assert per_clip.peak_dbfs(x) == pytest.approx(0.0, abs=1e-6)
    assert per_clip.rms_dbfs(x) == pytest.approx(-3.01, abs=0.01)


def test_digital_silence_reports_the_floor_not_minus_infinity():
    assert per_clip.peak_dbfs(np.zeros(100, np.float32)) == per_clip.DBFS_FLOOR
    assert per_clip.rms_dbfs(np.zeros(100, np.float32)) == per_clip.DBFS_FLOOR
    assert per_clip.peak_dbfs(np.zeros(0, np.float32)) == per_clip.DBFS_FLOOR
    assert per_clip.to_dbfs(0.1) == pytest.approx(-20.0)


def test_quiet_clip_gets_a_low_level_note():
    finding = _findings(make_clip(sine(amplitude=0.01), name="quiet.wav"))["low_level"]  # peak -40 dBFS
    assert finding.severity == "info" and finding.message.startswith("quiet.wav: peak level -40.0 dBFS")
    assert "low_level" not in _findings(make_clip(sine(amplitude=0.1)))  # peak -20 dBFS


# ---------------------------------------------------------------- clipping

@pytest.mark.parametrize(("freq_hz", "rate_hz"), [(440, 16_000), (1_000, 16_000), (100, 44_100), (440, 48_000)])
def test_clean_full_scale_sine_is_not_clipped(freq_hz, rate_hz):
    x = sine(freq_hz, sample_rate_hz=rate_hz, amplitude=1.0)
    assert per_clip.clipping_fraction(x) == 0.0
    assert per_clip.clipping_fraction(make_clip(x, sample_rate_hz=rate_hz, subtype="PCM_16").samples) == 0.0


def test_sine_driven_3x_into_the_rails_is_clipped_by_the_expected_fraction():
    x = np.clip(3 * sine(440, amplitude=1.0), -1.0, 1.0)
    # Every sample where |3 sin| >= 1 sits on a rail in a run of ~14 samples; analytically that is
    # 1 - (2/pi) asin(1/3) = 0.7837 of the time.
    expected = float(np.mean(np.abs(x) >= 1.0))
    assert expected == pytest.approx(1 - 2 / np.pi * np.arcsin(1 / 3), abs=0.005)
    assert per_clip.clipping_fraction(x) == pytest.approx(expected, abs=1e-9)
    clip = make_clip(x, name="hot.wav", subtype="PCM_16")  # rails at 32767/32768 still count
    assert per_clip.clipping_fraction(clip.samples) == pytest.approx(expected, abs=1e-9)
    finding = _findings(clip)["clipping"]
    assert finding.severity == "warning" and finding.message.startswith(f"hot.wav: {expected:.2%} of samples")


@pytest.mark.parametrize(("held", "expected_samples"), [(1, 0), (2, 0), (3, 3), (10, 10)])
def test_only_runs_of_three_or_more_equal_samples_at_the_rail_count(held, expected_samples):
    x = np.zeros(1_000, np.float32)
    x[100:100 + held] = -1.0
    assert per_clip.clipping_fraction(x) == pytest.approx(expected_samples / 1_000)


def test_rippled_clipped_tops_count_like_flat_ones():
    """A real clipped file's tops ripple by tens of LSB (-32712, -32762, -32768 ...): every top still counts."""
    x = np.clip(2 * sine(440, amplitude=1.0), -1.0, 1.0)
    rail = np.abs(x) >= 1.0
    ripple = np.array([-32712, -32762, -32768, -32740, -32768]) / 32768.0
    x[rail] = np.sign(x[rail]) * np.abs(np.resize(ripple, rail.sum()))
    pcm = make_clip(x, name="rippled.wav", subtype="PCM_16")
    expected = float(np.mean(rail))
    assert per_clip.clipping_fraction(pcm.samples) == pytest.approx(expected, abs=0.002)


def test_a_flat_ceiling_below_full_scale_is_clipping_a_smooth_one_is_not():
    limited = np.clip(3 * sine(440, amplitude=1.0), -0.7, 0.7)  # clipped, then turned down
    assert per_clip.clipping_fraction(limited) == pytest.approx(float(np.mean(np.abs(limited) >= 0.7)), abs=1e-9)
    assert per_clip.clipping_fraction(sine(100, sample_rate_hz=44_100, amplitude=0.7)) == 0.0


def test_values_near_the_rail_that_change_are_not_clipping():
    x = np.zeros(1_000, np.float32)
    x[100:110] = np.linspace(0.991, 0.999, 10)
    assert per_clip.clipping_fraction(x) == 0.0


# ---------------------------------------------------------------- DC offset

def test_dc_offset_of_a_raised_sine_is_the_added_constant(sine_440hz):
    # 440 whole periods in 1 s, so the sine itself averages to 0.
    assert per_clip.dc_offset(sine_440hz) == pytest.approx(0.0, abs=1e-5)
    raised = make_clip(sine_440hz + np.float32(0.1), name="dc.wav")
    assert per_clip.dc_offset(raised.samples) == pytest.approx(0.1, abs=1e-5)
    finding = _findings(raised)["dc_offset"]
    assert finding.message.startswith("dc.wav: DC offset +0.100") and "high-pass" in finding.message
    assert "dc_offset" not in _findings(make_clip(sine_440hz))


# ---------------------------------------------------------------- silence

def test_30_percent_zero_padding_at_the_end_is_30_percent_silence(sine_440hz):
    padded = np.r_[sine_440hz[:11_200], np.zeros(4_800, np.float32)]  # 0.7 s tone + 0.3 s zeros
    assert per_clip.silence_ratio(padded, sample_rate_hz=16_000) == pytest.approx(0.3, abs=0.02)
    leading, trailing = per_clip.edge_silence_s(padded, sample_rate_hz=16_000)
    assert leading == 0.0
    assert trailing == pytest.approx(0.3, abs=0.02)
    stats = per_clip.clip_stats(make_clip(padded))
    assert (stats.silence_ratio, stats.leading_silence_s) == (pytest.approx(0.3, abs=0.02), 0.0)
    assert stats.trailing_silence_s == pytest.approx(0.3, abs=0.02)


def test_zero_padding_at_the_start_is_leading_silence(sine_440hz):
    padded = np.r_[np.zeros(8_000, np.float32), sine_440hz[:8_000]]
    assert per_clip.edge_silence_s(padded, sample_rate_hz=16_000) == pytest.approx((0.5, 0.0), abs=0.02)


def test_noise_floor_40_db_below_the_signal_counts_as_silence(sine_440hz):
    hiss = noise(duration_s=0.5, amplitude=0.5 * 10 ** (-45 / 20))  # RMS 45 dB under the tone's peak
    x = np.r_[sine_440hz[:8_000], hiss]
    assert per_clip.silence_ratio(x, sample_rate_hz=16_000) == pytest.approx(0.5, abs=0.02)


def test_mostly_silent_clip_warns_with_its_ratio_and_edges(sine_440hz):
    x = np.r_[np.zeros(4_800, np.float32), sine_440hz[:4_800], np.zeros(6_400, np.float32)]  # 30 + 30 + 40 %
    finding = _findings(make_clip(x, name="sparse.wav"))["mostly_silent"]
    assert finding.message.startswith("sparse.wav: 70% of 25 ms frames are silent")
    assert "leading 0.30 s, trailing 0.40 s" in finding.message


def test_all_zero_clip_is_an_all_silent_error_and_nothing_else():
    clip = make_clip(np.zeros(16_000, np.float32), name="blank.wav")
    stats = per_clip.clip_stats(clip)
    assert stats.silence_ratio == 1.0 and stats.peak_dbfs == per_clip.DBFS_FLOOR
    assert (stats.leading_silence_s, stats.trailing_silence_s) == (1.0, 1.0)
    findings = per_clip.clip_findings(stats)
    assert [(f.code, f.severity) for f in findings] == [("all_silent", "error")]
    assert findings[0].message.startswith("blank.wav: the whole clip is silent")


def test_last_partial_frame_is_measured_on_its_own_samples(sine_440hz):
    x = np.r_[sine_440hz, sine_440hz[:200]]  # 40 full 25 ms frames + one of 200 samples
    levels = per_clip.frame_rms_dbfs(x, sample_rate_hz=16_000)
    assert len(levels) == 41
    assert levels[-1] == pytest.approx(per_clip.rms_dbfs(sine_440hz[:200]), abs=0.01)  # not diluted by padding


# ---------------------------------------------------------------- bandwidth and band limit

def test_white_noise_upsampled_from_8khz_is_band_limited_near_4khz():
    up = decoding.resample(noise(sample_rate_hz=8_000), orig_sample_rate_hz=8_000, target_sample_rate_hz=44_100)
    stats = per_clip.clip_stats(make_clip(up, sample_rate_hz=44_100, name="phone.wav"))
    assert stats.band_limit_hz == pytest.approx(4_000, rel=0.05)
    assert stats.effective_bandwidth_hz == pytest.approx(0.99 * 4_000, rel=0.1)
    finding = {f.code: f for f in per_clip.clip_findings(stats)}["band_limited"]
    assert finding.severity == "warning" and finding.files == ("phone.wav",)
    assert re.match(r"phone\.wav: content stops near (3\.9|4\.0|4\.1) kHz", finding.message)
    assert "44100 Hz" in finding.message and "~8 kHz" in finding.message


@pytest.mark.parametrize("order", [2, 4])
def test_noise_that_rolls_off_smoothly_is_not_band_limited(order):
    """A low-frequency sound (a hum, a thud) has little energy up high, but no edge: no warning."""
    from scipy import signal as sps

    sos = sps.butter(order, 300, fs=44_100, output="sos")
    rumble = sps.sosfilt(sos, noise(sample_rate_hz=44_100, duration_s=2.0)).astype(np.float32)
    stats = per_clip.clip_stats(make_clip(rumble / np.abs(rumble).max() * 0.5, sample_rate_hz=44_100))
    assert stats.effective_bandwidth_hz < 2_000  # 99 % of the energy is low: the old rule called this upsampled
    # (a digital Butterworth has a notch at Nyquist itself: an edge there is not band limiting)
    assert stats.band_edge_drop_db == 0.0 or stats.band_limit_hz > 0.9 * stats.nyquist_hz
    assert "band_limited" not in {f.code for f in per_clip.clip_findings(stats)}


def test_an_mp3_style_low_pass_at_16khz_is_a_steep_edge():
    from scipy import signal as sps

    sos = sps.ellip(10, 0.1, 80, 16_000, fs=44_100, output="sos")  # an encoder's sharp low-pass
    coded = sps.sosfilt(sos, noise(sample_rate_hz=44_100, duration_s=2.0, amplitude=0.2)).astype(np.float32)
    stats = per_clip.clip_stats(make_clip(coded, sample_rate_hz=44_100, name="coded.wav", subtype="PCM_16"))
    assert stats.band_limit_hz == pytest.approx(16_000, rel=0.05) and stats.band_edge_drop_db >= 40
    finding = {f.code: f for f in per_clip.clip_findings(stats)}["band_limited"]
    assert re.match(r"coded\.wav: content stops near 16\.\d kHz \(a steep edge: the level falls by \d+ dB",
                    finding.message)


def test_white_noise_at_44khz_fills_the_band_and_gets_no_band_warning():
    stats = per_clip.clip_stats(make_clip(noise(sample_rate_hz=44_100), sample_rate_hz=44_100))
    assert stats.effective_bandwidth_hz > 0.95 * stats.nyquist_hz
    assert "band_limited" not in {f.code for f in per_clip.clip_findings(stats)}


def test_bandwidth_of_a_pure_tone_is_its_frequency():
    assert per_clip.bandwidth_hz(sine(1_000), sample_rate_hz=16_000) == pytest.approx(1_000, abs=20)


def test_bandwidth_of_long_clips_uses_spread_segments_and_stays_right():
    x = noise(duration_s=60.0, sample_rate_hz=16_000)  # 468 Welch segments > MAX_SPECTRUM_SEGMENTS
    assert len(x) // per_clip.WELCH_SEGMENT > per_clip.MAX_SPECTRUM_SEGMENTS
    assert per_clip.bandwidth_hz(x, sample_rate_hz=16_000) == pytest.approx(0.99 * 8_000, rel=0.02)


# ---------------------------------------------------------------- stats and messages

def test_clip_stats_reports_the_source_format():
    clip = make_clip(np.stack([sine(), sine()], axis=1), sample_rate_hz=16_000, name="s.wav", subtype="PCM_24")
    resampled = decoding.resample_clip(clip, target_sample_rate_hz=8_000)
    stats = per_clip.clip_stats(resampled)
    assert (stats.sample_rate_hz, stats.channels, stats.bit_depth, stats.subtype) == (16_000, 2, 24, "PCM_24")
    assert stats.duration_s == pytest.approx(1.0) and stats.speech_fraction is None


def test_every_clip_finding_names_its_file():
    x = np.clip(3 * sine(duration_s=2.0, sample_rate_hz=96_000, amplitude=1.0), -1, 1) + np.float32(0.05)
    x[:120_000] = 0.0  # 60 % silent
    x[5] = np.nan
    x = np.tile(x[:, None], (1, 6))
    clip = decoding.load_clip(wav_bytes(x, sample_rate_hz=96_000, subtype="FLOAT"), name="<b>everything</b>.wav")
    findings = per_clip.clip_findings(per_clip.clip_stats(clip))
    assert {f.code for f in findings} >= {"non_finite", "clipping", "dc_offset", "mostly_silent",
                                          "many_channels", "high_sample_rate"}
    for f in findings:
        assert f.message.startswith("<b>everything</b>.wav: ") and f.files == ("<b>everything</b>.wav",)



def test_trim_advice_only_when_the_silence_is_at_the_ends():
    tone = sine(440, duration_s=0.4)
    edges = np.r_[np.zeros(8_000, np.float32), tone, np.zeros(8_000, np.float32)]  # 0.5 s + 0.4 s + 0.5 s
    pauses = np.concatenate([np.r_[tone[:1_600], np.zeros(3_200, np.float32)] for _ in range(5)])[:-3_200]
    def message(x):
        return {f.code: f for f in per_clip.clip_findings(per_clip.clip_stats(make_clip(x)))}["mostly_silent"].message

    edge_msg, pause_msg = message(edges), message(pauses)
    assert "trim the leading/trailing silence" in edge_msg
    assert "leading 0.00 s" in pause_msg and "inside the clip (pauses)" in pause_msg and "trim" not in pause_msg


@pytest.mark.parametrize("n, rate", [(16_000, 16_000), (8_000, 8_000), (1_000, 44_100), (4_097, 22_050), (5, 16_000)])
def test_segment_spectra_equal_scipy_spectrogram(n, rate):
    """Our numpy spectra (no scipy.signal import before the first waveform) are scipy's numbers."""
    from scipy import signal

    x = np.random.default_rng(n).normal(size=n).astype(np.float32) + 0.3  # with a DC offset to detrend
    freqs, power = per_clip.segment_spectra(x, sample_rate_hz=rate)
    expected_freqs, _, expected = signal.spectrogram(
        x, fs=rate, window="hann", nperseg=max(1, min(per_clip.WELCH_SEGMENT, n)), noverlap=0, detrend="constant",
        scaling="density", mode="psd")
    np.testing.assert_array_equal(freqs, expected_freqs)
    np.testing.assert_allclose(power, expected, rtol=1e-4, atol=1e-6 * expected.max())
