"""io: every format and bit depth decodes to the same samples, downmix and resampling have known answers,
and every bad input becomes one clear error naming the file and the fix while the rest of a batch loads."""
from __future__ import annotations

import hashlib
import re
import struct
import zipfile
from io import BytesIO

import numpy as np
import pytest
import soundfile as sf

from audiodiag.data import decoding, layout, tables
from audiodiag.errors import InvalidAudioError, UnsafeArchiveError
from audiodiag.measure import per_clip
from audiodiag.types import Clip, LoadFailure
from tests.helpers import make_clip, noise, peak_frequency_hz, sine, wav_bytes, zip_bytes

GOOD_BEFORE = ("before.wav", wav_bytes(noise(seed=1)))
GOOD_AFTER = ("after.wav", wav_bytes(sine(duration_s=0.5)))


def _codes(clip: Clip) -> dict[str, object]:
    return {f.code: f for f in per_clip.clip_findings(per_clip.clip_stats(clip))}


def _assert_one_failure_between_good_files(results, name: str, pattern: str) -> LoadFailure:
    """`results` of load_batch([GOOD_BEFORE, (name, bad), GOOD_AFTER]): the bad file is one row in place."""
    assert [r.name for r in results] == ["before.wav", name, "after.wav"]
    assert isinstance(results[0], Clip) and isinstance(results[2], Clip)
    failure = results[1]
    assert isinstance(failure, LoadFailure)
    assert failure.message.startswith(name)
    assert re.search(pattern, failure.message), failure.message
    return failure


# ---------------------------------------------------------------- formats and bit depths

@pytest.mark.parametrize(("subtype", "bits"), [
    ("PCM_U8", 8), ("PCM_16", 16), ("PCM_24", 24), ("PCM_32", 32), ("FLOAT", 32), ("DOUBLE", 64),
])
def test_wav_bit_depths_load_with_their_subtype_and_the_same_samples(subtype, bits):
    x = sine(440, duration_s=0.25, amplitude=0.5)
    clip = decoding.load_clip(wav_bytes(x, subtype=subtype), name=f"{subtype}.wav")
    assert (clip.subtype, clip.bit_depth, clip.container) == (subtype, bits, "WAV")
    assert (clip.sample_rate_hz, clip.original_sample_rate_hz, clip.original_channels) == (16_000, 16_000, 1)
    assert clip.samples.dtype == np.float32 and clip.samples.shape == x.shape
    # Integer formats: within two quantisation steps (libsndfile writes with 2^(n-1)-1 and reads with
    # 2^(n-1), which adds up to one step at full scale). float32/float64 hold float32 input exactly.
    tolerance = 0.0 if subtype in ("FLOAT", "DOUBLE") else 2.0 ** -(bits - 2)
    assert np.max(np.abs(clip.samples - x)) <= tolerance


@pytest.mark.parametrize(("fmt", "subtype", "bit_depth"), [
    ("FLAC", "PCM_16", 16), ("OGG", "VORBIS", None), ("MP3", "MPEG_LAYER_III", None),
])
def test_flac_ogg_and_mp3_load_with_the_same_tone(fmt, subtype, bit_depth):
    x = sine(440, duration_s=1.0, amplitude=0.5)
    clip = decoding.load_clip(wav_bytes(x, fmt=fmt, subtype=subtype), name=f"tone.{fmt.lower()}")
    assert (clip.container, clip.subtype, clip.bit_depth) == (fmt, subtype, bit_depth)
    assert clip.sample_rate_hz == 16_000 and clip.original_channels == 1
    assert clip.duration_s == pytest.approx(1.0, abs=0.05)
    assert peak_frequency_hz(clip.samples, sample_rate_hz=16_000) == pytest.approx(440, abs=2)
    assert per_clip.rms_dbfs(clip.samples) == pytest.approx(per_clip.rms_dbfs(x), abs=0.5)
    if fmt == "FLAC":  # lossless: the 16-bit samples themselves
        assert np.max(np.abs(clip.samples - x)) <= 2.0 ** -14


def test_load_clip_reads_a_path_and_names_the_clip_after_the_file(tmp_path):
    path = tmp_path / "dog_bark.wav"
    path.write_bytes(wav_bytes(sine(duration_s=0.1)))
    clip = decoding.load_clip(path, label="dog", group="take1")
    assert (clip.name, clip.label, clip.group) == ("dog_bark.wav", "dog", "take1")
    assert decoding.load_clip(str(path), name="renamed.wav").name == "renamed.wav"


# ---------------------------------------------------------------- downmix

def test_stereo_is_averaged_to_mono_and_keeps_original_channels():
    left, right = sine(440, duration_s=0.5, amplitude=0.4), sine(1000, duration_s=0.5, amplitude=0.2)
    clip = make_clip(np.stack([left, right], axis=1))
    assert clip.original_channels == 2 and clip.samples.ndim == 1
    np.testing.assert_allclose(clip.samples, (left + right) / 2, atol=1e-7)


def test_opposite_phase_stereo_cancels_in_the_mono_downmix():
    x = sine(duration_s=0.5)
    clip = make_clip(np.stack([x, -x], axis=1))
    assert np.max(np.abs(clip.samples)) == 0.0


def test_six_channels_are_averaged_to_mono_and_flagged():
    x = sine(duration_s=0.5, amplitude=0.6)
    gains = np.array([1.0, 0.5, 0.0, -0.5, 0.25, 0.75], np.float32)  # mean gain 1/3
    clip = make_clip(x[:, None] * gains[None, :], name="surround.wav")
    assert clip.original_channels == 6 and clip.samples.shape == x.shape
    np.testing.assert_allclose(clip.samples, x * gains.mean(), atol=1e-7)
    finding = _codes(clip)["many_channels"]
    assert finding.severity == "info" and finding.message.startswith("surround.wav: 6 channels")


# ---------------------------------------------------------------- resampling

def test_resample_keeps_a_1khz_tone_at_1khz():
    x = sine(1_000, duration_s=1.0, sample_rate_hz=44_100)
    y = decoding.resample(x, orig_sample_rate_hz=44_100, target_sample_rate_hz=16_000)
    assert y.dtype == np.float32 and len(y) == 16_000
    assert peak_frequency_hz(y, sample_rate_hz=16_000) == pytest.approx(1_000, abs=1)
    assert per_clip.rms_dbfs(y[400:-400]) == pytest.approx(per_clip.rms_dbfs(x), abs=0.05)


def test_resample_removes_a_7khz_tone_above_the_new_nyquist_instead_of_aliasing_it():
    x = sine(7_000, duration_s=1.0, sample_rate_hz=44_100)
    y = decoding.resample(x, orig_sample_rate_hz=44_100, target_sample_rate_hz=8_000)
    assert len(y) == 8_000
    interior = y[200:-200]  # the first and last 25 ms ring from the tone switching on and off
    assert per_clip.rms_dbfs(interior) < per_clip.rms_dbfs(x) - 100
    # The test can tell: index-skipping folds 7 kHz to |7000 - 8000| = 1 kHz at nearly full level.
    skipped = x[np.round(np.arange(8_000) * 44_100 / 8_000).astype(int)]
    assert peak_frequency_hz(skipped, sample_rate_hz=8_000) == pytest.approx(1_000, abs=2)
    assert per_clip.rms_dbfs(skipped) > per_clip.rms_dbfs(x) - 1


def test_resample_at_the_same_rate_returns_the_input():
    x = noise()
    assert decoding.resample(x, orig_sample_rate_hz=16_000, target_sample_rate_hz=16_000) is x


def test_resample_clip_changes_the_rate_and_remembers_the_original():
    clip = make_clip(sine(duration_s=0.5, sample_rate_hz=44_100), sample_rate_hz=44_100, name="a.wav")
    out = decoding.resample_clip(clip, target_sample_rate_hz=16_000)
    assert (out.sample_rate_hz, out.original_sample_rate_hz, out.name) == (16_000, 44_100, "a.wav")
    assert len(out.samples) == 8_000 and out.duration_s == pytest.approx(0.5)
    assert decoding.resample_clip(clip, target_sample_rate_hz=44_100) is clip


# ---------------------------------------------------------------- pad_or_trim, headers, hashes

@pytest.mark.parametrize("n", [1, 999, 1_000, 1_001, 5_000])
def test_pad_or_trim_gives_exactly_the_requested_length(n):
    x = np.arange(1, 1_001, dtype=np.float32)
    out = decoding.pad_or_trim(x, length=n)
    assert len(out) == n
    kept = min(n, 1_000)
    np.testing.assert_array_equal(out[:kept], x[:kept])  # the start is kept
    assert not out[kept:].any()  # padding is zeros at the end


def test_read_info_reports_the_header_values():
    data = wav_bytes(np.zeros((1_234, 2), np.float32), sample_rate_hz=22_050, subtype="PCM_24")
    info = decoding.read_info(data, name="h.wav")
    assert (info.name, info.sample_rate_hz, info.channels, info.frames, info.subtype, info.container) == (
        "h.wav", 22_050, 2, 1_234, "PCM_24", "WAV")
    assert info.duration_s == pytest.approx(1_234 / 22_050)


def test_read_info_from_a_path_names_the_path(tmp_path):
    good, bad = tmp_path / "ok.flac", tmp_path / "bad.wav"
    good.write_bytes(wav_bytes(sine(), fmt="FLAC", sample_rate_hz=8_000))
    bad.write_bytes(b"not audio at all" * 10)
    info = decoding.read_info(good)
    assert (info.container, info.sample_rate_hz, info.frames) == ("FLAC", 8_000, 16_000)
    with pytest.raises(InvalidAudioError, match="bad.wav: not a readable audio file"):
        decoding.read_info(bad)


def test_content_hash_depends_on_the_bytes_not_the_name():
    data = wav_bytes(sine())
    a, b = decoding.load_clip(data, name="a.wav"), decoding.load_clip(data, name="copy of a.wav")
    assert a.content_hash == b.content_hash == hashlib.sha256(data).hexdigest()[:decoding.HASH_CHARS]
    assert len(a.content_hash) == 16
    assert decoding.load_clip(wav_bytes(sine() * 0.5), name="a.wav").content_hash != a.content_hash


# ---------------------------------------------------------------- bad single files

def _wav_header_only() -> bytes:
    return wav_bytes(sine())[:44]  # a complete RIFF header whose data chunk holds nothing


REFUSED = {  # name: (bytes, what the message must say: the problem and the fix)
    "empty.wav": (b"", r"file is empty \(0 bytes\); upload a WAV/FLAC/OGG/MP3"),
    "notes.wav": (b"these are my notes, not audio\n" * 20, r"not a readable audio file.*convert it to WAV or FLAC"),
    "truncated.wav": (wav_bytes(sine())[:20], r"not a readable audio file.*convert it to WAV or FLAC"),
    "header_only.wav": (_wav_header_only(), r"only 0 sample\(s\).*at least 25 ms.*re-export"),
    "one_sample.wav": (wav_bytes(np.array([0.5], np.float32)), r"only 1 sample\(s\).*at least 25 ms.*re-export"),
    "song.m4a": (b"\x00\x00\x00\x20ftypM4A " + bytes(200), r"is MP4/M4A/AAC.*cannot decode.*ffmpeg"),
    "clip.webm": (b"\x1a\x45\xdf\xa3" + bytes(200), r"is WebM/Matroska.*ffmpeg"),
    "memo.amr": (b"#!AMR\n" + bytes(200), r"is AMR.*ffmpeg"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_bad_file_raises_an_error_naming_the_file_and_the_fix(name):
    data, pattern = REFUSED[name]
    with pytest.raises(InvalidAudioError, match=pattern) as e:
        decoding.load_clip(data, name=name)
    assert str(e.value).startswith(f"{name}: ")


@pytest.mark.parametrize("name", list(REFUSED))
def test_bad_file_is_one_failure_row_and_the_rest_of_the_batch_loads(name):
    data, pattern = REFUSED[name]
    results = layout.load_batch([GOOD_BEFORE, (name, data), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, name, pattern)


def test_one_hour_clip_is_refused_from_the_header_before_decoding(monkeypatch):
    # 100 Hz keeps the file at 360 kB; the limit is on duration, whatever the rate.
    data = wav_bytes(np.zeros(3_601 * 100, np.float32), sample_rate_hz=100, subtype="PCM_U8")

    def no_decoding(*args, **kwargs):
        raise AssertionError("sf.read was called: the duration must be checked from the header first")

    monkeypatch.setattr(decoding.sf, "read", no_decoding)
    with pytest.raises(InvalidAudioError, match=r"^hour\.wav: 3601 s long; clips up to 600 s.*cut it into clips"):
        decoding.load_clip(data, name="hour.wav")
    monkeypatch.undo()
    results = layout.load_batch([GOOD_BEFORE, ("hour.wav", data), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "hour.wav", "3601 s long")


def test_clip_of_exactly_the_maximum_duration_loads():
    clip = decoding.load_clip(wav_bytes(np.zeros(600 * 100, np.float32), sample_rate_hz=100, subtype="PCM_U8"),
                              name="ten_minutes.wav")
    assert clip.duration_s == decoding.MAX_CLIP_DURATION_S


def test_nan_and_inf_samples_load_as_zeros_counted_with_an_error_finding():
    x = sine(duration_s=0.5)
    bad = [10, 20, 30, 4_000]
    x[bad] = [np.nan, np.inf, -np.inf, np.nan]
    clip = decoding.load_clip(wav_bytes(x, subtype="FLOAT"), name="nan.wav")
    assert clip.non_finite_count == 4 and np.isfinite(clip.samples).all()
    assert not clip.samples[bad].any()
    good = np.setdiff1d(np.arange(len(x)), bad)
    np.testing.assert_array_equal(clip.samples[good], x[good])  # everything else untouched
    finding = _codes(clip)["non_finite"]
    assert finding.severity == "error" and finding.files == ("nan.wav",)
    assert finding.message.startswith("nan.wav: 4 NaN/Inf samples") and "drop the file" in finding.message


def test_clean_clip_has_no_non_finite_finding():
    clip = make_clip(sine())
    assert clip.non_finite_count == 0 and "non_finite" not in _codes(clip)


def test_8_bit_wav_loads_with_a_low_bit_depth_warning():
    clip = decoding.load_clip(wav_bytes(noise(), subtype="PCM_U8"), name="old.wav")
    assert clip.bit_depth == 8
    finding = _codes(clip)["low_bit_depth"]
    assert finding.severity == "warning" and finding.message.startswith("old.wav: PCM_U8 (8-bit)")
    assert "re-export at 16 bit" in finding.message


def test_96khz_wav_loads_with_a_high_sample_rate_note():
    clip = decoding.load_clip(wav_bytes(noise(sample_rate_hz=96_000), sample_rate_hz=96_000), name="hi.wav")
    assert clip.sample_rate_hz == 96_000
    finding = _codes(clip)["high_sample_rate"]
    assert finding.severity == "info" and finding.message.startswith("hi.wav: 96000 Hz")


def test_16_bit_16khz_mono_has_none_of_the_format_findings():
    assert not {"low_bit_depth", "high_sample_rate", "many_channels"} & set(_codes(make_clip(noise(),
                                                                                            subtype="PCM_16")))


@pytest.mark.parametrize("name", ["<script>alert(1)</script>.wav", "a&b \"quoted\" <i>.wav"])
def test_html_in_file_names_is_kept_verbatim(name):
    # Escaping is the page's job; the library must neither drop nor alter the name.
    clip, failure = layout.load_batch([(name, wav_bytes(sine())), (name.replace(".wav", ".bad.wav"), b"junk")])
    assert isinstance(clip, Clip) and clip.name == name
    assert isinstance(failure, LoadFailure) and failure.message.startswith(name.replace(".wav", ".bad.wav"))


def test_load_batch_reports_progress_per_file():
    seen = []
    layout.load_batch([GOOD_BEFORE, GOOD_AFTER], progress=lambda i, name: seen.append((i, name)))
    assert seen == [(0, "before.wav"), (1, "after.wav")]


# ---------------------------------------------------------------- zips: unsafe, bombs, corrupt

@pytest.mark.parametrize("member", ["../evil.wav", "/abs/evil.wav", "data/../../evil.wav", "..\\evil.wav",
                                    "C:/evil.wav"])
def test_zip_member_escaping_the_folder_refuses_the_whole_zip_and_other_files_load(member):
    archive = zip_bytes({"data/dog/a.wav": wav_bytes(noise()), member: wav_bytes(noise(seed=2))})
    with pytest.raises(UnsafeArchiveError, match="points outside the archive folder"):
        layout.load_zip(archive, name="evil.zip")
    results = layout.load_batch([GOOD_BEFORE, ("evil.zip", archive), GOOD_AFTER])
    failure = _assert_one_failure_between_good_files(
        results, "evil.zip", r"outside the archive folder; refusing the whole archive: re-create it")
    assert member in failure.message


def test_zip_bomb_is_refused_by_its_compression_ratio():
    archive = zip_bytes({"bomb.wav": bytes(5_000_000)})  # zeros deflate ~1000:1, audio ~1-3:1
    assert len(archive) < 10_000
    results = layout.load_batch([GOOD_BEFORE, ("bomb.zip", archive), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "bomb.zip", r"expands \d+x \(limit 200x\).*zip bomb")


def test_zip_over_the_unpacked_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(layout, "MAX_ZIP_UNCOMPRESSED_BYTES", 50_000)
    archive = zip_bytes({"set/a.wav": wav_bytes(noise()), "set/b.wav": wav_bytes(noise(seed=1))})  # 2 x 32 kB
    results = layout.load_batch([GOOD_BEFORE, ("big.zip", archive), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "big.zip", r"unpacks to 64,088 bytes \(limit 50,000\).*split")


def test_zip_with_too_many_files_is_refused(monkeypatch):
    monkeypatch.setattr(layout, "MAX_ZIP_MEMBERS", 2)
    archive = zip_bytes({f"set/{i}.wav": wav_bytes(sine(duration_s=0.05)) for i in range(3)})
    with pytest.raises(UnsafeArchiveError, match=r"many\.zip: holds 3 files; at most 2"):
        layout.load_zip(archive, name="many.zip")


def _member_data_offset(archive: bytes, member: str) -> int:
    info = zipfile.ZipFile(BytesIO(archive)).getinfo(member)
    name_len, extra_len = struct.unpack("<HH", archive[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


def test_zip_with_corrupt_compressed_data_is_one_failure_row():
    archive = bytearray(zip_bytes({"set/a.wav": wav_bytes(noise())}))
    archive[_member_data_offset(bytes(archive), "set/a.wav")] = 0xFF  # deflate block type 3: invalid
    results = layout.load_batch([GOOD_BEFORE, ("corrupt.zip", bytes(archive)), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "corrupt.zip",
                                           r"not a valid zip archive \(member 'set/a.wav' cannot be unpacked")


def test_encrypted_zip_is_one_failure_row():
    archive = bytearray(zip_bytes({"set/a.wav": wav_bytes(noise())}))
    archive[archive.rfind(b"PK\x01\x02") + 8] |= 0x01  # central directory: "encrypted" flag
    results = layout.load_batch([GOOD_BEFORE, ("locked.zip", bytes(archive)), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "locked.zip", r"not a valid zip archive.*encrypted")


def test_file_named_zip_that_is_not_a_zip_is_one_failure_row():
    results = layout.load_batch([GOOD_BEFORE, ("data.zip", b"no zip here"), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "data.zip", r"not a valid zip archive.*re-create it")


def test_zip_without_audio_is_one_failure_row():
    results = layout.load_batch([GOOD_BEFORE, ("docs.zip", zip_bytes({"readme.txt": b"hi"})), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "docs.zip", r"holds no audio files.*one sub-folder per class")


# ---------------------------------------------------------------- zips and folders: labels, groups, names

def _dataset_members() -> dict[str, bytes]:
    return {
        "root/dog/a.wav": wav_bytes(noise(seed=1)),
        "root/dog/b.wav": wav_bytes(noise(seed=2)),
        "root/cat/c.wav": wav_bytes(sine(660)),
        "root/cat/d.flac": wav_bytes(sine(880), fmt="FLAC"),
        "root/cat/broken.wav": b"not audio",
        "root/notes.txt": b"not a clip",
        "root/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "root/dog/._a.wav": b"AppleDouble junk",
        "__MACOSX/root/dog/._b.wav": b"AppleDouble junk",
    }


def test_zip_of_class_folders_labels_clips_by_folder_and_skips_hidden_files():
    results = layout.load_zip(zip_bytes(_dataset_members()), name="pets.zip")
    rows = [(r.name, r.label if isinstance(r, Clip) else "FAILED") for r in results]
    assert rows == [("cat/broken.wav", "FAILED"), ("cat/c.wav", "cat"), ("cat/d.flac", "cat"),
                    ("dog/a.wav", "dog"), ("dog/b.wav", "dog")]
    assert results[0].message.startswith("cat/broken.wav: not a readable audio file")


def test_groups_csv_inside_the_zip_assigns_groups_and_can_override_labels():
    members = _dataset_members()
    members["root/groups.csv"] = ("\ufeffpath,label,group\ndog/a.wav,,spk1\ndog/b.wav,wolf,spk2\n"
                                  "cat/c.wav,,spk1\n").encode()  # with the BOM Excel writes
    clips = list(layout.iter_clips(layout.load_zip(zip_bytes(members))))
    assert [(c.name, c.label, c.group) for c in clips] == [
        ("cat/c.wav", "cat", "spk1"), ("cat/d.flac", "cat", None),
        ("dog/a.wav", "dog", "spk1"), ("dog/b.wav", "wolf", "spk2")]


def test_groups_csv_that_is_not_utf8_is_one_failure_row_naming_the_fix():
    members = {"set/dog/a.wav": wav_bytes(noise()), "set/groups.csv": "path,group\ndog/a.wav,José\n".encode("cp1252")}
    results = layout.load_batch([GOOD_BEFORE, ("latin.zip", zip_bytes(members)), GOOD_AFTER])
    _assert_one_failure_between_good_files(results, "latin.zip", r"set/groups.csv is not UTF-8.*CSV UTF-8")


def test_zip_without_a_common_top_folder_labels_by_first_folder():
    clips = layout.load_zip(zip_bytes({"dog/a.wav": wav_bytes(noise()), "cat/b.wav": wav_bytes(sine()),
                                       "loose.wav": wav_bytes(sine(880))}))
    assert [(c.name, c.label) for c in clips] == [("cat/b.wav", "cat"), ("dog/a.wav", "dog"), ("loose.wav", None)]


def test_zip_inside_an_upload_batch_expands_next_to_single_files():
    archive = zip_bytes({"set/dog/a.wav": wav_bytes(noise()), "set/cat/b.wav": wav_bytes(sine())})
    results = layout.load_batch([GOOD_BEFORE, ("set.zip", archive), GOOD_AFTER])
    assert [(r.name, r.label) for r in results] == [("before.wav", None), ("cat/b.wav", "cat"),
                                                   ("dog/a.wav", "dog"), ("after.wav", None)]


def test_load_folder_gives_the_same_labels_groups_and_failures_as_the_zip(tmp_path):
    members = _dataset_members()
    members["root/groups.csv"] = b"path,group\ndog/a.wav,spk1\n"
    for rel, data in members.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)

    def rows(results):
        return [(r.name, type(r).__name__, getattr(r, "label", None), getattr(r, "group", None)) for r in results]

    assert rows(layout.load_folder(tmp_path / "root")) == rows(layout.load_zip(zip_bytes(members)))
    with pytest.raises(InvalidAudioError, match="is not a folder"):
        layout.load_folder(tmp_path / "root" / "dog" / "a.wav")


def test_duplicate_names_get_unique_suffixes_failures_included():
    results = layout.load_batch([("a.wav", wav_bytes(sine())), ("a.wav", wav_bytes(noise())),
                                 ("a.wav", b"broken"), ("b.wav", wav_bytes(sine()))])
    assert [r.name for r in results] == ["a.wav", "a.wav (2)", "a.wav (3)", "b.wav"]
    assert isinstance(results[2], LoadFailure)


def test_unique_names_never_reuses_a_name_already_in_the_batch():
    results = [LoadFailure(n, "x") for n in ["a.wav (2)", "a.wav", "a.wav", "a.wav"]]
    names = [r.name for r in layout.unique_names(results)]
    assert names == ["a.wav (2)", "a.wav", "a.wav (3)", "a.wav (4)"]
    assert len(set(names)) == len(names)


def test_iter_clips_skips_failures():
    results = layout.load_batch([GOOD_BEFORE, ("bad.wav", b""), GOOD_AFTER])
    assert [c.name for c in layout.iter_clips(results)] == ["before.wav", "after.wav"]


def test_written_wav_round_trips_through_soundfile_unchanged():
    """Guards the fixture itself: wav_bytes must write what it is given."""
    x = noise(duration_s=0.1)
    y, rate = sf.read(BytesIO(wav_bytes(x, subtype="FLOAT")), dtype="float32")
    assert rate == 16_000
    np.testing.assert_array_equal(x, y)


def test_loose_files_with_a_labels_csv_get_labels_and_groups_by_name_or_file_name():
    table = b"path,label,group\ndogs/bark.wav,dog,s1\nmeow.wav,cat,s2\n"
    results = layout.load_batch([("bark.wav", wav_bytes(sine())), ("meow.wav", wav_bytes(noise())),
                                 ("other.wav", wav_bytes(sine(220))), ("labels.csv", table)])
    by_name = {r.name: (r.label, r.group) for r in results}
    assert by_name == {"bark.wav": ("dog", "s1"), "meow.wav": ("cat", "s2"), "other.wav": (None, None)}


def test_a_labels_csv_without_a_path_column_is_an_error_row_and_the_clips_stay():
    results = layout.load_batch([("a.wav", wav_bytes(sine())), ("labels.csv", b"name,label\na.wav,x\n")])
    clip, failure = results
    assert clip.name == "a.wav" and clip.label is None
    assert isinstance(failure, LoadFailure) and "path,label" in failure.message and "labels.csv" in failure.message


def test_as_the_model_sees_it_resamples_pads_and_cuts_with_known_shares():
    half = make_clip(sine(440, duration_s=0.5, sample_rate_hz=8_000), sample_rate_hz=8_000)
    seen = decoding.as_model_sees_it(half, sample_rate_hz=16_000, length_s=1.0)
    assert seen.resampled and seen.clip.sample_rate_hz == 16_000 and len(seen.clip.samples) == 16_000
    assert seen.padding_fraction == pytest.approx(0.5) and seen.cut_s == 0.0
    long = make_clip(sine(440, duration_s=2.0))
    cut = decoding.as_model_sees_it(long, sample_rate_hz=16_000, length_s=1.5)
    assert not cut.resampled and cut.padding_fraction == 0.0 and cut.cut_s == pytest.approx(0.5)
    same = decoding.as_model_sees_it(long, sample_rate_hz=16_000)  # no length: nothing padded or cut
    assert len(same.clip.samples) == 32_000 and same.padding_fraction == same.cut_s == 0.0


def test_hugging_face_metadata_csv_with_file_name_and_speaker_id_gives_groups(tmp_path):
    for i, label in enumerate("aabb"):
        (tmp_path / f"{i}.wav").write_bytes(wav_bytes(sine(300 + 100 * i, duration_s=0.2)))
    (tmp_path / "metadata.csv").write_text("file_name,label,speaker_id\n0.wav,a,s1\n1.wav,a,s2\n2.wav,b,s1\n3.wav,b,s2\n")
    clips = list(layout.iter_clips(layout.load_folder(tmp_path)))
    assert [(c.name, c.label, c.group) for c in clips] == [("0.wav", "a", "s1"), ("1.wav", "a", "s2"),
                                                          ("2.wav", "b", "s1"), ("3.wav", "b", "s2")]
    assert tables.table_group_column((tmp_path / "metadata.csv").read_bytes()) == (
        ["file_name", "label", "speaker_id"], "speaker_id")


# ---------------------------------------------------------------- as the model sees it: known answers

def test_as_model_sees_it_pads_a_1s_clip_to_2s_half_padding():
    seen = decoding.as_model_sees_it(make_clip(sine(duration_s=1.0)), sample_rate_hz=16_000, length_s=2.0)
    assert seen.padding_fraction == pytest.approx(0.5)
    assert seen.cut_s == 0.0 and not seen.resampled
    assert len(seen.clip.samples) == 32_000 and not seen.clip.samples[16_000:].any()  # padding is zeros at the end


def test_as_model_sees_it_cuts_a_3s_clip_to_2s_one_second_cut():
    seen = decoding.as_model_sees_it(make_clip(sine(duration_s=3.0)), sample_rate_hz=16_000, length_s=2.0)
    assert seen.cut_s == pytest.approx(1.0)
    assert seen.padding_fraction == 0.0
    assert seen.clip.duration_s == pytest.approx(2.0)


def test_as_model_sees_it_resamples_8khz_to_16khz_doubling_the_length():
    clip = make_clip(sine(duration_s=1.0, sample_rate_hz=8_000), sample_rate_hz=8_000)
    seen = decoding.as_model_sees_it(clip, sample_rate_hz=16_000)
    assert seen.resampled
    assert seen.clip.sample_rate_hz == 16_000 and len(seen.clip.samples) == 2 * len(clip.samples)
    assert (seen.padding_fraction, seen.cut_s) == (0.0, 0.0)  # no length set: neither padded nor cut


def test_as_model_sees_it_resamples_before_padding():
    half_second_8k = make_clip(sine(duration_s=0.5, sample_rate_hz=8_000), sample_rate_hz=8_000)
    seen = decoding.as_model_sees_it(half_second_8k, sample_rate_hz=16_000, length_s=1.0)  # the docstring's example
    assert seen.resampled and len(seen.clip.samples) == 16_000
    assert seen.padding_fraction == pytest.approx(0.5)
