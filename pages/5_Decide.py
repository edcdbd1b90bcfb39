"""Decide: learning curves, shortcut audit, layer sweep, the fine-tuning rung and the decision note."""
import json

import pandas as pd
import streamlit as st

from audiodiag import verdict
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import finetune, probing
from audiodiag.plots.curves import layer_sweep_figure, learning_curve_figure, loss_curves_figure
from audiodiag.represent import encoders, spaces
from audiodiag.settings import RetrievalSettings
from audiodiag.verdict import decide, ladder_chart, learning_curve, notes, pair_verdicts
from audiodiag.verdict.leakage import split_line
from pages import _cache as cache
from pages import _data as data_ui
from pages import _display as display
from pages import _fixes as wording
from pages import _links as links

FINETUNE_KEY = "decide_finetune"  # session_state: {"model": name, "settings": dict} of the last fine-tune request

VERDICT_BOX = {"yes": st.success, "no": st.info}  # encoder beats the baseline / does not; else inconclusive
TASKS = {"classify": "Classify short sounds", "retrieve": "Find similar clips", "transcribe": "Transcribe speech"}


def show_note(note: notes.DecisionNote, settings_payload: dict) -> None:
    """The note as the app shows it (user text escaped): its ladder chart first when it has one, then its sections,
    with Markdown, JSON and HTML downloads; inputs that were not used (files that failed to load, table rows naming
    missing files) are named in it."""
    note = notes.with_input_problems(note, [f.message for f in data.failures])
    st.header("Decision note")
    display.RUNG_BOX.get(note.rung, st.info)(f"**{display.md_escape(note.verdict)}**")
    if note.data.get("ladder"):
        st.plotly_chart(ladder_chart.ladder_figure(note.data["ladder"]), width="stretch",
                        config=ladder_chart.LADDER_CONFIG,
                        key="decide_ladder")
    display.show_note_sections(note.to_dict()["sections"])
    payload = note.to_dict()
    payload["settings"] = settings_payload
    cols = st.columns(3)
    cols[0].download_button("Download the note (Markdown)", note.to_markdown(), file_name="decision_note.md",
                            mime="text/markdown", key="decide_md")
    cols[1].download_button("Download the note with every number and setting (JSON)",
                            json.dumps(payload, indent=2, default=str), file_name="decision_note.json",
                            mime="application/json", key="decide_json")
    cols[2].download_button("Download the note (HTML)", note.to_html,  # built on click: plotly.js makes it ~5 MB
                            file_name="decision_note.html", mime="text/html", key="decide_html")
    with st.expander("The note's numbers and settings (JSON)"):
        st.json(json.dumps(payload, default=str), expanded=False)


st.title("Decide: which rung does this task need?")
links.linked_state({"decide_task": "classify"}, allowed={"decide_task": list(TASKS)})
task = st.radio("Task", list(TASKS), format_func=TASKS.get, horizontal=True, key="decide_task")
links.link_to_url(["decide_task"])
if task == "transcribe":
    data_ui.dataset_picker("Decide")
    st.info("Transcription is scored on the Transcribe page (corpus WER with CIs, alignments, worst cases); its "
            "note is made there and by `python -m audiodiag report DATA --task transcribe`.")
    st.page_link("pages/4_Transcribe.py", label="Open the Transcribe page", icon=":material/record_voice_over:")
    st.stop()
data = data_ui.labelled_dataset("No decision is possible for this dataset", "Decide")

settings = links.decide_settings(data)
from_compare = links.COMPARE_REQUEST in st.session_state


def settings_line(folds: str, group_aware: bool, padding: str) -> str:
    return display.md_escape(f"Spaces: {', '.join(settings.spaces)}; {folds}, "
                             f"{'group-aware' if group_aware else 'random'}; padding {padding}. ") + (
        "These are the Compare page's settings." if from_compare else
        "Defaults (the same as `python -m audiodiag report`); change them on the Compare page.")


settings_caption = st.empty()  # rewritten with the folds actually used once the comparison exists
settings_caption.caption(settings_line(f"{settings.n_splits} folds asked", settings.group_aware,
                                       spaces.padding_label(settings.padding, settings.spaces)))
st.page_link("pages/2_Compare.py", label="Change the encoders and folds on the Compare page",
             icon=":material/compare_arrows:")

if task == "retrieve":
    has_groups = all(c.group is not None for c in data.clips)
    links.linked_state({"decide_exclude": RetrievalSettings().exclude_same_group})
    links.link_to_url(["decide_exclude"])
    asked = st.checkbox("A query's own group (speaker/source) does not count as a match", key="decide_exclude",
                        disabled=not has_groups,
                        help="On by default: another take of the same speaker or source is an easy match that says "
                             "little about new ones. The note shows precision@1 under the other rule too."
                        if has_groups else "Needs a group per clip (groups.csv / labels.csv: path,label,group).")
    exclude = asked and has_groups
    with display.long_step("Vectors and retrieval metrics ...", done="Measured",
                           failed="The retrieval note could not be made"):
        vectors, unavailable = spaces.vectors_per_space(list(settings.spaces),
                                                        lambda s: cache.space_vectors(data, s, settings))
        results = [cache.retrieval_metrics(data, v, exclude_same_group=exclude) for v in vectors]
        measured = cache.analyse(data)
        exact = cache.exact_duplicates(data.clips)
        retrieval_settings = RetrievalSettings(settings, exclude_same_group=asked)  # as the CLI would be asked
        note = wording.rendered(decide.retrieval_decision(
            data.name, data.clips, vectors, results, measured.stats, measured.speech,
            settings=retrieval_settings.to_dict(), padding=settings.padding, exact=exact,
            near={v.space: cache.near_duplicates(v, exact) for v in vectors if spaces.is_baseline(v.space)}))
    display.show_unavailable(unavailable)
    display.show_table(display.retrieval_table(results))
    st.page_link("pages/3_Embeddings.py", label="Maps, neighbours and duplicates on the Embeddings page",
                 icon=":material/scatter_plot:")
    show_note(notes.with_unavailable(note, unavailable),
              {**retrieval_settings.to_dict(), "dataset": data.name,
               "cli": retrieval_settings.to_command_line(data.name)})
    st.stop()

# the verdict first (it needs only the comparison); curves, audit and the note fill in below it
with display.long_step("Vectors and cross-validation on the same folds ...", done="Compared on the same folds",
                       failed="The comparison could not be made", expanded=True):
    comparison, unavailable = cache.run_comparison(data, settings)
used = comparison.folds.n_splits
settings_caption.caption(settings_line(
    f"{used} folds" + (f" ({settings.n_splits} asked; too few clips or groups for more)"
                       if used != settings.n_splits else ""),
    comparison.settings["group_aware"], comparison.settings["padding"]))
display.show_unavailable(unavailable)
st.subheader("Baseline vs frozen encoders")
for pair in comparison.paired:
    VERDICT_BOX.get(pair.verdict, st.warning)(f"**{display.md_escape(pair_verdicts.pair_headline(pair))}**")
if not comparison.paired:
    st.info("Only the spectral baseline ran: no encoder to compare it with.")
with display.long_step("Learning curves, shortcut audit and the note ...", done="Learning curves and audit measured",
                       failed="The decision could not be made", expanded=True):
    decision = cache.classification_decision(data, settings)

# ---------------------------------------------------------------- learning curves
st.subheader("Learning curves: would more labels help?")
n_classes = len(comparison.classes)
st.plotly_chart(learning_curve_figure(
    {c.name: [(round(p.mean_train_clips / n_classes, 1), p.accuracy_mean, p.accuracy_std) for p in c.points]
     for c in decision.curves}), width="stretch")
for curve in decision.curves:
    st.write(display.md_escape(learning_curve.curve(verdict.evidence.curve_of(curve)).text))  # the note's claim
st.caption("Each point: every training fold cut to at most that many clips per class (random draws, mean ± std), "
           "scored on the full test folds, the same folds as the comparison.")

# ---------------------------------------------------------------- audit
st.subheader("Shortcut and leakage audit")
audit = decision.audit
box = st.warning if audit.shortcut_suspected else st.success
box(display.md_escape(f"Metadata-only classifier: {audit.explanation}."))
display.show_table(pd.DataFrame({"metadata column": list(audit.importances),
                                 "accuracy drop when shuffled": [round(v, 3) for v in audit.importances.values()]}))
for rung in comparison.rungs:
    if rung.split_check is not None:
        check = st.warning if rung.split_check.leakage_suspected else st.write
        check(display.md_escape(split_line(rung.space, rung.split_check)))
if decision.findings:
    with st.expander(f"Data warnings ({len(decision.findings)})"):
        display.show_findings(decision.findings)

# ---------------------------------------------------------------- layer sweep
hf_spaces = [s for s in settings.encoders if not encoders.is_bundled(s)]
st.subheader("Layer and pooling sweep")
if not hf_spaces:
    st.info("The bundled encoders expose only their last layer. Add a Hugging Face encoder (an id or a local "
            "folder) on the Compare page to probe every hidden layer and two poolings.")
else:
    links.linked_state({"decide_sweep_model": hf_spaces[0]}, allowed={"decide_sweep_model": hf_spaces})
    links.link_to_url(["decide_sweep_model"])
    sweep_model = st.selectbox("Encoder", hf_spaces, key="decide_sweep_model")
    if st.button("Probe every layer", key="decide_sweep"):
        try:
            sweep = probing.layer_sweep(cache.encoder_model(sweep_model), data.clips, comparison.folds,
                                        hidden=cache.all_layers(data, sweep_model))
        except AudioDiagError as e:
            st.error(display.md_escape(str(e)))
        else:
            st.plotly_chart(layer_sweep_figure(
                [(s.layer, s.pooling, s.accuracy.value, s.accuracy.ci_low, s.accuracy.ci_high) for s in sweep.scores],
                title=f"Probe accuracy per layer: {sweep.encoder}"), width="stretch")
            (st.success if sweep.best != sweep.last else st.info)(display.md_escape(sweep.explanation))

# ---------------------------------------------------------------- rung 3
st.subheader("Rung 3: partial fine-tuning")
readiness = decision.readiness
st.caption(display.md_escape(finetune.RULE))
finetune_gain = None
if not readiness.ok:
    st.warning(f"**Fine-tuning refused.** {display.md_escape(readiness.reason)}")
elif not hf_spaces:
    st.info(f"{display.md_escape(readiness.reason)} Fine-tuning needs a Hugging Face encoder: add one (an id or a "
            "local folder) on the Compare page.")
else:
    st.write(display.md_escape(readiness.reason))
    defaults = finetune.FinetuneSettings()
    links.linked_state({"decide_ft_model": hf_spaces[0], "decide_ft_top": defaults.top_layers,
                        "decide_ft_epochs": defaults.epochs, "decide_ft_lr": defaults.learning_rate},
                       allowed={"decide_ft_model": hf_spaces})
    links.link_to_url(["decide_ft_model", "decide_ft_top", "decide_ft_epochs", "decide_ft_lr"])
    with st.form("decide_finetune_settings"):
        cols = st.columns(4)
        model = cols[0].selectbox("Encoder", hf_spaces, key="decide_ft_model")
        top = cols[1].number_input("Top layers to train", 1, 48, key="decide_ft_top")
        epochs = cols[2].number_input("Max epochs", 1, 100, key="decide_ft_epochs")
        lr = cols[3].number_input("Learning rate", 1e-6, 1e-2, format="%.0e", key="decide_ft_lr")
        if st.form_submit_button("Fine-tune on the same folds", type="primary"):
            st.session_state[FINETUNE_KEY] = {"model": model, "top_layers": int(top), "epochs": int(epochs),
                                              "learning_rate": float(lr)}
    request = st.session_state.get(FINETUNE_KEY)
    if request and request["model"] in hf_spaces:
        try:
            result = cache.finetune_run(data, request, comparison.folds)
        except AudioDiagError as e:
            st.error(display.md_escape(str(e)))
        else:
            finetune_gain = finetune.gain_over_frozen(result, comparison.rung(request["model"]), comparison.labels)
            st.write(display.md_escape(f"Fine-tuned top {request['top_layers']} layers + head: "
                                       f"{pair_verdicts.pair_headline(finetune_gain)}."))
            st.plotly_chart(loss_curves_figure(result.train_losses), width="stretch")

# ---------------------------------------------------------------- the note
note = decision.note if finetune_gain is None else wording.rendered(notes.classification_note(
    data.name, comparison, curves=decision.curves, audit=decision.audit, findings=decision.findings,
    readiness=decision.readiness, finetune_gain=finetune_gain, unavailable=unavailable))
show_note(note, {**settings.to_dict(), "dataset": data.name, "cli": settings.to_command_line(data.name)})
