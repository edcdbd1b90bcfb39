"""AppTest: every bad-input case of tests/test_bad_input.py, uploaded through the Inspect page's sidebar.

The page must never crash: each refused file is one row of the failure table with the library's own message,
unusual-but-valid files load with their warnings, and the good files in the same upload are analysed.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.data import decoding, layout
from audiodiag.measure import per_clip
from audiodiag.types import LoadFailure
from pages._display import md_escape
from tests.helpers import noise, sine, wav_bytes, zip_bytes
from tests.test_bad_input import GOOD, REFUSED

pytestmark = pytest.mark.slow  # the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 240
ZIP_CAP_BYTES = 200_000  # patched MAX_ZIP_UNCOMPRESSED_BYTES: the labelled zip below fits, OVER_CAP does not
OVER_CAP = ("over_the_cap.zip", zip_bytes({f"a/{i}.wav": wav_bytes(noise(seed=i)) for i in range(8)}))  # 8 x 32 kB

# name -> (bytes, pattern the failure message must match); on top of test_bad_input.REFUSED
REFUSED_ARCHIVES_AND_LONG = {
    "hour.wav": (wav_bytes(np.zeros(3_601 * 8_000, np.int16), sample_rate_hz=8_000, subtype="PCM_U8"),
                 r"3601 s long.*up to 600 s.*cut it"),
    "escape_parent.zip": (zip_bytes({"data/dog/a.wav": GOOD[1], "../evil.wav": GOOD[1]}), "outside the archive"),
    "escape_absolute.zip": (zip_bytes({"data/dog/a.wav": GOOD[1], "/abs/evil.wav": GOOD[1]}), "outside the archive"),
    "escape_nested.zip": (zip_bytes({"data/dog/a.wav": GOOD[1], "data/../../evil.wav": GOOD[1]}),
                          "outside the archive"),
    "bomb.zip": (zip_bytes({"bomb.wav": bytes(50_000_000)}), "zip bomb"),
    OVER_CAP[0]: (OVER_CAP[1], "unpacks to"),
}


@pytest.fixture(autouse=True)
def _small_zip_cap(monkeypatch, private_cache):
    monkeypatch.setattr(layout, "MAX_ZIP_UNCOMPRESSED_BYTES", ZIP_CAP_BYTES)  # the page runs in this process


def _upload(files: list[tuple[str, bytes]]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([(n, d, "application/octet-stream") for n, d in files]).run()
    assert not at.exception, [e.value for e in at.exception]  # never a traceback on the page
    return at


def _texts(at: AppTest, *kinds: str) -> str:
    return "\n".join(e.value for kind in kinds for e in at.get(kind))


def test_every_refused_file_is_one_failure_row_with_the_library_message_and_the_good_file_loads():
    # the uploader itself only accepts io.UPLOAD_EXTENSIONS (song.m4a never reaches the page's code)
    uploadable = {n: v for n, v in REFUSED.items() if n.rsplit(".", 1)[-1] in layout.UPLOAD_EXTENSIONS}
    cases = {**uploadable, **REFUSED_ARCHIVES_AND_LONG}
    at = _upload([*((n, data) for n, (data, _) in cases.items()), GOOD])
    assert any(f"{len(cases)} file(s) could not be loaded" in e for e in _texts(at, "error").splitlines())
    failures = dict(zip(at.dataframe[0].value["file"], at.dataframe[0].value["problem"]))
    assert set(failures) == set(cases)
    for name, (data, pattern) in cases.items():
        [expected] = layout.load_batch([(name, data)])
        assert isinstance(expected, LoadFailure) and failures[name] == expected.message  # the library's words
        assert re.search(pattern, failures[name]), (name, failures[name])
    clips = at.dataframe[1].value
    assert list(clips["file"]) == [GOOD[0]]  # the good file is analysed; nothing from a refused archive leaked in


def test_unusual_files_load_with_their_findings_and_zip_folders_give_labels_and_groups():
    nan = sine()
    nan[[10, 20, 30]] = [np.nan, np.inf, -np.inf]
    unusual = {  # name -> (bytes, the finding code the library gives it, the box the page must show it in)
        "nan.wav": (wav_bytes(nan, subtype="FLOAT"), "non_finite", "error"),
        "six_channels.wav": (wav_bytes(np.tile(noise()[:, None], (1, 6))), "many_channels", "info"),
        "eight_bit.wav": (wav_bytes(noise(), subtype="PCM_U8"), "low_bit_depth", "warning"),
        "rate_96k.wav": (wav_bytes(noise(sample_rate_hz=96_000), sample_rate_hz=96_000), "high_sample_rate", "info"),
    }
    labelled = zip_bytes({"set/dog/a.wav": wav_bytes(noise()), "set/cat/b.wav": wav_bytes(sine()),
                          "set/groups.csv": b"path,label,group\ndog/a.wav,dog,spk1\n", "__MACOSX/set/._a.wav": b"junk"})
    at = _upload([*((n, data) for n, (data, _, _) in unusual.items()), ("labelled.zip", labelled)])
    assert not at.get("error") or "could not be loaded" not in _texts(at, "error")  # nothing refused
    table = at.dataframe[0].value.set_index("file")
    assert sorted(table.index) == sorted([*unusual, "dog/a.wav", "cat/b.wav"])
    assert (table.loc["nan.wav", "non-finite samples"], table.loc["six_channels.wav", "channels"],
            table.loc["eight_bit.wav", "bits"], table.loc["rate_96k.wav", "rate (Hz)"]) == (3, 6, 8, 96_000)
    assert table.loc["dog/a.wav", ["label", "group"]].tolist() == ["dog", "spk1"]
    assert table.loc["cat/b.wav", "label"] == "cat"
    for name, (data, code, box) in unusual.items():
        findings = per_clip.clip_findings(per_clip.clip_stats(decoding.load_clip(data, name=name)))
        [message] = [f.message for f in findings if f.code == code]
        assert md_escape(message) in _texts(at, box), (name, code, box)  # the library's finding, escaped
        assert table.loc[name, "warnings"] >= 1


def test_two_uploads_with_the_same_name_are_both_kept():
    at = _upload([("a.wav", wav_bytes(sine())), ("a.wav", wav_bytes(noise()))])
    assert list(at.dataframe[0].value["file"]) == ["a.wav", "a.wav (2)"]
