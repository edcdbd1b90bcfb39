"""Inspect: see every clip, measure it, and get warnings about data that does not fit the target model."""
import streamlit as st

from pages import _display as display  # these two: imported by app.py already
from pages import _links as links

st.title("Inspect clips")
# Layout first, content as it becomes ready: the chosen clip's waveform needs only that clip's measurements, so it
# is drawn before the dataset is measured; the summary, warnings and table above it fill in with progress. Its place
# holds a blank frame from the start (first run), so the browser loads the chart library while this page imports
# its modules and reads the clips.
picked = st.container()  # what the choice itself shows: link problems, files that failed, a run folder's view
overview, warnings_area, table_area, export_area, duration_area = (st.container(), st.container(), st.container(),
                                                                   st.container(), st.container())
clip_area = st.container()  # "One clip": its picker, facts and player, above its waveform
waveform_slot = st.container()  # a rerun keeps the last waveform shown here until the new one replaces it
held = display.hold_chart_place(waveform_slot)

from audiodiag.data import decoding  # noqa: E402 - after the blank frame is sent (see above)
from audiodiag.measure import cleanlist  # noqa: E402
from audiodiag.plots.audio import duration_histogram  # noqa: E402
from pages import _cache as cache  # noqa: E402
from pages import _data as data_ui  # noqa: E402

with picked:
    data = data_ui.dataset_picker(share_link=False)  # the share box after the waveform; a run folder: below
    display.show_failures(data.failures)
if data.run is not None or not data.clips:
    if held is not None:
        held.empty()
    links.show_share_link()
    with picked:
        if data.run is not None:
            from pages import _run

            _run.show("Inspect", data.run)
        else:
            st.info("No clips to inspect yet: pick a bundled sample set or drop WAV/FLAC/OGG/MP3 files or a zip "
                    "in the sidebar.")
    st.stop()

durations = [c.duration_s for c in data.clips]
# the default length follows the target model: its fixed input window, or none (each clip at its own length)
default_length = float(data.target.fixed_input_s or 0.0)
if st.session_state.get("_clip_length_target", data.target.name) != data.target.name:  # another model: its default
    links.forget("clip_length_s")  # a kept value would otherwise come back
st.session_state["_clip_length_target"] = data.target.name
links.linked_state({"clip_length_s": default_length})
length_s = float(st.session_state["clip_length_s"]) or None
names = [c.name for c in data.clips]
links.linked_state({"inspect_clip": names[0]}, allowed={"inspect_clip": names})
with clip_area:
    st.subheader("One clip")
    picker_area = st.container()
    choice = st.session_state["inspect_clip"]
    index = names.index(choice)
    clip = data.clips[index]
    info = st.columns(4)
    info[0].metric("Sample rate", f"{clip.original_sample_rate_hz} Hz")
    info[1].metric("Duration", f"{clip.duration_s:.2f} s")
    info[2].metric("Channels / bits", f"{clip.original_channels} / {clip.bit_depth or clip.subtype}")
    speech_metric = info[3].empty()
    display.play(clip)
# the waveform needs only the samples: drawn at once, then again with its speech shading once VAD has run
waveform_area = held or waveform_slot.empty()
waveform_area.plotly_chart(cache.waveform(clip, None), width="stretch")
stats, speech, findings_for_clip = cache.measure_clip(clip)  # this clip only: a fraction of a second
speech_metric.metric("Speech", f"{stats.speech_fraction:.0%}")
if speech:  # without speech regions the figure is the one already drawn
    waveform_area.plotly_chart(cache.waveform(clip, speech), width="stretch")
st.caption("Grey: silent 25 ms frames. Green: speech regions found by voice activity detection.")
st.plotly_chart(cache.spectrogram(clip), width="stretch")
display.show_findings(findings_for_clip)
relative_area = st.container()  # warnings judged against the rest of the dataset, once it is measured
measurements_area = st.container()  # ... and every measurement (loudness included), from the same report

target = data.target
model_length_s = target.fixed_input_s or length_s
st.subheader(f"As {target.name} will see it")
seen = decoding.as_model_sees_it(clip, sample_rate_hz=target.sample_rate_hz, length_s=model_length_s)
rate = (f"Resampled {clip.original_sample_rate_hz} Hz → {target.sample_rate_hz} Hz" if seen.resampled
        else f"No resampling ({target.sample_rate_hz} Hz already)")
fit = (f"padded/cut to {model_length_s:g} s: **{seen.padding_fraction:.0%} padding**, {seen.cut_s:.2f} s cut off"
       if model_length_s else "no padding or cutting")
st.write(f"{rate}; {fit}.")
display.play(seen.clip)
suffix = f" at {target.sample_rate_hz} Hz" + (f", {model_length_s:g} s" if model_length_s else "")
st.plotly_chart(cache.waveform(seen.clip, None, title_suffix=suffix), width="stretch")
st.caption("Grey: silent 25 ms frames." + (" Padding shows as silence at the end." if model_length_s else ""))
st.plotly_chart(cache.spectrogram(seen.clip, title_suffix=suffix), width="stretch")
links.show_share_link()  # held back by the dataset picker: its code box would have delayed the waveform

with warnings_area:
    st.subheader("Warnings for this dataset")
    with table_area:
        st.subheader("All clips")
        partial = st.empty()
    report = cache.analyse(data, clip_length_s=length_s, partial_table=partial)
    duplicate_findings = cache.duplicate_statement(data, links.comparison_settings(data))
    findings = [*report.findings, *duplicate_findings]
    with relative_area:  # e.g. loudness far from the other clips': known only once every clip is measured
        display.show_findings([f for f in report.clip_findings.get(choice, ()) if f not in findings_for_clip])
    with measurements_area, st.expander("All measurements for this clip"):
        display.show_table(display.clip_measurements(report.stats[index], report.clip_findings.get(choice, ())),
                           hide_index=False)
    if findings:
        display.show_findings(findings)
    else:
        st.success(f"No problems found for {display.md_escape(data.target.name)}.")

with overview:
    rates = sorted({s.sample_rate_hz for s in report.stats})
    cols = st.columns(5)
    cols[0].metric("Clips", len(data.clips), help=f"{len(data.failures)} file(s) failed to load")
    cols[1].metric("Total audio", f"{sum(durations) / 60:.1f} min")
    all_rates = ", ".join(f"{r / 1000:g}" for r in rates) + " kHz"
    cols[2].metric("Sample rates", all_rates if len(rates) <= 2 else f"{len(rates)} different", help=all_rates)
    cols[3].metric("Speech (VAD)", f"{report.speech_fraction:.0%}", help="Share of all audio inside silero-vad "
                   "speech regions (threshold 0.5, min speech 100 ms, min silence 100 ms, pad 30 ms)")
    cols[4].metric("Warnings", sum(f.severity in ("error", "warning") for f in findings),
                   help=f"Errors and warnings; {sum(f.severity == 'info' for f in findings)} more notes are advice")

with table_area:
    table = display.stats_table(report.stats, report.clip_findings)
    display.show_table(display.shown_stats(table), placeholder=display.MISSING, formats=display.STATS_FORMATS,
                       column_order=display.stats_order(table))
    st.download_button("Download table (CSV)", table.to_csv(index=False).encode(), file_name="audiodiag_clips.csv",
                       mime="text/csv")

with export_area:
    st.subheader("Clean list and quarantine")
    per_clip = report.clip_findings
    found = sorted({f.code for fs in per_clip.values() for f in fs})
    links.linked_state({"inspect_quarantine": cleanlist.default_codes(per_clip),
                        "inspect_list_format": cleanlist.FORMATS[0]},
                       allowed={"inspect_quarantine": found, "inspect_list_format": cleanlist.FORMATS})
    codes = st.multiselect("Quarantine clips with these findings", found, key="inspect_quarantine",
                           help="Default: every error and warning found here (notes are advice, not faults). "
                           "Files that could not be read are always quarantined.")
    entries = [cleanlist.Entry(c.name, c.name, c.label, c.group) for c in data.clips]
    keep, quarantined = cleanlist.split(entries, per_clip, quarantine_codes=set(codes),
                                        failures=data.failures)
    st.write(f"**{len(keep)}** clips pass, **{len(quarantined)}** are quarantined. Nothing is changed or deleted: "
             "these are two lists (paths as the clips were named when loaded), for your training script or "
             "`python -m audiodiag check DATA --clean-list clean.csv --quarantine quarantine.csv`.")
    fmt = st.radio("Format", cleanlist.FORMATS, horizontal=True, key="inspect_list_format")
    left, right = st.columns(2)
    left.download_button(f"Download the clean list ({len(keep)})", cleanlist.to_text(keep, fmt=fmt).encode(),
                         file_name=f"audiodiag_clean{fmt}", mime="text/plain")
    right.download_button(f"Download the quarantine list ({len(quarantined)})",
                          cleanlist.to_text(quarantined, fmt=fmt).encode(), file_name=f"audiodiag_quarantine{fmt}",
                          mime="text/plain")
    if quarantined:
        import pandas as pd  # ~0.4 s to import: not before the first waveform (as in pages/_display.py)

        display.show_table(pd.DataFrame(quarantined)[["path", "reasons"]], wrap=("reasons",))

with duration_area:
    st.subheader("Duration and padding")
    left, right = st.columns([2, 1])
    with right:
        st.number_input("Pad / cut every clip to (s; 0 = none)", min_value=0.0, max_value=600.0, step=0.05,
                        key="clip_length_s", help="0: each clip at its own length (the Compare page's default "
                        f"policy). Default for {data.target.name}: "
                        + (f"its fixed {default_length:g}-s input." if default_length else "none."))
        pad = report.padding
        if pad is None:
            st.caption("No padding or cutting: each clip is used at its own length.")
        else:
            st.metric("Clips padded", f"{pad.fraction_padded:.0%}")
            st.metric("Average input that is padding", f"{pad.mean_padding_fraction:.0%}")
            st.metric("Audio lost to truncation", f"{pad.fraction_audio_lost:.0%}",
                      help=f"{pad.fraction_truncated:.0%} of clips are longer than {pad.clip_length_s:.2f} s")
    with left:
        bars = st.plotly_chart(duration_histogram(durations, [c.label for c in data.clips],
                                                  clip_length_s=None if pad is None else pad.clip_length_s),
                               width="stretch", on_select="rerun", selection_mode=("points", "box"),
                               key="inspect_duration_selection")
        st.caption(display.select_hint("bar"))
    spans = sorted({(lo, hi) for _, lo, hi in display.selected_points(bars)})
    display.show_selected_clips(
        data.clips, display.selected_clips(bars), findings=report.clip_findings, key="inspect_duration_selection",
        spectrogram=cache.spectrogram, title=f"Clips of {spans[0][0]:.2f}–{spans[0][1]:.2f} s" if len(spans) == 1
        else f"Clips in {len(spans)} duration bins")
    if "label" in table:
        per_label = table.groupby("label").agg(
            clips=("file", "count"), median_duration_s=("duration (s)", "median"),
            speech=("speech", "mean"), rates=("rate (Hz)", lambda r: ", ".join(map(str, sorted(set(r))))))
        display.show_table(per_label, hide_index=False, column_config={
            "speech": st.column_config.NumberColumn("mean speech", format="percent"),
            "median_duration_s": st.column_config.NumberColumn("median duration (s)", format="%.2f")})

with picker_area:  # last: its marks (⚠) need every clip's measurements; the choice itself was read above
    flagged = {n for n, f in report.clip_findings.items() if f}
    st.selectbox("Clip", names, format_func=lambda n: f"⚠ {n}" if n in flagged else n, key="inspect_clip",
                 help="⚠: the clip has warnings (listed under its spectrogram)")
links.link_to_url(["clip_length_s", "inspect_clip", "inspect_quarantine", "inspect_list_format"])
