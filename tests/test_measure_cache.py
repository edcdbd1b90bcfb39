"""The on-disk measurement cache: what it reads back is what `dataset.measure` computes, and it is never read for
other clips, other settings or other code. Also: Inspect draws its first waveform without the heavy imports."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audiodiag.measure import cache, dataset
from audiodiag.types import Clip
from tests.helpers import noise, sine

ROOT = Path(__file__).resolve().parent.parent


def _clips() -> list[Clip]:
    """A tone, noise, digital silence (no loudness, no SNR: None fields) and an 8-kHz stereo downmix."""
    return [Clip("tone.wav", sine(440.0), 16_000, 16_000, 1, subtype="PCM_16", label="a", group="s1"),
            Clip("noise.wav", noise(seed=3), 16_000, 44_100, 1, label="b", group="s2"),
            Clip("silence.wav", np.zeros(8_000, np.float32), 16_000, 16_000, 1),
            Clip("stereo.wav", sine(300.0, sample_rate_hz=8_000), 8_000, 8_000, 2, container="FLAC")]


def _rows(measured) -> list[tuple]:
    stats, speech = measured
    return [(dataclasses.astuple(s), tuple(r)) for s, r in zip(stats, speech)]


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    """dataset.measure, counting the clips it is asked to measure."""
    calls: list[int] = []
    measure = dataset.measure
    monkeypatch.setattr(dataset, "measure", lambda clips, **kw: calls.append(len(clips)) or measure(clips, **kw))
    return calls


@pytest.mark.parametrize("loudness", [True, False])
def test_read_back_equals_a_fresh_measurement_field_by_field(tmp_path, loudness):
    clips = _clips()
    stored = cache.cached_measure(clips, loudness=loudness, cache_dir=tmp_path)
    read = cache.cached_measure(clips, loudness=loudness, cache_dir=tmp_path)
    fresh = dataset.measure(clips, loudness=loudness)
    np.testing.assert_equal(_rows(read), _rows(fresh))  # NaN equals NaN here; floats exactly
    np.testing.assert_equal(_rows(stored), _rows(fresh))
    assert len(list((tmp_path / cache.CACHE_SUBDIR).glob("*.json"))) == len(clips)


def test_only_clips_not_on_disk_are_measured(tmp_path, counted):
    clips = _clips()
    cache.cached_measure(clips[:2], cache_dir=tmp_path)
    cache.cached_measure(clips, cache_dir=tmp_path)
    cache.cached_measure(clips, cache_dir=tmp_path)
    assert counted == [2, 2]  # the two new ones, in one call; then nothing


def test_other_metadata_loudness_or_code_is_a_miss(tmp_path, counted, monkeypatch):
    tone = _clips()[0]
    cache.cached_measure([tone], cache_dir=tmp_path)
    renamed = dataclasses.replace(tone, name="other.wav")  # same samples: the row names the file, so measure again
    (stats,), _ = cache.cached_measure([renamed], cache_dir=tmp_path)
    assert stats.name == "other.wav"
    cache.cached_measure([tone], loudness=False, cache_dir=tmp_path)
    monkeypatch.setattr(cache, "measurement_version", lambda: "edited code")
    cache.cached_measure([tone], cache_dir=tmp_path)
    assert counted == [1, 1, 1, 1]


def test_a_damaged_entry_is_measured_again(tmp_path, counted):
    tone = _clips()[0]
    expected = cache.cached_measure([tone], cache_dir=tmp_path)
    (entry,) = (tmp_path / cache.CACHE_SUBDIR).glob("*.json")
    entry.write_text('{"stats": {"name": "tone.wav"')  # cut short
    again = cache.cached_measure([tone], cache_dir=tmp_path)
    np.testing.assert_equal(_rows(again), _rows(expected))
    assert counted == [1, 1]


def test_cache_dir_defaults_to_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDIODIAG_CACHE_DIR", str(tmp_path))
    assert cache.measurement_cache_dir() == tmp_path / cache.CACHE_SUBDIR


def test_inspect_draws_its_first_waveform_before_pandas_vad_and_scipy_are_imported(private_cache):
    """The first chart of the Inspect page (the waveform, before its speech shading) needs none of the slow
    imports: pandas, onnxruntime (VAD), scipy, librosa, torch. The page is stopped at that chart."""
    code = """
import sys
import types
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.elements.plotly_chart import PlotlyMixin

heavy = ("pandas", "onnxruntime", "scipy", "librosa", "torch", "sklearn", "umap", "transformers")
draw = PlotlyMixin.plotly_chart
def first_chart(self, figure, *args, **kwargs):
    if not figure.layout.title.text and not figure.data:  # the blank frame holding its place (hold_chart_place)
        return draw(self, figure, *args, **kwargs)
    assert figure.layout.title.text == "Waveform", figure.layout.title.text
    print("imported:", [m for m in heavy if m in sys.modules])
    draw(self, figure, *args, **kwargs)
    st.stop()
PlotlyMixin.plotly_chart = first_chart
st.plotly_chart = types.MethodType(first_chart, st._main)  # `st.plotly_chart` was bound before the patch
at = AppTest.from_file("app.py", default_timeout=120)
at.run()
assert not at.exception, [e.value for e in at.exception]
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "imported: []" in run.stdout, run.stdout
