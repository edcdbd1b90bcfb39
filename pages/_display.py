"""Showing results: markdown escaping, finding callouts, tables and the cells in them, status boxes.

No caching and no session state here: every function renders what it is given, so every page shows a finding,
a score or a missing value the same way.
"""
from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from audiodiag.errors import AudioDiagError
from pages import _tables as tables
from pages._tables import PERCENT, columns_px, show_table  # noqa: F401 - the pages' one table helper, from here

if TYPE_CHECKING:  # numpy, pandas and the library's types: not imported before Inspect's blank chart frame is sent
    import pandas as pd

    from audiodiag.evaluation import compare
    from audiodiag.measure.per_clip import ClipStats
    from audiodiag.types import Clip, Finding, LoadFailure
    from pages._dataset import Dataset

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&])")


def md_escape(text: str) -> str:
    """Make user-controlled text (file names, labels) render literally in markdown, never as HTML."""
    return _MD_SPECIAL.sub(r"\\\1", text)


RUNG_BOX = {"spectral baseline": st.info, "frozen encoder": st.success, "fine-tuning": st.success,
            "undecided": st.warning}  # the note's verdict box per rung (Decide, and run folders' Decide)

def show_note_sections(sections: Sequence[dict]) -> None:
    """A decision note's sections (`DecisionNote.to_dict()["sections"]`, or a run folder's note.json) as the
    Markdown note reads: each title, its table, its lines (user text escaped)."""
    import pandas as pd

    for section in sections:
        st.markdown(f"**{md_escape(section['title'])}**")
        if section.get("table"):
            show_table(pd.DataFrame(section["table"][1:], columns=section["table"][0]))
        st.markdown("\n".join(f"- {md_escape(line)}" for line in section["lines"]))


def show_failures(failures: tuple[LoadFailure, ...]) -> None:
    if failures:
        import pandas as pd  # ~0.4 s to import: not before the first waveform (nothing failed: never)

        st.error(f"{len(failures)} file(s) could not be loaded; the other files are analysed below.")
        show_table(pd.DataFrame({"file": [f.name for f in failures], "problem": [f.message for f in failures]}),
                   wrap=("problem",))  # the whole message, wrapped


def show_findings(findings: tuple[Finding, ...] | list[Finding]) -> None:
    """One callout per finding, most severe first; text is escaped so file names never render as HTML."""
    order = {"error": 0, "warning": 1, "info": 2}
    for f in sorted(findings, key=lambda f: order.get(f.severity, 3)):
        box = {"error": st.error, "warning": st.warning}.get(f.severity, st.info)
        box(md_escape(f.message), icon={"error": ":material/error:", "warning": ":material/warning:"}
            .get(f.severity, ":material/info:"))


MISSING = "—"  # a table cell with no value (never the text None / nan)
STATS_COLUMNS = {
    "name": "file", "label": "label", "group": "group", "sample_rate_hz": "rate (Hz)", "channels": "channels",
    "bit_depth": "bits", "duration_s": "duration (s)", "peak_dbfs": "peak (dBFS)", "rms_dbfs": "RMS (dBFS)",
    "clipping_fraction": "clipped", "dc_offset": "DC offset", "silence_ratio": "silent frames",
    "leading_silence_s": "lead silence (s)", "trailing_silence_s": "trail silence (s)",
    "effective_bandwidth_hz": "99% bandwidth (Hz)", "band_limit_hz": "band limit (Hz)",
    "band_edge_drop_db": "drop at the band edge (dB)",
    "speech_fraction": "speech", "non_finite_samples": "non-finite samples",
    "loudness_lufs": "loudness (LUFS)", "snr_db": "SNR (dB)", "snr_method": "SNR measured as",
    "internal_silence_s": "longest pause (s)", "container": "container", "subtype": "encoding",
}
# the clip table's columns, most telling first: those that fit the page are shown, the others a click away
STATS_ORDER = ("file", "warnings", "label", "group", "duration (s)", "rate (Hz)", "speech", "peak (dBFS)",
               "loudness (LUFS)", "SNR (dB)", "silent frames", "clipped", "band limit (Hz)", "99% bandwidth (Hz)",
               "RMS (dBFS)", "lead silence (s)", "trail silence (s)", "longest pause (s)", "channels", "bits",
               "container", "encoding", "DC offset", "drop at the band edge (dB)", "non-finite samples", "SNR measured as")
STATS_FORMATS = {"clipped": PERCENT, "silent frames": PERCENT, "speech": PERCENT, "DC offset": "%.4f"}
NO_BAND_EDGE = "none"  # band limit and drop of a clip whose spectrum has no steep edge


def stats_table(stats: tuple[ClipStats, ...], findings: dict[str, tuple[Finding, ...]]) -> pd.DataFrame:
    """One row per clip. A label or group column no clip has is left out; a clip without one shows "—"."""
    import pandas as pd

    df = pd.DataFrame([{k: getattr(s, k) for k in STATS_COLUMNS} for s in stats]).rename(columns=STATS_COLUMNS)
    df.insert(1, "warnings", [len(findings.get(s.name, ())) for s in stats])
    for column in ("loudness (LUFS)", "SNR (dB)"):  # None: not measurable (too short, silent, a steady sound);
        df[column] = df[column].astype(float)  # NaN, shown as MISSING (st.dataframe's placeholder)
    df["SNR measured as"] = [m if v is not None else MISSING for m, v in zip(df["SNR measured as"],
                                                                         [s.snr_db for s in stats], strict=True)]
    for column in ("label", "group"):
        df[column] = df[column].astype(object)
        if df[column].isna().all():
            df = df.drop(columns=column)
        else:
            df[column] = df[column].where(df[column].notna(), MISSING)
    return df


def shown_stats(table: pd.DataFrame) -> pd.DataFrame:
    """`stats_table` as the page shows it: a clip without a band edge (`checks.band_edge`: the Nyquist frequency and
    a 0 dB drop) reads "none" for both; with one, the edge and its drop at their units' precision. The CSV keeps
    the numbers."""
    shown = table.copy()
    no_edge = shown["drop at the band edge (dB)"] == 0.0
    for column in ("band limit (Hz)", "drop at the band edge (dB)"):
        fmt = tables.unit_format(column)
        shown[column] = [NO_BAND_EDGE if none else tables.shown(v, fmt, placeholder=MISSING)
                         for none, v in zip(no_edge, shown[column], strict=True)]
    return shown


def stats_order(table: pd.DataFrame) -> list[str]:
    """The stats table's columns in STATS_ORDER (a column it does not name goes last)."""
    return [c for c in STATS_ORDER if c in table.columns] + [c for c in table.columns if c not in STATS_ORDER]


def clip_measurements(stats: ClipStats, findings: tuple[Finding, ...]) -> pd.DataFrame:
    """One clip's row of the stats table as a column of text, each number as the clip table shows it ("—" where
    there is no value, "none" for a band edge that is not there)."""
    import pandas as pd

    row = shown_stats(stats_table((stats,), {stats.name: findings}))
    return pd.DataFrame({"value": {c: tables.shown(row[c].iloc[0], STATS_FORMATS.get(c) or tables.unit_format(c),
                                                   placeholder=MISSING) for c in stats_order(row)}})


def playable_wav(clip: Clip) -> bytes:
    """The clip as 16-bit WAV bytes at its own level. st.audio scales a numpy array to full scale: a quiet clip
    would sound loud and a silent one divides by zero."""
    import numpy as np
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.clip(clip.samples, -1, 1), clip.sample_rate_hz, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def play(clip: Clip) -> None:
    st.audio(playable_wav(clip), format="audio/wav")


CHART_PLACE_HELD = "_chart_place_held"  # session_state: this browser session was sent the blank frame
BLANK_FRAME_PX = 10  # plotly's smallest chart height


def hold_chart_place(slot):
    """On a browser session's first run, a blank chart frame in `slot` (the st.container() for the page's first
    chart), returned as the st.empty() the chart then fills; None on later runs, where the page makes that st.empty()
    when the chart is ready (the container keeps the last chart shown until then: no blank flash).

    The browser loads its chart library (plotly.js, 4.7 MB) when the first chart arrives, and draws nothing until it
    has compiled it (1-3 s in benchmarks/bench_first_paint.py's headless Chromium, 2 shared cores): sent before the
    page imports its modules and reads the clips, the frame gets that done meanwhile."""
    if st.session_state.get(CHART_PLACE_HELD):
        return None
    st.session_state[CHART_PLACE_HELD] = True
    import plotly.graph_objects as go  # Streamlit has imported it (audiodiag.plots.audio would import much more)

    import audiodiag.plots  # noqa: F401 - before any figure: plotly kept from half-imported modules (plots.half_imported)

    clear = "rgba(0,0,0,0)"  # nothing drawn: no axes, no data, transparent
    frame = go.Figure(layout={"height": BLANK_FRAME_PX, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                              "paper_bgcolor": clear, "plot_bgcolor": clear, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}})
    area = slot.empty()
    area.plotly_chart(frame, width="stretch", config={"staticPlot": True})
    return area


@contextlib.contextmanager
def long_step(label: str, *, done: str, failed: str, expanded: bool = True):
    """A status box around a long step: it ends "complete", or "error" for a user error (AudioDiagError), which
    is then shown below the box and stops the page (never a box left saying it is still running).
    Open while it runs, so the progress bars inside (clips encoded, folds fitted) are seen; it closes when done.
    expanded=False: a step with nothing inside to show."""
    error = None
    with st.status(label, expanded=expanded) as status:
        try:
            yield status
            status.update(label=done, state="complete", expanded=False)
        except AudioDiagError as e:
            error = str(e)
            status.update(label=failed, state="error")
    if error is not None:
        st.error(md_escape(error))
        st.stop()


def show_cache_warnings() -> None:
    """An unwritable cache folder is one warning; the pages go on with a temporary cache."""
    from audiodiag.represent.embedding_cache import CACHE_WARNINGS

    if len(CACHE_WARNINGS) == 1:
        st.warning(md_escape(CACHE_WARNINGS[0]))
    elif CACHE_WARNINGS:  # one box for the finding, every folder listed in it
        st.warning(f"{len(CACHE_WARNINGS)} cache folders cannot be written:\n"
                   + "\n".join(f"- {md_escape(w)}" for w in CACHE_WARNINGS))


def show_unavailable(unavailable: Sequence[tuple[str, str]]) -> None:
    """One box for every encoder that could not run: each name with its reason and fix."""
    if len(unavailable) == 1:
        (name, why), = unavailable
        st.error(f"**{md_escape(name)} could not run**: {md_escape(why)}")
    elif unavailable:
        st.error(f"**{len(unavailable)} encoders could not run** (the other spaces are compared without them):\n"
                 + "\n".join(f"- **{md_escape(name)}**: {md_escape(why)}" for name, why in unavailable))


def _with_ci(estimate) -> str:
    if estimate.value != estimate.value:
        return NOT_MEASURED
    return f"{estimate.value:.3f} [{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]"


NOT_MEASURED = MISSING  # a table cell with no number (never the text None / nan)


def _score(value: float | None) -> str:
    """A score (accuracy, F1, silhouette) in the one format of these pages: three decimals, '—' if missing."""
    return NOT_MEASURED if value is None or value != value else f"{value:.3f}"


def _share(value: float | None) -> str:
    """A share of clips or queries as a whole percentage ("72 %", as the reading sentences write it), '—' if
    missing."""
    return NOT_MEASURED if value is None or value != value else f"{100 * value:.0f} %"


def text_or_dash(value) -> str:
    """A label or group for display: the text, or '—' when the clip has none."""
    return NOT_MEASURED if value is None or (isinstance(value, float) and value != value) else str(value)


def wide_columns(*names: str) -> dict:
    """column_config giving text columns (file and space names) the room to show them whole."""
    return {name: st.column_config.TextColumn(name, width="large") for name in names}


def comparison_table(result: compare.Comparison) -> pd.DataFrame:
    """One row per rung: metrics with 95 % CIs, the verdict against the baseline and the cost."""
    import pandas as pd

    # not before Inspect's first waveform (nor compare, in the annotation)
    from audiodiag.verdict.rung_table import ms_per_clip

    verdicts = {p.name_b: p.verdict for p in result.paired}
    return pd.DataFrame([{
        "space": r.space,
        "accuracy [95% CI]": _with_ci(r.metrics.accuracy),
        "balanced accuracy [95% CI]": _with_ci(r.metrics.balanced_accuracy),
        "macro-F1 [95% CI]": _with_ci(r.metrics.macro_f1),
        "beats baseline": verdicts.get(r.space, "(baseline)"),
        "random-split accuracy": (_score(r.split_check.random_accuracy) if r.split_check is not None else
                                  "— (the dataset's own folds)" if result.settings.get("predefined_folds") else
                                  "— (folds are random already)"),
        "extraction per clip": ms_per_clip(r.seconds_per_clip),  # as the note writes it
        "embedding size": r.embedding_size,
        "model size (MB)": NOT_MEASURED if r.model_mb != r.model_mb else f"{r.model_mb:.1f}",
    } for r in result.rungs])


def _unkeyed(value):
    """Lists back from the browser's event: Streamlit's frontend snake-cases the event's keys recursively and so
    turns an array nested in customdata into an object keyed "0", "1", ... ."""
    if isinstance(value, dict) and value and all(str(k).isdigit() for k in value):
        return [_unkeyed(value[k]) for k in sorted(value, key=int)]
    if isinstance(value, dict) and not value:
        return []
    return [_unkeyed(v) for v in value] if isinstance(value, (list, tuple)) else value


def selected_points(event) -> list[list]:
    """The customdata of every point in a plotly selection event (`st.plotly_chart(on_select=...)`), in event
    order; points without customdata (marks drawn over a map) are left out."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    return [_unkeyed(list(p["customdata"])) for p in points or () if isinstance(p, dict) and p.get("customdata")]


def selected_clips(event) -> list[int]:
    """The clip indices behind the selected points: each point's customdata[0] is one clip index (a map) or a list
    of them (a bar, a confusion cell). Each clip once, in the order selected."""
    found: dict[int, None] = {}
    for custom in selected_points(event):
        first = custom[0]
        for i in first if isinstance(first, (list, tuple)) else (first,):
            found[int(i)] = None
    return list(found)


def selected_clip(event) -> int | None:
    """The clip index picked in a plotly selection event (customdata[0] of the first point), or None."""
    clips = selected_clips(event)
    return clips[0] if clips else None


def selected_rows(event) -> list[int]:
    """The row positions (in the frame as given, whatever the user's sort) selected in `st.dataframe(on_select=...)`."""
    try:
        return [int(r) for r in event["selection"]["rows"]]
    except (KeyError, TypeError):
        return []


SELECTED_CLIPS_SHOWN = 6  # clips shown with a player and spectrogram per selection; the rest are counted


def select_hint(thing: str, *, tool: str = "box") -> str:
    """The caption under a selectable chart: what to click, and how to take several or clear."""
    return (f"Click a {thing} to listen to its clips below, with their spectrograms and findings; shift-click or "
            f"the {tool} select tool (the chart's toolbar) takes several, a double-click clears the selection.")


def show_selected_clips(clips: Sequence[Clip], indices: Sequence[int], *, findings: dict[str, Sequence[Finding]],
                        title: str, key: str, spectrogram=None) -> None:
    """The clips a chart or table selection points at: for the first SELECTED_CLIPS_SHOWN, the name, label and
    duration, a player, the log-mel spectrogram and the clip's findings; how many more there are.

    findings: per clip name (`DatasetAnalysis.clip_findings`). key: unique on the page (chart keys derive from it).
    spectrogram: clip -> figure (the page's cached one); `plots.audio.spectrogram_figure` when None.
    """
    from audiodiag.plots.audio import spectrogram_figure

    if not indices:
        return
    st.markdown(f"**{md_escape(title)}**: {len(indices)} clip(s)")
    for i in indices[:SELECTED_CLIPS_SHOWN]:
        clip = clips[i]
        with st.container(border=True):
            st.markdown(f"**{md_escape(clip.name)}**: label {md_escape(text_or_dash(clip.label))}, "
                        f"{clip.duration_s:.2f} s")
            play(clip)
            figure = spectrogram(clip) if spectrogram is not None else spectrogram_figure(
                clip.samples, sample_rate_hz=clip.sample_rate_hz,
                original_sample_rate_hz=clip.original_sample_rate_hz)
            st.plotly_chart(figure, width="stretch", key=f"{key}_spectrogram_{i}")
            if findings.get(clip.name):
                show_findings(tuple(findings[clip.name]))
            else:
                st.caption("No findings for this clip.")
    if len(indices) > SELECTED_CLIPS_SHOWN:
        st.caption(f"{len(indices) - SELECTED_CLIPS_SHOWN} more selected clip(s) not shown: select fewer to hear "
                   "them.")


def retrieval_table(results) -> pd.DataFrame:
    """One row per space: the leave-one-out retrieval metrics with 95 % CIs, silhouettes and the group pull, the
    headline scores first (a narrow page shows those). The headline scores use the row's group rule ("same-group
    neighbours"); precision@1 is also shown under both rules (with groups), so the other figure stands next to it."""
    import pandas as pd

    return pd.DataFrame([{
        "space": r.space,
        "precision@1 [95% CI]": _with_ci(r.precision_at_1),
        "kNN accuracy [95% CI]": _with_ci(r.knn_accuracy),
        "mAP [95% CI]": _with_ci(r.mean_average_precision),
        "silhouette (labels)": _score(r.silhouette),
        "precision@5 [95% CI]": _with_ci(r.precision_at_5),
        "same-group neighbours": ("excluded" if r.exclude_same_group else "included")
        if r.other_precision_at_1 is not None else "no groups",
        "precision@1 without own group [95% CI]": _with_ci(r.precision_at_1_same_group_excluded),
        "precision@1 with own group [95% CI]": _with_ci(r.precision_at_1_same_group_included)
        if r.other_precision_at_1 is not None else NOT_MEASURED,
        "silhouette (groups)": _score(r.group_silhouette),
        "nearest is own group": _share(r.same_group_at_1),
        "own group by chance": _share(r.same_group_chance),
        "queries scored": f"{r.n_scored} of {r.n_clips}",
    } for r in results])


def duplicate_pairs_table(data: Dataset, pairs, folds) -> pd.DataFrame:
    """Duplicate pairs with both files' label and group, the cosine and (with folds) the fold of each."""
    import pandas as pd

    rows = []
    for p in pairs:
        a, b = data.clips[p.first], data.clips[p.second]
        row = {"file": a.name, "other file": b.name, "cosine": round(p.cosine, 4),
               "labels": f"{text_or_dash(a.label)} / {text_or_dash(b.label)}",
               "groups": f"{text_or_dash(a.group)} / {text_or_dash(b.group)}"}
        if folds is not None:
            fa, fb = int(folds.fold_of_sample[p.first]) + 1, int(folds.fold_of_sample[p.second]) + 1
            row.update({"folds": f"{fa} / {fb}", "both sides of a split": fa != fb})
        rows.append(row)
    return pd.DataFrame(rows)
