"""Every bad-input case: a clear per-file error (or warning) naming the problem and the fix, and the rest of
the batch still loads."""
from __future__ import annotations

import numpy as np
import pytest

from audiodiag.data import decoding, layout
from audiodiag.errors import InvalidAudioError
from audiodiag.measure import per_clip
from audiodiag.types import Clip, LoadFailure
from tests.helpers import noise, sine, wav_bytes, zip_bytes

GOOD = ("good.wav", wav_bytes(noise()))

REFUSED = {
    "empty.wav": (b"", "empty"),
    "text.wav": (b"hello, this is not audio" * 20, "not a readable audio file"),
    "truncated.wav": (wav_bytes(sine())[:20], "not a readable audio file"),
    "one_sample.wav": (wav_bytes(np.array([0.5], np.float32)), r"1 sample\(s\).*at least 25 ms"),
    "song.m4a": (b"\x00\x00\x00\x20ftypM4A " + bytes(200), "MP4/M4A.*ffmpeg"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_file_raises_named_error(name):
    data, pattern = REFUSED[name]
    with pytest.raises(InvalidAudioError, match=pattern) as e:
        decoding.load_clip(data, name=name)
    assert str(e.value).startswith(name)


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_file_is_one_error_row_and_the_batch_goes_on(name):
    results = layout.load_batch([(name, REFUSED[name][0]), GOOD])
    assert isinstance(results[0], LoadFailure) and results[0].name == name
    assert isinstance(results[1], Clip) and results[1].name == "good.wav"


def test_one_hour_clip_is_refused_from_the_header_without_decoding():
    data = wav_bytes(np.zeros(3_601 * 8_000, np.int16), sample_rate_hz=8_000, subtype="PCM_U8")
    with pytest.raises(InvalidAudioError, match=r"3601 s long.*up to 600 s.*cut it"):
        decoding.load_clip(data, name="hour.wav")


def test_nan_inf_samples_load_as_finite_with_an_error_finding():
    x = sine()
    x[[10, 20, 30]] = [np.nan, np.inf, -np.inf]
    clip = decoding.load_clip(wav_bytes(x, subtype="FLOAT"), name="nan.wav")
    assert clip.non_finite_count == 3 and np.isfinite(clip.samples).all()
    finding = [f for f in per_clip.clip_findings(per_clip.clip_stats(clip)) if f.code == "non_finite"]
    assert finding and finding[0].severity == "error" and "3 NaN/Inf" in finding[0].message


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"channels": 6}, "many_channels"),
    ({"subtype": "PCM_U8"}, "low_bit_depth"),
    ({"sample_rate_hz": 96_000}, "high_sample_rate"),
])
def test_unusual_but_valid_files_load_with_a_warning(kwargs, code):
    rate = kwargs.get("sample_rate_hz", 16_000)
    x = noise(sample_rate_hz=rate)
    if "channels" in kwargs:
        x = np.tile(x[:, None], (1, kwargs["channels"]))
    clip = decoding.load_clip(wav_bytes(x, sample_rate_hz=rate, subtype=kwargs.get("subtype", "PCM_16")),
                              name="odd.wav")
    assert clip.original_channels == kwargs.get("channels", 1) and clip.samples.ndim == 1
    assert code in {f.code for f in per_clip.clip_findings(per_clip.clip_stats(clip))}


@pytest.mark.parametrize("member", ["../evil.wav", "/abs/evil.wav", "data/../../evil.wav"])
def test_zip_with_escaping_path_is_refused_whole_and_other_files_load(member):
    archive = zip_bytes({"data/dog/a.wav": wav_bytes(noise()), member: wav_bytes(noise())})
    results = layout.load_batch([("evil.zip", archive), GOOD])
    assert isinstance(results[0], LoadFailure) and "outside the archive" in results[0].message
    assert isinstance(results[1], Clip)


def test_zip_bomb_is_refused_by_compression_ratio():
    archive = zip_bytes({"bomb.wav": bytes(50_000_000)})  # 50 MB of zeros -> ~50 kB
    results = layout.load_batch([("bomb.zip", archive), GOOD])
    assert isinstance(results[0], LoadFailure) and "zip bomb" in results[0].message
    assert isinstance(results[1], Clip)


def test_zip_over_the_unpacked_size_cap_is_refused(monkeypatch):
    monkeypatch.setattr(layout, "MAX_ZIP_UNCOMPRESSED_BYTES", 10_000)
    archive = zip_bytes({"a/x.wav": wav_bytes(noise()), "a/y.wav": wav_bytes(noise(seed=1))})
    results = layout.load_batch([("big.zip", archive)])
    assert isinstance(results[0], LoadFailure) and "unpacks to" in results[0].message


def test_zip_of_class_folders_gives_labels_and_groups():
    archive = zip_bytes({
        "set/dog/a.wav": wav_bytes(noise()), "set/cat/b.wav": wav_bytes(sine()),
        "set/groups.csv": b"path,label,group\ndog/a.wav,dog,spk1\n", "__MACOSX/set/._a.wav": b"junk",
    })
    clips = layout.load_zip(archive)
    assert [(c.name, c.label, c.group) for c in clips] == [("cat/b.wav", "cat", None), ("dog/a.wav", "dog", "spk1")]


def test_html_file_names_are_kept_verbatim():
    clip = layout.load_batch([("<script>alert(1)</script>.wav", wav_bytes(sine()))])[0]
    assert isinstance(clip, Clip) and clip.name == "<script>alert(1)</script>.wav"


def test_duplicate_names_in_one_batch_get_unique_suffixes():
    results = layout.load_batch([("a.wav", wav_bytes(sine())), ("a.wav", wav_bytes(noise()))])
    assert [r.name for r in results] == ["a.wav", "a.wav (2)"]


def test_the_cli_exits_2_for_the_users_move_and_1_for_a_bug_in_a_claim_rule(monkeypatch, capsys):
    from audiodiag import cli, errors
    from audiodiag.cli import commands

    for raised, status in ((errors.BadParameterError("n_boot=0"), 2), (errors.BadDataError("no audio"), 2),
                           (errors.MissingDependencyError("pip install x"), 2),
                           (errors.ConsistencyError("contradicting claims"), 1)):
        def fail(args, raised=raised):
            raise raised

        monkeypatch.setattr(commands, "models", fail)  # the `models` verb's handler, looked up when the parser is built
        assert cli.main(["models"]) == status
        said = capsys.readouterr().err
        assert str(raised) in said and (("internal error" in said) == (status == 1))
