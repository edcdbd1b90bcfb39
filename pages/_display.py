"""Showing results: markdown escaping, finding callouts, tables and the cells in them, status boxes.

No caching and no session state here: every function renders what it is given, so every page shows a finding,
a score or a missing value the same way.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from audiodiag import compare, verdict
from audiodiag.checks import ClipStats
from audiodiag.errors import AudioDiagError
from audiodiag.types import Clip, Finding, LoadFailure

if TYPE_CHECKING:
    import pandas as pd

    from pages._data import Dataset

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&])")


def md_escape(text: str) -> str:
    """Make user-controlled text (file names, labels) render literally in markdown, never as HTML."""
    return _MD_SPECIAL.sub(r"\\\1", text)


RUNG_BOX = {"spectral baseline": st.info, "frozen encoder": st.success, "fine-tuning": st.success,
            "undecided": st.warning}  # the note's verdict box per rung (Decide, and run folders' Decide)

FAILURE_ROW_HEIGHT_PX = 90  # rows above 64 px wrap their text: four lines hold a decoder's error message


def show_note_sections(sections: Sequence[dict]) -> None:
    """A decision note's sections (`DecisionNote.to_dict()["sections"]`, or a run folder's note.json) as the
    Markdown note reads: each title, its table, its lines (user text escaped)."""
    import pandas as pd

    for section in sections:
        st.markdown(f"**{md_escape(section['title'])}**")
        if section.get("table"):
            st.dataframe(pd.DataFrame(section["table"][1:], columns=section["table"][0]), hide_index=True)
        st.markdown("\n".join(f"- {md_escape(line)}" for line in section["lines"]))


def show_failures(failures: tuple[LoadFailure, ...]) -> None:
    import pandas as pd  # ~0.4 s to import: not before the first waveform

    if failures:
        st.error(f"{len(failures)} file(s) could not be loaded; the other files are analysed below.")
        st.dataframe(pd.DataFrame({"file": [f.name for f in failures], "problem": [f.message for f in failures]}),
                     hide_index=True, width="stretch", row_height=FAILURE_ROW_HEIGHT_PX,  # the whole message, wrapped
                     column_config={"file": st.column_config.TextColumn(width="medium"),
                                    "problem": st.column_config.TextColumn(width="large")})


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
    "internal_silence_s": "longest pause (s)",
}


def stats_table(stats: tuple[ClipStats, ...], findings: dict[str, tuple[Finding, ...]]) -> pd.DataFrame:
    """One row per clip. A label or group column no clip has is left out; a clip without one shows "—"."""
    import pandas as pd

    df = pd.DataFrame([{k: getattr(s, k) for k in STATS_COLUMNS} for s in stats]).rename(columns=STATS_COLUMNS)
    df.insert(1, "warnings", [len(findings.get(s.name, ())) for s in stats])
    for column in ("loudness (LUFS)", "SNR (dB)"):  # None: not measurable (too short, silent, a steady sound);
        df[column] = df[column].astype(float)  # NaN, shown as MISSING (st.dataframe's placeholder)
    df["SNR measured as"] = [m if v is not None else MISSING for m, v in zip(df["SNR measured as"],
                                                                         [s.snr_db for s in stats])]
    for column in ("label", "group"):
        df[column] = df[column].astype(object)
        if df[column].isna().all():
            df = df.drop(columns=column)
        else:
            df[column] = df[column].where(df[column].notna(), MISSING)
    return df


def clip_measurements(stats: ClipStats, findings: tuple[Finding, ...]) -> pd.DataFrame:
    """One clip's row of the stats table as a column of text ("—" where there is no value)."""
    row = stats_table((stats,), {stats.name: findings}).T.rename(columns={0: "value"})
    return row.map(lambda v: "—" if v is None or (isinstance(v, float) and v != v) else str(v))


def play(clip: Clip) -> None:
    st.audio(np.clip(clip.samples, -1, 1), sample_rate=clip.sample_rate_hz)


@contextlib.contextmanager
def long_step(label: str, *, done: str, failed: str, expanded: bool = False):
    """A status box around a long step: it ends "complete", or "error" for a user error (AudioDiagError), which
    is then shown below the box and stops the page (never a box left saying it is still running).
    expanded=True keeps the box open while it runs, so a progress bar inside it is seen; it closes when done."""
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
    from audiodiag.embedding_cache import CACHE_WARNINGS

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
        "extraction per clip": verdict.rules.ms_per_clip(r.seconds_per_clip),  # as the note writes it
        "embedding size": r.embedding_size,
        "model size (MB)": NOT_MEASURED if r.model_mb != r.model_mb else f"{r.model_mb:.1f}",
    } for r in result.rungs])


def selected_clip(event) -> int | None:
    """The clip index picked in a plotly selection event (customdata[0] of the first point), or None."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        custom = point.get("customdata")
        if custom:
            return int(custom[0])
    return None


def retrieval_table(results) -> pd.DataFrame:
    """One row per space: the leave-one-out retrieval metrics with 95 % CIs, silhouettes and the group pull.
    The headline scores use the row's group rule ("same-group neighbours"); precision@1 is also shown under
    both rules (with groups), so the other figure stands next to it."""
    import pandas as pd

    return pd.DataFrame([{
        "space": r.space,
        "same-group neighbours": ("excluded" if r.exclude_same_group else "included")
        if r.other_precision_at_1 is not None else "no groups",
        "precision@1 [95% CI]": _with_ci(r.precision_at_1),
        "precision@1 without own group [95% CI]": _with_ci(r.precision_at_1_same_group_excluded),
        "precision@1 with own group [95% CI]": _with_ci(r.precision_at_1_same_group_included)
        if r.other_precision_at_1 is not None else NOT_MEASURED,
        "precision@5 [95% CI]": _with_ci(r.precision_at_5),
        "mAP [95% CI]": _with_ci(r.mean_average_precision),
        "kNN accuracy [95% CI]": _with_ci(r.knn_accuracy),
        "silhouette (labels)": _score(r.silhouette),
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
