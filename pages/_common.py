"""Shared page plumbing: the sidebar dataset picker, st.cache_* wrappers, and small widgets.

The only module with Streamlit caching. Data is keyed by content hash, so the same clips are decoded
and analysed once per server, whichever page asks first.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from audiodiag import dataset as ds
from audiodiag import checks, compare, dataroot, encoders, io, manifest, plots, samples, spaces
from audiodiag.checks import ClipStats
from audiodiag.errors import AudioDiagError
from audiodiag.features import FeatureSettings
from audiodiag.types import Clip, Finding, LoadFailure

if TYPE_CHECKING:
    import pandas as pd

UPLOAD_KEY = "uploads"  # session_state: [(name, bytes)]; per browser session, never shared
SOURCE_SAMPLE, SOURCE_UPLOAD = "Bundled sample set", "My files"
SOURCE_SERVER = "Server folder"  # offered only when the server has a data root (AUDIODIAG_DATA_ROOT / data_root)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&])")


def _clip_key(clip: Clip) -> tuple:
    return (clip.content_hash, clip.name, clip.label, clip.group, clip.sample_rate_hz)


_HASH = {Clip: _clip_key}


@dataclass(frozen=True)
class Dataset:
    name: str
    clips: tuple[Clip, ...]
    failures: tuple[LoadFailure, ...]
    target: encoders.EncoderSpec
    run: object = None  # a runview.RunView when a run folder was chosen (pages then show it via pages/_run.py)


def md_escape(text: str) -> str:
    """Make user-controlled text (file names, labels) render literally in markdown, never as HTML."""
    return _MD_SPECIAL.sub(r"\\\1", text)


@st.cache_data(show_spinner="Loading the sample set ...")
def load_sample_set(name: str) -> list[Clip | LoadFailure]:
    return samples.load_sample_set(name)


@st.cache_data(show_spinner="Decoding uploaded files ...", max_entries=64)
def load_upload(name: str, data: bytes, group_by: str | None = None) -> list[Clip | LoadFailure]:
    return io.load_batch([(name, data)], group_by=group_by)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=4096)
def _measure(clips: tuple[Clip, ...]):
    return ds.measure(clips)


def analyse(data: Dataset, *, clip_length_s: float | None = None, partial_table=None) -> ds.DatasetReport:
    """Dataset report with a progress bar. The expensive per-clip part (VAD, levels, bandwidth) is cached by
    content hash in batches, so other pages and changed settings (target model, clip length) reuse it.

    partial_table: an st.empty() that shows the per-clip rows measured so far while the rest are measured.
    """
    bar = st.progress(0.0, text="Measuring clips ...")
    measured: list[ClipStats] = []

    def measure_batch(clips):
        stats, speech = _measure(tuple(clips))
        measured.extend(stats)
        if partial_table is not None and len(measured) < len(data.clips):
            partial_table.dataframe(stats_table(tuple(measured), {}), hide_index=True, width="stretch",
                                    placeholder=MISSING)
        return stats, speech

    report = ds.analyse(data.clips, spec=data.target, clip_length_s=clip_length_s, measure_batch=measure_batch,
                        progress=lambda fraction, message: bar.progress(fraction, text=message))
    bar.empty()
    if partial_table is not None:
        partial_table.empty()
    return report


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=256)
def _measure_one(clip: Clip):
    return ds.measure((clip,), loudness=False)


def measure_clip(clip: Clip) -> tuple[ClipStats, tuple, tuple[Finding, ...]]:
    """One clip's measurements, speech regions and warnings (what Inspect's clip view needs before the dataset
    is measured): the same functions as the dataset report, so the numbers agree with its table. Loudness is
    left out (see checks.clip_stats; no warning depends on it alone): the dataset report has it."""
    (stats,), (speech,) = _measure_one(clip)
    return stats, tuple(speech), tuple(checks.clip_findings(stats))


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=256)
def waveform(clip: Clip, speech: tuple | None, title_suffix: str = ""):
    """speech None: not measured yet (no speech shading, no legend entry claiming there is none)."""
    return plots.waveform_figure(clip.samples, sample_rate_hz=clip.sample_rate_hz, speech=speech or (),
                                 title="Waveform" + title_suffix)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=256)
def spectrogram(clip: Clip, title_suffix: str = ""):
    return plots.spectrogram_figure(clip.samples, sample_rate_hz=clip.sample_rate_hz,
                                    title="Log-mel spectrogram" + title_suffix,
                                    original_sample_rate_hz=clip.original_sample_rate_hz)


def _remember_uploads() -> None:
    files = st.session_state.get("uploader") or []
    st.session_state[UPLOAD_KEY] = [(f.name, f.getvalue()) for f in files]  # a list: two "a.wav" are two files


# ---------------------------------------------------------------- deep links

def _from_url(key: str, default, allowed: Sequence | None):
    """The URL's value for a widget key, parsed like its default; the default when absent or invalid."""
    if key not in st.query_params:
        return default
    raw = st.query_params.get_all(key) if isinstance(default, list) else st.query_params[key]
    try:
        if isinstance(default, bool):
            value = {"true": True, "false": False}[str(raw).lower()]
        elif isinstance(default, list):
            value = [str(v) for v in raw]
        elif isinstance(default, (int, float)) and default is not None:
            value = type(default)(float(raw)) if isinstance(default, float) else int(raw)
        else:
            value = str(raw)
        bad = [v for v in (value if isinstance(value, list) else [value]) if allowed is not None and v not in allowed]
        if bad:
            raise ValueError(f"not one of {', '.join(map(str, allowed))}")
    except (KeyError, ValueError) as e:
        st.session_state.setdefault(LINK_PROBLEMS, []).append(
            f"{key}={raw!s}: {e if str(e) else 'unreadable'}; using {default!r}")
        return default
    return value


LINK_PROBLEMS = "_link_problems"  # session_state: link parameters that could not be used, shown once


def linked_state(defaults: dict, *, allowed: dict[str, Sequence] | None = None) -> None:
    """Deep links, before the widgets: a widget key seen for the first time in this session starts with the
    URL's value (a link a teammate sent), else with its default. Widgets then take no value= argument."""
    for key, default in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = _from_url(key, default, (allowed or {}).get(key))


def link_to_url(keys: Sequence[str], *, extra: dict | None = None) -> None:
    """Deep links, after the widgets: the URL carries the current values, so copying it shares this view."""
    for key in keys:
        value = st.session_state.get(key)
        if value is None or value == []:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = ([str(v) for v in value] if isinstance(value, (list, tuple)) else
                                    str(value).lower() if isinstance(value, bool) else str(value))
    for key, value in (extra or {}).items():
        st.query_params[key] = str(value)
    for problem in st.session_state.pop(LINK_PROBLEMS, []):
        st.warning(f"Link parameter ignored: {md_escape(problem)}", icon=":material/link_off:")
    show_share_link()


SHARE_SLOT = "_share_link_slot"  # session_state: (this run's sidebar placeholder, page url path), made by app.py
SHARE_LABEL = "Copy link to this view"
UPLOADS_PRIVATE = (
    "This view uses **your uploaded files**. Uploads are private to this browser session: the link carries the "
    "settings, not the files, so it opens without them anywhere else (another browser, a teammate, a restarted "
    "server). To share the data, send the same zip for them to upload, or put the folder (one sub-folder per "
    "class) into the server's `sample_audio/` folder: it is then listed under *Bundled sample set* for everyone "
    "and links name it (README, \"Share with your team\").")


def share_link_slot(url_path: str = "") -> None:
    """Sidebar, before the page script runs: a placeholder for the "Copy link to this view" box. link_to_url
    refreshes it whenever the page writes its settings into the URL, so it shows the URL as the run left it
    (a page that stops early included; dataset_picker always syncs the dataset keys). url_path: the page's path, for the link where the browser's URL is
    unknown (AppTest)."""
    st.session_state[SHARE_SLOT] = (st.sidebar.empty(), url_path, None)  # filled by the first link_to_url


def view_url(url_path: str = "") -> str:
    """The full URL of this view: the browser's address and page (st.context.url has no query string) plus
    every query parameter the page has synced so far."""
    from urllib.parse import urlencode, urlsplit

    base = st.context.url or f"/{url_path}"
    base += "/" if not urlsplit(base).path else ""  # the home page: http://host:8501/?..., not http://host:8501?...
    pairs = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return base + (f"?{urlencode(pairs)}" if pairs else "")


def show_share_link() -> None:
    """Fill (again) this run's share placeholder: the link with a copy button, and for uploaded data the note
    that uploads stay in this session. Does nothing where app.py made no placeholder."""
    slot = st.session_state.get(SHARE_SLOT)
    if slot is None:
        return
    placeholder, url_path, shown = slot
    url, uploads = view_url(url_path), st.session_state.get("source") == SOURCE_UPLOAD
    if shown == (url, uploads):
        return  # unchanged since this run last drew it: no redraw (each one costs the browser a re-render)
    st.session_state[SHARE_SLOT] = (placeholder, url_path, (url, uploads))
    with placeholder.container():
        st.markdown(f"**{SHARE_LABEL}**", help="The page, dataset and settings are in the link: a teammate who "
                    "opens it sees the same view (the copy button is at the right of the box).")
        st.code(url, language=None)
        if uploads:
            st.caption(UPLOADS_PRIVATE)


DATASET_KEYS = ("source", "sample_set", "target", "server_entry")


def dataset_picker(page: str = "") -> Dataset:
    """Sidebar: choose the dataset and the target model once; every page works on that choice. A run folder
    chosen under the server's data root is shown by pages/_run.py for `page` instead, and the page stops."""
    slot = st.session_state.get(SHARE_SLOT)
    if slot is not None:  # a new run: the share box is drawn afresh (a page switch may not rerun app.py)
        st.session_state[SHARE_SLOT] = (*slot[:2], None)
    sets = samples.list_sample_sets()
    root = server_data_root()
    sources = [SOURCE_SAMPLE, SOURCE_UPLOAD] + ([SOURCE_SERVER] if root else [])
    defaults = {"source": SOURCE_SAMPLE, "target": encoders.DEFAULT_TARGET,
                "sample_set": samples.DEFAULT_SET if samples.DEFAULT_SET in sets else (sets[0] if sets else None)}
    linked_state(defaults, allowed={"source": sources, "sample_set": sets,
                                    "target": list(encoders.CATALOGUE)})
    for key in defaults:  # keep widget values when switching pages (Streamlit drops state of unrendered widgets)
        st.session_state[key] = st.session_state[key]
    if "group_column" in st.session_state:
        st.session_state["group_column"] = st.session_state["group_column"]
    with st.sidebar:
        st.header("Dataset")
        source = st.radio("Source", sources, key="source", horizontal=True)
        run = None
        if source == SOURCE_SERVER:
            name, results, run = server_source(root)
        elif source == SOURCE_SAMPLE:
            name = st.selectbox("Sample set", sets, key="sample_set", format_func=lambda s: s.replace("_", " "),
                                help="\n".join(f"- **{k}**: {v}" for k, v in samples.DESCRIPTIONS.items()))
            results = load_sample_set(name) if name else []
            st.caption(samples.DESCRIPTIONS.get(name, ""))
            table = io.folder_label_table(samples.sample_set_dir(name)) if name else None
            if table is not None:
                _, column = io.table_group_column(table[1])
                st.caption(md_escape(f"Groups: column '{column}' of {table[0]}." if column else
                                     f"Groups: none ({table[0]} has no group column): leakage is unmeasured."))
        else:
            st.file_uploader("Drop clips (+ an optional labels CSV: path,label,group) or a zipped folder (one sub-folder per class)", key="uploader",
                             type=list(io.UPLOAD_EXTENSIONS), accept_multiple_files=True,
                             on_change=_remember_uploads)
            stored = st.session_state.get(UPLOAD_KEY, [])
            if stored and not st.session_state.get("uploader"):
                st.caption(f"Using {len(stored)} file(s) uploaded earlier in this session.")
            tables = [(n, d) for n, d in stored if n.lower().endswith(".csv")]
            inside = {n: t for n, d in stored if n.lower().endswith(".zip")
                      for t in [io.zip_label_table(d, name=n)] if t}
            group_by = group_column_picker(tables + list(inside.values()))  # a CSV upload, else a zip's own table

            def zip_group_by(name: str) -> str | None:  # the choice, where this zip's table has that column
                table = inside.get(name)
                fits = group_by in (None, io.NO_GROUPS) or (
                    table is not None and io.table_group_column(table[1], group_by=group_by)[1] is not None)
                return group_by if fits else None

            results = io.unique_names([r for n, d in stored if not n.lower().endswith(".csv")
                                       for r in load_upload(n, d, zip_group_by(n))])
            for table_name, table in tables:
                results = io.apply_label_table(results, table, name=table_name, group_by=group_by)
            name = "uploaded files"
        st.header("Target model")
        target = st.selectbox("The model you plan to feed", list(encoders.CATALOGUE), key="target",
                              help="Clips are checked against what this model expects (sample rate, speech or "
                                   "not, fixed input length).")
        spec = encoders.get_spec(target)
        st.caption(f"{spec.kind} model, {spec.sample_rate_hz} Hz"
                   + (f", fixed {spec.fixed_input_s:g} s input" if spec.fixed_input_s else "")
                   + f" - {spec.source}")
    link_to_url(DATASET_KEYS)
    clips = tuple(r for r in results if isinstance(r, Clip))
    failures = tuple(r for r in results if isinstance(r, LoadFailure))
    if run is not None and page:
        from pages import _run

        _run.show(page, run)
        st.stop()
    return Dataset(name or "", clips, failures, spec, run)


SERVER_ENTRY = "server_entry"  # session_state / URL: the data root entry chosen (its path relative to the root)
ENTRY_KINDS = {dataroot.FOLDER: "folder", dataroot.MANIFEST: "manifest", dataroot.RUN: "run folder"}


def server_data_root():
    """The server's data root (AUDIODIAG_DATA_ROOT, else `data_root` in secrets.toml), or None; a misconfigured
    one is said in the sidebar and offers nothing."""
    try:
        secret = st.secrets.get(dataroot.SECRETS_KEY)
    except FileNotFoundError:  # no secrets.toml anywhere
        secret = None
    try:
        return dataroot.configured_root(secret)
    except AudioDiagError as e:
        st.sidebar.error(md_escape(str(e)))
        return None


@st.cache_data(show_spinner="Loading from the server's data root ...", max_entries=16)
def load_server_entry(root: str, relative: str, stamp: str) -> list[Clip | LoadFailure]:
    """stamp: dataroot.fingerprint, so an entry changed on disk is loaded again (clips are then keyed by content)."""
    return dataroot.load_entry(root, relative)


def server_source(root) -> tuple[str, list[Clip | LoadFailure], object]:
    """Sidebar: pick one of the data root's entries; (its name, its clips and failures, a RunView for a run
    folder else None)."""
    entries = {e.name: e for e in dataroot.list_entries(root)}
    names = list(entries)
    linked_state({SERVER_ENTRY: names[0] if names else None}, allowed={SERVER_ENTRY: names})
    chosen = st.session_state[SERVER_ENTRY]  # re-set every run: kept across page switches, like the other keys
    st.session_state[SERVER_ENTRY] = chosen if chosen in names else (names[0] if names else None)  # or removed
    if not names:
        st.caption("The server's data root holds no dataset folders or manifests yet.")
        return "server data", [], None
    name = st.selectbox("Server folder", names, key=SERVER_ENTRY,
                        format_func=lambda n: f"{n} ({ENTRY_KINDS[entries[n].kind]})",
                        help="Datasets on this server (folders with one sub-folder per class, manifests with "
                             "path,label[,group] columns); only files inside the server's data root are readable.")
    entry = entries[name]
    try:
        if entry.kind == dataroot.RUN:
            from pages import _run

            view = _run.open_run(str(root), name, dataroot.fingerprint(root, name))
            st.caption(md_escape(f"Run folder: {view.n_clips:,} clips, spaces: {', '.join(view.space_names)}."))
            return name, [], view
        results = load_server_entry(str(root), name, dataroot.fingerprint(root, name))
        column = (manifest.open_manifest(entry.path).group_column if entry.kind == dataroot.MANIFEST else
                  io.table_group_column(table[1])[1] if (table := io.folder_label_table(entry.path)) else None)
    except AudioDiagError as e:
        return name, [LoadFailure(name, str(e))], None
    st.caption(md_escape(f"Groups: column '{column}'." if column else
                         "Groups: none: speaker/source leakage is unmeasured."))
    return name, results, None


AUTO_GROUPS = "auto"


def group_column_picker(tables: Sequence[tuple[str, bytes]]) -> str | None:
    """Sidebar: which column of the uploaded labels table (a CSV, or the groups.csv / labels.csv / metadata.csv
    inside an uploaded zip) holds the groups (speaker, session, source ...).
    Returns None (recognise by name), io.NO_GROUPS, or a column name; says which column is used."""
    if not tables:
        return None
    name, data = tables[0]
    columns, auto = io.table_group_column(data)
    options = [AUTO_GROUPS, *[c for c in columns if c.strip().lower() not in (*io.PATH_COLUMNS, "label", "reference")],
               io.NO_GROUPS]
    choice = st.selectbox("Group column", options, key="group_column",
                          format_func=lambda o: (f"auto: {auto}" if auto else "auto: none found") if o == AUTO_GROUPS
                          else "no groups" if o == io.NO_GROUPS else o,
                          help="Clips of one group (speaker, session, source recording) stay in one fold, so the "
                               "score says how a model does on new speakers or sources.")
    used = auto if choice == AUTO_GROUPS else None if choice == io.NO_GROUPS else choice
    st.caption(md_escape(f"Groups: column '{used}' of {name}." if used else
                         "Groups: none: speaker/source leakage is unmeasured (every score is an upper bound)."))
    return None if choice == AUTO_GROUPS else choice


NO_CLIPS = "No clips yet: pick a bundled sample set or drop a zip with one sub-folder per class in the sidebar."


def labelled_dataset(refusal: str, page: str) -> Dataset:
    """The sidebar dataset for pages that need labels; the page stops with the reason when it has none."""
    from audiodiag.errors import AudioDiagError

    data = dataset_picker(page)
    show_failures(data.failures)
    if not data.clips:
        st.info(NO_CLIPS)
        st.stop()
    try:
        compare.check_labels(data.clips)
    except AudioDiagError as e:
        st.error(f"{refusal}: {md_escape(str(e))}")
        st.stop()
    return data


RUNG_BOX = {"spectral baseline": st.info, "frozen encoder": st.success, "fine-tuning": st.success,
            "undecided": st.warning}  # the note's verdict box per rung (Decide, and run folders' Decide)

FAILURE_ROW_HEIGHT_PX = 90  # rows above 64 px wrap their text: four lines hold a decoder's error message


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


def coming_soon(issue: int, what: str) -> None:
    data = dataset_picker()
    st.info(f"Coming soon (issue #{issue}): {what}. The dataset picked in the sidebar "
            f"({md_escape(data.name)}, {len(data.clips)} clips) will be used here; open **Inspect** to check it now.")


# ---------------------------------------------------------------- spaces and comparisons (Compare, Embeddings, Decide)

@st.cache_resource(show_spinner="Loading the encoder ...", max_entries=4)
def encoder_model(name: str) -> encoders.Encoder:
    """One loaded model per server, shared by every session and page."""
    return encoders.load_encoder(name)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=32)
def _space_vectors(clips: tuple[Clip, ...], space: str, padding_s: float | None, layer: int | None,
                   feature_settings: tuple[int, ...]) -> spaces.SpaceVectors:
    # the bar is created inside: Streamlit replays elements made in a cached function on a hit
    label = md_escape(space)
    bar = st.progress(0.0, text=f"{label}: vectors for {len(clips)} clips ...")
    encoder = None if spaces.is_baseline(space) else encoder_model(space)
    vectors = spaces.space_vectors(
        clips, space, padding=spaces.PaddingPolicy(padding_s), layer=layer, encoder=encoder,
        feature_settings=FeatureSettings(*feature_settings),
        progress=lambda done, total: bar.progress(done / max(total, 1), text=f"{label}: encoded {done} of {total} clips"))
    bar.empty()
    return vectors


def space_vectors(data: Dataset, space: str, *, padding_s: float | None = None, layer: int | None = None,
                  feature_settings: tuple[int, ...] = ()) -> spaces.SpaceVectors:
    """Vectors of the sidebar dataset in one space, with a progress bar; cached in memory and (encoders) on disk.

    feature_settings: FeatureSettings fields in order (sample_rate_hz, n_mels, n_mfcc, n_fft, hop_length); () =
    defaults. Raises AudioDiagError (unknown encoder, hub unreachable) for the page to show.
    """
    return _space_vectors(data.clips, space, padding_s, layer, tuple(feature_settings))


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _compare(clips: tuple[Clip, ...], space_names: tuple[str, ...], n_splits: int, group_aware: bool,
             padding_s: float | None, layer: int | None, feature_settings: tuple[int, ...],
             _vectors: tuple[spaces.SpaceVectors, ...]) -> compare.Comparison:
    bar = st.progress(0.0, text="Cross-validating every space on the same folds ...")
    result = compare.compare(clips, _vectors, n_splits=n_splits, group_aware=group_aware,
                             padding=spaces.PaddingPolicy(padding_s),
                             progress=lambda fraction, message: bar.progress(fraction, text=md_escape(message)))
    bar.empty()
    return result


def run_comparison(data: Dataset, space_names: list[str], *, n_splits: int = 5, group_aware: bool = True,
                   padding_s: float | None = None, layer: int | None = None,
                   feature_settings: tuple[int, ...] = ()) -> tuple[compare.Comparison, tuple[tuple[str, str], ...]]:
    """Baseline first, then each encoder: vectors (cached) and the cross-validated comparison (cached).

    Returns (comparison of the spaces that ran, ((encoder, why it could not run), ...)): one encoder that is not
    installed or needs the hub offline never discards the others. Raises AudioDiagError when the baseline or the
    comparison itself fails (bad labels), for the page to show.
    """
    vectors, unavailable = spaces.vectors_per_space(space_names, lambda s: space_vectors(
        data, s, padding_s=padding_s, layer=None if spaces.is_baseline(s) else layer,
        feature_settings=feature_settings))
    result = _compare(data.clips, tuple(v.space for v in vectors), n_splits, group_aware, padding_s, layer,
                      tuple(feature_settings), tuple(vectors))
    return result, tuple(unavailable)


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
        "random-split accuracy": ("— (folds are random already)" if r.split_check is None
                                  else _score(r.split_check.random_accuracy)),
        "extraction (ms/clip)": ("— (not measured)" if r.seconds_per_clip != r.seconds_per_clip
                                 else f"{r.seconds_per_clip * 1e3:.2f}"),
        "embedding size": r.embedding_size,
        "model size (MB)": NOT_MEASURED if r.model_mb != r.model_mb else f"{r.model_mb:.1f}",
    } for r in result.rungs])


# ---------------------------------------------------------------- decision (Decide)

def decide_settings() -> dict:
    """One set of settings for the comparison behind the note: the Compare page's last request, else the
    Compare settings in the URL (a shared link), else the CLI's defaults. Mirrored into the URL."""
    from audiodiag import decide

    request = st.session_state.get("compare_request")
    if request:
        settings = dict(request)
    else:
        chosen = _from_url("compare_encoders", list(decide.DEFAULT_ENCODERS), None)
        custom = _from_url("compare_custom", "", None).strip()
        layer = _from_url("compare_layer", -1, None)
        padded = _from_url("compare_padding", "none", ["none", "pad or trim"]) == "pad or trim"
        settings = {"spaces": list(dict.fromkeys([spaces.BASELINE, *chosen, *([custom] if custom else [])])),
                    "n_splits": _from_url("compare_folds", 5, None),
                    "group_aware": _from_url("compare_groups", True, None),
                    "padding_s": _from_url("compare_pad_s", 1.0, None) if padded else None,
                    "layer": None if layer == -1 else layer, "features": []}
    st.query_params.update({
        "compare_encoders": [s for s in settings["spaces"] if not spaces.is_baseline(s)],
        "compare_folds": str(settings["n_splits"]), "compare_groups": str(settings["group_aware"]).lower(),
        "compare_padding": "none" if settings["padding_s"] is None else "pad or trim",
        "compare_layer": str(-1 if settings["layer"] is None else settings["layer"])})
    if settings["padding_s"] is not None:
        st.query_params["compare_pad_s"] = str(settings["padding_s"])
    show_share_link()
    return settings


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _decision(clips: tuple[Clip, ...], dataset_name: str, settings_key: str, _vectors, _comparison, _report):
    from audiodiag import decide

    bar = st.progress(0.0, text="Learning curves ...")
    decision = decide.classification_decision(
        dataset_name, clips, _vectors, _comparison, _report.stats, _report.speech,
        progress=lambda fraction, message: bar.progress(fraction, text=md_escape(message)))
    bar.empty()
    return decision


def classification_decision(data: Dataset, settings: dict):
    """The comparison (shared with the Compare page's cache), then curves, audit and the note; cached."""
    import json

    from audiodiag.report import with_unavailable

    result, unavailable = run_comparison(data, settings["spaces"], n_splits=settings["n_splits"],
                                         group_aware=settings["group_aware"], padding_s=settings["padding_s"],
                                         layer=settings["layer"], feature_settings=tuple(settings["features"]))
    vectors = tuple(space_vectors(data, r.space, padding_s=settings["padding_s"],
                                  layer=None if spaces.is_baseline(r.space) else settings["layer"],
                                  feature_settings=tuple(settings["features"])) for r in result.rungs)
    report = analyse(data)
    decision = _decision(data.clips, data.name, json.dumps(settings, sort_keys=True), vectors, result, report)
    return replace(decision, note=with_unavailable(decision.note, unavailable))


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=8)
def _all_layers(clips: tuple[Clip, ...], name: str) -> dict[str, np.ndarray]:
    with st.spinner(f"Hidden states of every layer of {md_escape(name)} for {len(clips)} clips ..."):
        return encoder_model(name).embed_all_layers(clips)


def all_layers(data: Dataset, name: str) -> dict[str, np.ndarray]:
    """Every hidden layer pooled (mean, mean+std) for a Hugging Face encoder: one extraction, cached."""
    return _all_layers(data.clips, name)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=4)
def _finetune(clips: tuple[Clip, ...], request_key: str, fold_of_sample: tuple[int, ...], _folds):
    import json

    from audiodiag import finetune

    request = json.loads(request_key)
    settings = finetune.FinetuneSettings(top_layers=request["top_layers"], epochs=request["epochs"],
                                         learning_rate=request["learning_rate"])
    bar = st.progress(0.0, text="Fine-tuning ...")  # inside: replayed on a cache hit
    result = finetune.finetune_cross_validated(
        encoder_model(request["model"]), clips, [c.label for c in clips], _folds, settings,
        progress=lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=md_escape(message)))
    bar.empty()
    return result


def finetune_run(data: Dataset, request: dict, folds):
    """Partial fine-tuning on the comparison's folds, with a progress bar; cached per clips and settings."""
    import json

    return _finetune(data.clips, json.dumps(request, sort_keys=True), tuple(int(f) for f in folds.fold_of_sample),
                     folds)


# ---------------------------------------------------------------- embeddings (Embeddings page)

EMBEDDINGS_AUTO_RUN_MAX_CLIPS = 500  # without a Compare run, larger datasets wait for the button


def vectors_digest(vectors: np.ndarray) -> str:
    """Content hash of a vector matrix (dtype, shape and every value): the cache key of what is computed on it."""
    import hashlib

    array = np.ascontiguousarray(vectors)
    digest = hashlib.blake2b(f"{array.dtype}{array.shape}".encode(), digest_size=16)
    digest.update(array.tobytes())
    return digest.hexdigest()


@st.cache_data(show_spinner=False, max_entries=64)
def _umap(digest: str, n_neighbors: int, min_dist: float, n_epochs: int | None, _vectors: np.ndarray):
    from audiodiag import projection

    return projection.umap_2d(_vectors, n_neighbors=n_neighbors, min_dist=min_dist, n_epochs=n_epochs)


def umap_projection(vectors: spaces.SpaceVectors, *, n_neighbors: int, min_dist: float, n_epochs: int | None = None):
    """UMAP map of one space, cached on the vectors' content hash and the UMAP settings only: colouring the
    map differently reuses it. Raises AudioDiagError (too few clips) for the page to show."""
    return _umap(vectors_digest(vectors.vectors), int(n_neighbors), float(min_dist), n_epochs, vectors.vectors)


@st.cache_data(show_spinner=False, max_entries=64)
def _retrieval(digest: str, space: str, labels: tuple, groups: tuple | None, exclude_same_group: bool, n_boot: int,
               _vectors: np.ndarray):
    from audiodiag import retrieval

    return retrieval.retrieval_metrics(_vectors, list(labels), groups=None if groups is None else list(groups),
                                       exclude_same_group=exclude_same_group, n_boot=n_boot, space=space)


def retrieval_metrics(data: Dataset, vectors: spaces.SpaceVectors, *, exclude_same_group: bool = False,
                      n_boot: int = 1000):
    """Leave-one-out retrieval metrics of one space on the sidebar dataset, cached (vectors' hash + settings).
    Groups are used when every clip has one."""
    groups = tuple(c.group for c in data.clips)
    return _retrieval(vectors_digest(vectors.vectors), vectors.space, tuple(c.label for c in data.clips),
                      groups if all(g is not None for g in groups) else None, bool(exclude_same_group), int(n_boot),
                      vectors.vectors)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def exact_duplicates(clips: tuple[Clip, ...]) -> list[tuple[int, ...]]:
    """Groups of clips with identical decoded audio (audiodiag.duplicates), cached per dataset."""
    from audiodiag import duplicates

    return duplicates.exact_duplicates(clips)


@st.cache_data(show_spinner=False, max_entries=64)
def _near_duplicates(digest: str, space: str, exact: tuple, _vectors: np.ndarray):
    from audiodiag import duplicates

    return duplicates.near_duplicates(_vectors, space=space, exact=exact)


def near_duplicates(vectors: spaces.SpaceVectors, exact: Sequence[tuple[int, ...]]):
    """Near-duplicate pairs in one space (cosine ≥ duplicates.NEAR_DUPLICATE_COSINE), exact ones left out; cached."""
    return _near_duplicates(vectors_digest(vectors.vectors), vectors.space, tuple(map(tuple, exact)), vectors.vectors)


def duplicate_statement(data: Dataset) -> list[Finding]:
    """The identical-clip findings for this dataset against the Compare page's folds (when the clips can be
    split): the same finding, word for word, that Compare, Embeddings and Decide show."""
    from audiodiag import duplicates

    exact = exact_duplicates(data.clips)
    if not duplicates.exact_pairs(exact):
        return []
    settings = compare_page_settings(data)
    try:
        folds = duplicates.comparison_folds(data.clips, n_splits=settings["n_splits"],
                                            group_aware=settings["group_aware"])
    except AudioDiagError:
        folds = None
    return [f for f in duplicates.leakage_findings(data.clips, folds, exact=exact)
            if f.code.startswith("duplicate")]


def compare_page_settings(data: Dataset) -> dict:
    """The Compare page's choices, read only: its last run ("compare_request"), else its widgets' current values,
    else its defaults. Keys: spaces (baseline first), padding_s, layer, features, n_splits, group_aware."""
    request = st.session_state.get("compare_request")
    if request:
        return {"spaces": list(request["spaces"]), "padding_s": request.get("padding_s"),
                "layer": request.get("layer"), "features": list(request.get("features") or []),
                "n_splits": int(request.get("n_splits", 5)), "group_aware": bool(request.get("group_aware", True))}
    state = st.session_state
    chosen = list(state.get("compare_encoders", [encoders.WHISPER_UNPADDED]))
    custom = str(state.get("compare_custom", "") or "").strip()
    median_s = float(np.median([c.duration_s for c in data.clips])) if data.clips else 1.0
    padded = state.get("compare_padding", "none") == "pad or trim"
    layer = state.get("compare_layer", -1)
    return {"spaces": list(dict.fromkeys([spaces.BASELINE, *chosen, *([custom] if custom else [])])),
            "padding_s": float(state.get("compare_pad_s", round(median_s, 2))) if padded else None,
            "layer": None if layer in (None, -1) else int(layer), "features": [],
            "n_splits": int(state.get("compare_folds", 5)), "group_aware": bool(state.get("compare_groups", True))}


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
    """One row per space: the leave-one-out retrieval metrics with 95 % CIs, silhouettes and the group pull."""
    import pandas as pd

    return pd.DataFrame([{
        "space": r.space,
        "precision@1 [95% CI]": _with_ci(r.precision_at_1),
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


# ---------------------------------------------------------------- transcription (Transcribe)

@st.cache_resource(show_spinner="Loading the ASR model ...", max_entries=3)
def transcriber(name: str):
    """One loaded ASR model per server, shared by every session."""
    from audiodiag import asr

    return asr.load_transcriber(name)


@st.cache_data(show_spinner=False, hash_funcs=_HASH, max_entries=16)
def _transcripts(clips: tuple[Clip, ...], model: str, settings: tuple) -> list[str]:
    from audiodiag import asr

    bar = st.progress(0.0, text=f"{md_escape(model)}: transcribing {len(clips)} utterances ...")
    texts = asr.transcribe_cached(transcriber(model), clips, asr.DecodingSettings(*settings),
                                  progress=lambda done, total: bar.progress(done / total,
                                                                            text=f"Transcribed {done} of {total}"))
    bar.empty()
    return texts


def transcripts(clips: tuple[Clip, ...], model: str, settings: tuple) -> list[str]:
    """Transcripts with a progress bar per utterance; cached in memory and on disk (audio hash, model, settings)."""
    return _transcripts(clips, model, tuple(settings))


# ---------------------------------------------------------------- WER scoring (Transcribe)

@st.cache_data(show_spinner="Scoring transcripts ...", max_entries=32)
def wer_scores(references: tuple[str, ...], hypotheses: tuple[str, ...], normalisation: str):
    """audiodiag.wer.score, cached on the texts and the normalisation. Raises AudioDiagError (all references
    empty) for the page to show."""
    from audiodiag import wer

    return wer.score(list(references), list(hypotheses), normalisation=normalisation)


@st.cache_data(show_spinner=False, max_entries=32)
def wer_slices(references: tuple[str, ...], hypotheses: tuple[str, ...], normalisation: str,
               slices: tuple[tuple[str, tuple[str, ...]], ...]):
    """Corpus WER with a CI per slice value; `slices` is ((slice name, one value per utterance), ...)."""
    from audiodiag import wer

    return wer.slice_scores(wer_scores(references, hypotheses, normalisation), dict(slices))


@st.cache_data(show_spinner="Paired bootstrap of the two systems ...", max_entries=16)
def wer_comparison(references: tuple[str, ...], hypotheses_a: tuple[str, ...], hypotheses_b: tuple[str, ...],
                   normalisation: str):
    """System B against A on the same utterances: per-utterance differences and the paired bootstrap."""
    from audiodiag import wer

    return wer.compare_systems(wer_scores(references, hypotheses_a, normalisation),
                               wer_scores(references, hypotheses_b, normalisation))
