"""Every page on a run folder (`report --out-dir` under the server's data root): shown from the folder, nothing
recomputed. Tables page through the clips; maps use a stratified sample; one clip's audio is read when opened."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audiodiag.asr import normalisers
from audiodiag.errors import AudioDiagError
from audiodiag.plots.comparison import confusion_figure
from audiodiag.plots.embedding_map import embedding_map_figure
from audiodiag.runs import run_folder, run_view
from audiodiag.verdict import Kind, ladder_chart
from pages import _cache as cache
from pages import _display as display
from pages import _links as links

PAGE_KEY, CLIP_KEY = "run_table_page", "run_clip"


@st.cache_resource(show_spinner="Opening the run folder ...", max_entries=4)
def open_run(root: str, relative: str, stamp: str) -> run_view.RunView:
    """stamp: dataroot.fingerprint, so a run written again is opened again."""
    return run_view.RunView.open(root, relative)


@st.cache_data(show_spinner=False, max_entries=4)
def _summary(path: str, stamp: str, _view: run_view.RunView) -> run_view.RunSummary:
    return _view.summary()


def summary(view: run_view.RunView) -> run_view.RunSummary:
    return _summary(str(view.path), view.meta.get("date", ""), view)


def header(view: run_view.RunView) -> run_view.RunSummary:
    s = summary(view)
    st.info(display.md_escape(f"Run folder '{view.path.name}' ({s.dataset}, {s.engine} engine, {s.date}): every "
                              "number below comes from the run; nothing is recomputed. To change settings, run "
                              f"again: {s.command}"))
    if s.not_used:
        with st.expander(f"{len(s.not_used)} input(s) the run could not use"):
            st.dataframe({"problem": list(s.not_used)}, hide_index=True, width="stretch")
    return s


def show(page: str, view: run_view.RunView) -> None:
    """The page's view of the run folder."""
    try:
        {"Inspect": inspect, "Compare": compare, "Embeddings": embeddings, "Transcribe": transcribe,
         "Decide": decide}[page](view)
    except (AudioDiagError, OSError, ValueError, KeyError) as e:  # a damaged or partial run folder
        st.error(display.md_escape(f"{view.path.name}: cannot be shown ({e}); write the run again with "
                                   "`python -m audiodiag report DATA --out-dir RUN/`"))


def inspect(view: run_view.RunView) -> None:
    s = header(view)
    cols = st.columns(5)
    cols[0].metric("Clips", f"{s.n_clips:,}")
    cols[1].metric("Hours", f"{s.total_hours:.1f}")
    cols[2].metric("Median duration", f"{s.median_duration_s:.2f} s")
    rates = ", ".join(f"{r / 1000:g} kHz" for r in s.sample_rates)
    cols[3].metric("Sample rates", rates if len(s.sample_rates) <= 2 else f"{len(s.sample_rates)} rates",
                   help=", ".join(f"{r} Hz: {n:,} clips" for r, n in s.sample_rates.items()))
    cols[4].metric("Clips with findings", f"{sum(1 for c in view.column('finding_codes') if c):,}")
    if s.findings:
        st.subheader("Findings")
        st.dataframe({"finding": list(s.findings), "clips": [n for n, _ in s.findings.values()],
                      "example": [example for _, example in s.findings.values()]},
                     hide_index=True, width="stretch", column_config=display.wide_columns("example"))
    st.subheader("Clips")
    pages = max(1, -(-s.n_clips // run_view.PAGE_ROWS))
    links.linked_state({PAGE_KEY: 1}, allowed={PAGE_KEY: range(1, pages + 1)})
    page = st.number_input(f"Page (of {pages:,}; {run_view.PAGE_ROWS} clips each)", 1, pages, key=PAGE_KEY)
    start = (int(page) - 1) * run_view.PAGE_ROWS
    st.dataframe(view.page(start), hide_index=True, width="stretch", placeholder=run_view.MISSING,
                 column_config=display.wide_columns("file", "findings"))
    st.caption(f"Clips {start + 1:,}–{min(start + run_view.PAGE_ROWS, s.n_clips):,} of {s.n_clips:,}.")
    st.subheader("Listen to one clip")
    links.linked_state({CLIP_KEY: start}, allowed={CLIP_KEY: range(s.n_clips)})
    links.link_to_url([PAGE_KEY, CLIP_KEY])
    index = st.number_input("Clip # (the table's first column)", 0, s.n_clips - 1, key=CLIP_KEY)
    if st.button("Open this clip"):
        try:
            clip = view.clip(int(index))
        except AudioDiagError as e:
            st.warning(display.md_escape(str(e)))
            return
        st.markdown(display.md_escape(f"**{clip.name}**"))
        display.play(clip)
        st.plotly_chart(cache.waveform(clip, None), width="stretch")
        st.plotly_chart(cache.spectrogram(clip), width="stretch")


def compare(view: run_view.RunView) -> None:
    header(view)
    if not classification_only(view):
        return
    data = view.note["data"]["comparison"] if "comparison" in view.note.get("data", {}) else None
    if data:
        st.caption(display.md_escape(f"{data['folds_note']} Classifier: {data['classifier']}; padding: "
                                     f"{data['padding']}."))

    note = view.note
    table = next((sec["table"] for sec in note.get("sections", []) if sec.get("table")), None)
    if table:  # the note's own rung table and pair claims: nothing is re-worded or re-rounded here
        display.show_table(pd.DataFrame(table[1:], columns=table[0]))
    else:
        st.caption("This run folder's note has no rung table (a run from an older version): its note is on the "
                   "Decide page.")
    for claim in note.get("data", {}).get("claims", []):
        if claim["kind"] == Kind.ENCODER_VS_BASELINE:
            st.markdown(display.md_escape(claim["text"]))
    st.subheader("Confusion matrices (out-of-fold, every clip)")
    names = view.space_names
    for start in range(0, len(names), 2):
        for col, space in zip(st.columns(2), names[start:start + 2], strict=False):
            confusion = view.confusion(space)
            if confusion is None:
                col.caption(display.md_escape(f"{space}: the run folder holds no predictions (an older run)."))
                continue
            col.plotly_chart(confusion_figure(confusion.labels, confusion.counts, title=space),
                             width="stretch", key=f"run_confusion_{space}")
    label_issues(view.note.get("data", {}).get("label_issues", []))


def label_issues(per_space: list[dict]) -> None:
    """The note's possibly mislabelled clips per space (as the run found them; nothing is refitted)."""
    st.subheader("Possibly mislabelled clips")
    if not per_space:
        st.caption("This run folder's note has no label check (a run from an older version).")
        return
    for found in per_space:
        title = f"{found['space']}: {found['n_issues']} of {found['n_clips']} clips"
        with st.expander(display.md_escape(title if found["unavailable"] is None else
                                           f"{found['space']}: not checked ({found['unavailable']})")):
            st.dataframe({
                "file": [i["name"] for i in found["issues"]], "given": [i["given"] for i in found["issues"]],
                "suggested": [i["suggested"] for i in found["issues"]],
                "p(suggested)": [round(i["p_suggested"], 3) for i in found["issues"]],
                "p(given)": [round(i["p_given"], 3) for i in found["issues"]],
                "neighbours": [", ".join(f"{nb['name']} ({display.text_or_dash(nb['label'])})"
                                         for nb in i["neighbours"])
                               for i in found["issues"]]}, hide_index=True, width="stretch",
                column_config=display.wide_columns("file", "neighbours"))
            st.caption(display.md_escape(f"Found by {found['method']}. Candidates to re-listen to (open one under "
                                         "Inspect), not proven errors; nothing is relabelled."))


@st.cache_data(show_spinner=False, max_entries=8)
def _map(path: str, stamp: str, space: str, max_points: int, _view: run_view.RunView):
    from audiodiag.evaluation import projection

    rows = _view.sample(max_points)
    return rows, projection.umap_2d(_view.vectors(space)[rows])


def embeddings(view: run_view.RunView) -> None:
    s = header(view)
    if not classification_only(view):
        return
    links.linked_state({"run_space": view.space_names[0]}, allowed={"run_space": view.space_names})
    links.link_to_url(["run_space"])
    space = st.selectbox("Space", view.space_names, key="run_space")
    with st.status(f"UMAP of {space} ...", expanded=False) as box:
        rows, result = _map(str(view.path), view.meta.get("date", ""), space, run_view.MAP_MAX_POINTS, view)
        box.update(label=f"UMAP of {space}: done", state="complete")
    shown = (f"UMAP fitted on a stratified sample of {len(rows):,} of {s.n_clips:,} clips (each class in "
             "proportion); the metrics on the other pages use every clip.") if len(rows) < s.n_clips else \
        f"UMAP of all {s.n_clips:,} clips."
    names, labels = view.column("name"), view.labels
    figure = embedding_map_figure(result.coordinates, names=[names[i] for i in rows],
                                  labels=[labels[i] for i in rows], colour_values=[labels[i] for i in rows],
                                  colour_name="label", categorical=True, title=f"{space}: {shown}")
    st.plotly_chart(figure, width="stretch", key="run_map")
    st.caption(shown)


def classification_only(view: run_view.RunView) -> bool:
    """False (and says why) for a transcription run, which has no vectors, folds or predictions."""
    if view.task == "classify":
        return True
    st.info("This run folder holds a transcription run (`report --task transcribe --out-dir`): no vectors, "
            "folds or predictions. Its WER is on the Transcribe page, its note on the Decide page.")
    return False


@st.cache_data(show_spinner="Scoring the stored transcripts ...", max_entries=8)
def _scores(path: str, stamp: str, normalisation: str, _view: run_view.RunView):
    return _view.scores(normalisation)


def transcribe(view: run_view.RunView) -> None:
    from audiodiag.asr import wer

    header(view)
    if view.task != "transcribe":
        st.info("This run folder holds a classification run (`report --task classify --out-dir`); transcripts "
                "are not part of it. Stream transcripts with `python -m audiodiag report DATA --task transcribe "
                "--out-dir RUN/`, or open the data folder itself (not the run) on this page.")
        return
    settings = view.meta.get("settings", {})
    links.linked_state({"run_norm": settings.get("normalisation", "basic")},
                       allowed={"run_norm": list(normalisers.names())})
    links.link_to_url(["run_norm"])
    how = st.radio("Text normalisation before WER", list(normalisers.names()), horizontal=True, key="run_norm")
    rows, scores = _scores(str(view.path), view.meta.get("date", ""), how, view)
    est = scores.corpus_wer
    cols = st.columns(4)
    rate = wer.format_rate  # the one way a WER or CER is written (the note's too)
    cols[0].metric("Corpus WER", rate(est.value), help=f"95% CI {rate(est.ci_low)} – {rate(est.ci_high)} "
                   "(bootstrap over utterances)")
    cols[1].metric("Scored utterances", f"{len(rows):,}", help="Clips with a reference transcript.")
    cols[2].metric("CER", rate(scores.cer))
    cols[3].metric("Model", display.text_or_dash(settings.get("model")))
    st.caption(f"95% CI of the corpus WER: {rate(est.ci_low)} – {rate(est.ci_high)}. Substitutions "
               f"{scores.substitutions:,}, deletions {scores.deletions:,}, insertions {scores.insertions:,} over "
               f"{scores.reference_words:,} reference words. Transcripts come from the run; nothing is "
               "transcribed again.")
    st.subheader("Worst utterances")
    names = view.column("name")
    wers = scores.wers  # NaN: an empty reference (no WER possible)
    order = sorted(range(len(rows)), key=lambda k: (wers[k] != wers[k], -wers[k] if wers[k] == wers[k] else 0))
    shown = order[:run_view.PAGE_ROWS]
    st.dataframe({"file": [names[rows[k]] for k in shown],
                  "WER": [rate(wers[k]) if wers[k] == wers[k] else "— (empty reference)" for k in shown],
                  "reference (normalised)": [scores.utterances[k].reference for k in shown],
                  "transcript (normalised)": [scores.utterances[k].hypothesis for k in shown]},
                 hide_index=True, width="stretch",
                 column_config=display.wide_columns("reference (normalised)", "transcript (normalised)"))
    st.caption(f"The {len(shown):,} utterances with the highest WER of {len(rows):,}.")


def decide(view: run_view.RunView) -> None:
    header(view)
    note = view.note
    st.header("Decision note")
    display.RUNG_BOX.get(note.get("rung"), st.info)(f"**{display.md_escape(note.get('verdict', ''))}**")
    if note.get("data", {}).get("ladder"):
        st.plotly_chart(ladder_chart.ladder_figure(note["data"]["ladder"]), width="stretch",
                        config=ladder_chart.LADDER_CONFIG,
                        key="run_ladder")
    display.show_note_sections(note.get("sections", []))
    left, middle, right = st.columns(3)
    left.download_button("Download the note (Markdown)", view.note_markdown, file_name=f"{view.path.name}-note.md",
                         mime="text/markdown")
    middle.download_button("Download the note with every number and setting (JSON)",
                           (view.path / run_folder.NOTE_JSON).read_text(), file_name=f"{view.path.name}-note.json",
                           mime="application/json")
    right.download_button("Download the note (HTML)", lambda: note_html(view), file_name=f"{view.path.name}-note.html",
                          mime="text/html")


def note_html(view: run_view.RunView) -> str:
    """The run's note.html; a run folder written before there was one gets it made from its note.json."""
    from audiodiag.verdict import note_html as rendered

    path = view.path / run_folder.NOTE_HTML
    return path.read_text() if path.is_file() else rendered.render(view.note)
