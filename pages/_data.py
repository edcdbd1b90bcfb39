"""The sidebar's dataset: the picker (bundled sample sets, uploads, the server's data root), uploads decoded into
clips, and the Dataset every page works on.

Imports pages/_links.py (the picker's keys travel in links) and pages/_display.py, never the reverse.
"""
from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from audiodiag import model_cards
from audiodiag.data import dataroot, layout, manifest, sample_sets, tables
from audiodiag.errors import AudioDiagError
from audiodiag.represent import encoders
from audiodiag.types import Clip, LoadFailure
from pages import _links as links
from pages._dataset import Dataset
from pages._display import md_escape, show_failures

UPLOAD_KEY = "uploads"  # session_state: [(name, bytes)]; per browser session, never shared
SOURCE_SAMPLE, SOURCE_UPLOAD = "Bundled sample set", links.SOURCE_UPLOAD
SOURCE_SERVER = "Server folder"  # offered only when the server has a data root (AUDIODIAG_DATA_ROOT / data_root)


@st.cache_data(show_spinner="Loading the sample set ...")
def load_sample_set(name: str) -> list[Clip | LoadFailure]:
    return sample_sets.load_sample_set(name)


@st.cache_data(show_spinner="Decoding uploaded files ...", max_entries=64)
def load_upload(name: str, data: bytes, group_by: str | None = None) -> list[Clip | LoadFailure]:
    return layout.load_batch([(name, data)], group_by=group_by)


def _remember_uploads() -> None:
    files = st.session_state.get("uploader") or []
    st.session_state[UPLOAD_KEY] = [(f.name, f.getvalue()) for f in files]  # a list: two "a.wav" are two files


DATASET_KEYS = ("source", "sample_set", "target", "server_entry")


def dataset_picker(page: str = "", *, share_link: bool = True) -> Dataset:
    """Sidebar: choose the dataset and the target model once; every page works on that choice. A run folder
    chosen under the server's data root is shown by pages/_run.py for `page` instead, and the page stops.
    share_link False: the dataset keys go into the URL, the "Copy link to this view" box is left for the page to
    draw (links.show_share_link) after its first chart, which its code box would otherwise delay in the browser
    (the box loads Streamlit's code highlighter, 1.6 MB of JavaScript)."""
    slot = st.session_state.get(links.SHARE_SLOT)
    if slot is not None:  # a new run: the share box is drawn afresh (a page switch may not rerun app.py)
        st.session_state[links.SHARE_SLOT] = (*slot[:2], None)
    sets = sample_sets.list_sample_sets()
    root = server_data_root()
    sources = [SOURCE_SAMPLE, SOURCE_UPLOAD] + ([SOURCE_SERVER] if root else [])
    defaults = {"source": SOURCE_SAMPLE, "target": encoders.DEFAULT_TARGET,
                "sample_set": (sample_sets.DEFAULT_SET if sample_sets.DEFAULT_SET in sets
                               else (sets[0] if sets else None))}
    links.linked_state(defaults, allowed={"source": sources, "sample_set": sets,
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
                                help="\n".join(f"- **{k}**: {v}" for k, v in sample_sets.DESCRIPTIONS.items()))
            results = load_sample_set(name) if name else []
            st.caption(sample_sets.DESCRIPTIONS.get(name, ""))
            table = layout.folder_label_table(sample_sets.sample_set_dir(name)) if name else None
            if table is not None:
                _, column = tables.table_group_column(table[1])
                st.caption(md_escape(f"Groups: column '{column}' of {table[0]}." if column else
                                     f"Groups: none ({table[0]} has no group column): leakage is unmeasured."))
                show_unused_columns(tables.table_unused_columns(table[1], name=table[0]))
        else:
            st.file_uploader("Drop clips (+ an optional labels CSV: path,label,group) or a zipped folder (one sub-folder per class)", key="uploader",
                             type=list(layout.UPLOAD_EXTENSIONS), accept_multiple_files=True,
                             on_change=_remember_uploads)
            stored = st.session_state.get(UPLOAD_KEY, [])
            if stored and not st.session_state.get("uploader"):
                st.caption(f"Using {len(stored)} file(s) uploaded earlier in this session.")
            label_tables = [(n, d) for n, d in stored if n.lower().endswith(".csv")]
            inside = {n: t for n, d in stored if n.lower().endswith(".zip")
                      for t in [layout.zip_label_table(d, name=n)] if t}
            group_by = group_column_picker(label_tables + list(inside.values()))  # a CSV upload, else a zip's own table

            def zip_group_by(name: str) -> str | None:  # the choice, where this zip's table has that column
                table = inside.get(name)
                fits = group_by in (None, tables.NO_GROUPS) or (
                    table is not None and tables.table_group_column(table[1], group_by=group_by)[1] is not None)
                return group_by if fits else None

            results = layout.unique_names([r for n, d in stored if not n.lower().endswith(".csv")
                                           for r in load_upload(n, d, zip_group_by(n))])
            for table_name, table in label_tables:
                results = tables.apply_label_table(results, table, name=table_name, group_by=group_by)
            name = "uploaded files"
        st.header("Target model")
        target = st.selectbox("The model you plan to feed", list(encoders.CATALOGUE), key="target",
                              help="Clips are checked against what this model expects (sample rate, speech or "
                                   "not, fixed input length).\n\n" + model_cards.picker_help(
                                       [n for n in encoders.CATALOGUE if n in encoders.BUNDLED], escape=md_escape))
        spec = encoders.get_spec(target)
        st.caption(f"{spec.kind} model, {spec.sample_rate_hz} Hz"
                   + (f", fixed {spec.fixed_input_s:g} s input" if spec.fixed_input_s else "")
                   + f" - {spec.source}"
                   + (f" (not installed here: `{encoders.install_command(spec.name)}`)"
                      if encoders.install_command(spec.name) else ""))
        st.caption(md_escape(model_cards.licence_line(target)))
    links.link_to_url(DATASET_KEYS, show_link=share_link)
    clips = tuple(r for r in results if isinstance(r, Clip))
    failures = tuple(r for r in results if isinstance(r, LoadFailure))
    if run is not None and page:
        from pages import _run

        links.show_share_link()
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
    links.linked_state({SERVER_ENTRY: names[0] if names else None}, allowed={SERVER_ENTRY: names})
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
        table = layout.folder_label_table(entry.path) if entry.kind != dataroot.MANIFEST else None
        opened = manifest.open_manifest(entry.path) if entry.kind == dataroot.MANIFEST else None
        column = (opened.group_column if opened else tables.table_group_column(table[1])[1] if table else None)
        unused = (opened.unused_columns if opened else
                  tables.table_unused_columns(table[1], name=table[0]) if table else None)
    except AudioDiagError as e:
        return name, [LoadFailure(name, str(e))], None
    st.caption(md_escape(f"Groups: column '{column}'." if column else
                         "Groups: none: speaker/source leakage is unmeasured."))
    show_unused_columns(unused)
    return name, results, None


AUTO_GROUPS = "auto"


def group_column_picker(label_tables: Sequence[tuple[str, bytes]]) -> str | None:
    """Sidebar: which column of the uploaded labels table (a CSV, or the groups.csv / labels.csv / metadata.csv
    inside an uploaded zip) holds the groups (speaker, session, source ...).
    Returns None (recognise by name), io.NO_GROUPS, or a column name; says which column is used."""
    if not label_tables:
        return None
    name, data = label_tables[0]
    columns, auto = tables.table_group_column(data)
    not_groups = (*tables.PATH_COLUMNS, "label", "reference")
    options = [AUTO_GROUPS, *[c for c in columns if c.strip().lower() not in not_groups],
               tables.NO_GROUPS]
    choice = st.selectbox("Group column", options, key="group_column",
                          format_func=lambda o: (f"auto: {auto}" if auto else "auto: none found") if o == AUTO_GROUPS
                          else "no groups" if o == tables.NO_GROUPS else o,
                          help="Clips of one group (speaker, session, source recording) stay in one fold, so the "
                               "score says how a model does on new speakers or sources.")
    used = auto if choice == AUTO_GROUPS else None if choice == tables.NO_GROUPS else choice
    st.caption(md_escape(f"Groups: column '{used}' of {name}." if used else
                         "Groups: none: speaker/source leakage is unmeasured (every score is an upper bound)."))
    show_unused_columns(tables.table_unused_columns(data, name=name, group_by=used or tables.NO_GROUPS))
    return None if choice == AUTO_GROUPS else choice


def show_unused_columns(unused: tables.UnusedColumns | None) -> None:
    """Sidebar: the labels table's (or manifest's) columns that nothing reads, named (io.UnusedColumns.message)."""
    if unused is not None:
        st.caption(md_escape(unused.message))


NO_CLIPS = "No clips yet: pick a bundled sample set or drop a zip with one sub-folder per class in the sidebar."


def labelled_dataset(refusal: str, page: str) -> Dataset:
    """The sidebar dataset for pages that need labels; the page stops with the reason when it has none."""
    from audiodiag.evaluation import compare  # not imported before Inspect's first waveform

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
