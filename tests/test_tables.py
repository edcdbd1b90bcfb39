"""Tables that read at a glance (issue 29): numbers at their unit's precision, columns as wide as the longest text
they hold (not only the first rows'), long text wrapped, a table that fits the page, and "none" for a band edge
that is not there. The browser check of the same (at 1400 px) is tests/test_browser_layout.py."""
from __future__ import annotations

import pandas as pd
import pytest

from audiodiag.measure import per_clip
from pages import _display as display
from pages import _tables as tables


def _stats(name: str, **fields) -> per_clip.ClipStats:
    """A clean 1-s, 44.1 kHz clip's measurements, with `fields` set."""
    clean = dict(label="bell", group="bell_src0", sample_rate_hz=44_100, channels=1, bit_depth=16, subtype="PCM_16",
                 duration_s=1.0404, peak_dbfs=-12.0295, rms_dbfs=-23.4485, clipping_fraction=0.0, dc_offset=-5e-5,
                 silence_ratio=0.0556, leading_silence_s=0.0, trailing_silence_s=0.0,
                 effective_bandwidth_hz=10314.4043, band_limit_hz=22_050.0, band_edge_drop_db=0.0,
                 speech_fraction=0.0, non_finite_samples=0, loudness_lufs=-23.0)
    return per_clip.ClipStats(name=name, **{**clean, **fields})


def test_numbers_take_their_units_precision():
    assert [tables.unit_format(h) for h in ("rate (Hz)", "peak (dBFS)", "SNR (dB)", "loudness (LUFS)",
                                            "duration (s)", "model size (MB)", "warnings")] == [
        "%.0f", "%.1f", "%.1f", "%.1f", "%.2f", "%.1f", None]
    table = display.stats_table((_stats("a.wav"),), {})
    config = tables.table_layout(display.shown_stats(table), formats=display.STATS_FORMATS,
                                 order=display.stats_order(table), fit_px=10_000).column_config
    formats = {name: (c.get("type_config") or {}).get("format") for name, c in config.items()}
    assert formats["99% bandwidth (Hz)"] == "%.0f" and formats["peak (dBFS)"] == "%.1f"
    assert formats["duration (s)"] == "%.2f" and formats["speech"] == tables.PERCENT
    assert tables.shown(10314.4043, "%.0f", placeholder="—") == "10314"  # as the grid prints it
    assert tables.shown(float("nan"), "%.1f", placeholder="—") == "—"


def test_a_clip_without_a_band_edge_reads_none_and_the_csv_keeps_the_number():
    flat, edged = _stats("flat.wav"), _stats("mp3.wav", band_limit_hz=16_012.7, band_edge_drop_db=61.37)
    table = display.stats_table((flat, edged), {})
    shown = display.shown_stats(table)
    assert list(shown["band limit (Hz)"]) == [display.NO_BAND_EDGE, "16013"]
    assert list(shown["drop at the band edge (dB)"]) == [display.NO_BAND_EDGE, "61.4"]
    assert list(table["band limit (Hz)"]) == [22_050.0, 16_012.7]  # what the CSV download writes
    one = display.clip_measurements(flat, ())["value"]
    assert one["band limit (Hz)"] == "none" and one["drop at the band edge (dB)"] == "none"
    assert one["99% bandwidth (Hz)"] == "10314" and one["peak (dBFS)"] == "-12.0"  # never "10314.4043"


def test_a_long_name_past_the_first_rows_still_gets_a_column_wide_enough():
    names = [f"{i}.wav" for i in range(50)] + ["speaker_0042/session_03/a_much_longer_file_name.wav"]
    layout = tables.table_layout(pd.DataFrame({"file": names, "n": range(51)}))
    need = tables.text_px(names[-1]) + tables.CELL_PADDING_PX
    assert need <= layout.column_config["file"]["width"] <= need + 2 * tables.SLACK_PX


def test_text_measures_as_the_browser_draws_it():
    # canvas measureText of Chromium, 400 14px "Source Sans" (Streamlit's grid font), measured once
    for text, browser_px in (("bell/bell_10.wav", 96.16), ("balanced accuracy [95% CI]", 159.44),
                             ("1.000 [0.940, 1.000]", 111.52)):
        if tables._font() is None:
            pytest.skip("Streamlit's bundled Source Sans is not found: widths are estimated")
        assert browser_px - 0.5 <= tables.text_px(text) <= browser_px * 1.03


def test_long_text_wraps_in_taller_rows_and_the_columns_that_do_not_fit_are_hidden_in_order():
    reason = "mostly_silent: footsteps/footsteps_4.wav: 78% of 25 ms frames are silent " * 3
    frame = pd.DataFrame({"path": ["footsteps/footsteps_4.wav"], "reasons": [reason], "extra": ["x" * 200]})
    layout = tables.table_layout(frame, wrap=("reasons",), fit_px=600)
    width = layout.column_config["reasons"]["width"]
    assert tables.WRAP_MIN_PX <= width < tables.text_px(reason)
    lines = tables.wrapped_lines(reason, width_px=width - tables.CELL_PADDING_PX - tables.SLACK_PX)
    assert lines > 1 and layout.row_height == max(tables.row_height_px(lines), tables.WRAP_ABOVE_ROW_PX + 1)
    assert layout.hidden == ("extra",) and layout.column_config["extra"]["hidden"] is True
    shown = [n for n, c in layout.column_config.items() if not c.get("hidden")]
    assert sum(layout.column_config[n]["width"] for n in shown) <= 600


def test_the_first_column_is_always_shown_and_columns_after_the_first_misfit_are_hidden():
    frame = pd.DataFrame({"a": ["x" * 80], "b": ["y"], "c": ["z" * 80], "d": ["w"]})
    wide = tables.table_layout(frame, fit_px=10_000).column_config
    assert tables.table_layout(frame, fit_px=10).hidden == ("b", "c", "d")  # "a" is shown however narrow
    room = wide["a"]["width"] + wide["b"]["width"] + wide["d"]["width"]  # "d" would fit without "c" ...
    assert tables.table_layout(frame, fit_px=room).hidden == ("c", "d")  # ... but the order is the priority
    assert tables.columns_px(2) == (tables.MAIN_WIDTH_PX - tables.COLUMN_GAP_PX) // 2
