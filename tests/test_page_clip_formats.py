"""AppTest: the Inspect page's clip table gives every clip's format (container, encoding, bits, channels, rate),
and the sidebar names the uploaded labels table's columns that nothing reads."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.data import decoding
from audiodiag.measure import per_clip
from pages import _display
from tests.helpers import noise, sine, wav_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 240


STEREO_96K = np.stack([noise(sample_rate_hz=96_000, duration_s=0.5)] * 2, axis=1)


def test_a_24_bit_stereo_96_khz_clip_has_its_format_facts_in_the_clip_table():
    clip = decoding.load_clip(wav_bytes(STEREO_96K, sample_rate_hz=96_000, subtype="PCM_24"), name="hi_res.wav")
    row = _display.stats_table((per_clip.clip_stats(clip, loudness=False),), {}).set_index("file").loc["hi_res.wav"]
    assert row[["container", "encoding", "bits", "channels", "rate (Hz)"]].tolist() == ["WAV", "PCM_24", 24, 2, 96_000]


@pytest.mark.slow  # an AppTest with uploads (~8 s); the fast lane has the table's row above
def test_clip_table_has_the_format_facts_and_the_sidebar_names_unused_columns():
    stereo_96k = STEREO_96K
    files = [("hi_res.wav", wav_bytes(stereo_96k, sample_rate_hz=96_000, subtype="PCM_24"), "audio/wav"),
             ("tone.wav", wav_bytes(sine(duration_s=0.5)), "audio/wav"),
             ("labels.csv", b"path,label,speaker,mic_gain,take\nhi_res.wav,hiss,ann,3,1\ntone.wav,tone,bob,2,0\n",
              "text/csv")]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.sidebar.caption]
    assert any("columns not used: mic\\_gain, take" in c for c in captions), captions
    table = at.dataframe[0].value.set_index("file")
    assert table.loc["hi_res.wav", ["container", "encoding", "bits", "channels", "rate (Hz)"]].tolist() == [
        "WAV", "PCM_24", 24, 2, 96_000]
    assert table.loc["tone.wav", ["encoding", "bits", "channels"]].tolist() == ["PCM_16", 16, 1]
