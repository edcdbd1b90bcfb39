"""Compare: the spectral baseline and frozen encoders, scored on identical folds with CIs and a paired test."""
import json

import pandas as pd
import streamlit as st

from audiodiag import model_cards, verdict
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare, confusions
from audiodiag.measure import dataset
from audiodiag.plots.comparison import confusion_figure, f1_difference_figure, padding_accuracy_figure
from audiodiag.represent import encoders
from audiodiag.represent.features import FeatureSettings
from audiodiag.settings import ComparisonSettings
from audiodiag.verdict import ladder_chart, notes, pair_verdicts, rung_table
from audiodiag.verdict.leakage import split_line
from pages import _cache as cache
from pages import _data as data_ui
from pages import _display as display
from pages import _fixes as wording
from pages import _links as links
from pages import _save

REQUEST_KEY = links.COMPARE_REQUEST  # session_state: the ComparisonSettings of the last "Run comparison"
VERDICT_BOX = {"yes": st.success, "no": st.warning, "inconclusive": st.info}
LABEL_ISSUES_PLAYED = 5  # possibly mislabelled clips with a player and their neighbours

st.title("Compare: spectral baseline vs frozen encoders")
data = data_ui.labelled_dataset("This dataset cannot be compared", "Compare")

counts = compare.class_counts(data.clips)
n_groups = len({c.group for c in data.clips if c.group is not None})
has_groups = all(c.group is not None for c in data.clips)
own_folds = sorted({c.fold for c in data.clips}) if all(c.fold is not None for c in data.clips) else []
cols = st.columns(4)
cols[0].metric("Clips", len(data.clips))
cols[1].metric("Classes", len(counts))
cols[2].metric("Smallest class", min(counts.values()), help="Clips in the class with the fewest clips.")
cols[3].metric("Groups", n_groups if has_groups else "none",
               help="Speaker / session / source per clip (sub-folder groups.csv or labels.csv). With groups, folds "
                    "keep each group on one side of every split.")
with st.expander("Clips per class"):
    display.show_table(pd.DataFrame({"class": list(counts), "clips": list(counts.values())}))

# ---------------------------------------------------------------- settings
bundled = list(encoders.BUNDLED)
hub_names = [n for n, s in encoders.CATALOGUE.items() if s.encoder_id and n not in encoders.BUNDLED]
LINKED = {"compare_encoders": list(cache.default_encoders(data)), "compare_custom": "", "compare_layer": -1,
          "compare_folds": 5, "compare_groups": has_groups, "compare_padding": "none",
          "compare_pad_s": links.pad_length_default(data),
          **{key: getattr(FeatureSettings(), name) for key, name in links.FEATURE_KEYS.items()}}
links.linked_state(LINKED, allowed={"compare_encoders": bundled + hub_names,
                                    "compare_padding": ["none", links.PADDED]})
if not has_groups:
    st.session_state["compare_groups"] = False
with st.form("compare_settings"):
    st.subheader("Settings")
    availability = {name: encoders.availability(name) for name in bundled + hub_names}
    chosen = st.multiselect(  # a row of its own: long encoder names must not cut the first chip
        "Frozen encoders (the spectral baseline is always included)", bundled + hub_names, key="compare_encoders",
        format_func=lambda n: f"{n} ({availability[n]})" if availability[n] else n,
        help="Bundled encoders work offline. The others download from the Hugging Face hub on first use; an "
             "entry marked 'needs the model hub' is not in the local cache and the hub does not answer from here.\n\n"
             + model_cards.picker_help(bundled + hub_names, escape=display.md_escape))
    for line in model_cards.flag_lines(chosen):
        st.caption(display.md_escape(line))
    with st.expander("Model cards: licence, weights sha256, sample rate, input limit"):
        st.markdown("\n".join(f"- {display.md_escape(line)}" for line in model_cards.card_lines(bundled + hub_names)))
    left, right = st.columns(2)
    custom = left.text_input("Another Hugging Face model id or local folder", key="compare_custom",
                             placeholder="facebook/wav2vec2-base or /models/my-wav2vec2")
    layer = left.number_input("Hidden layer for Hugging Face encoders (-1 = last)", min_value=-1, max_value=48,
                              step=1, key="compare_layer")
    n_splits = right.slider("Folds", 2, 10, key="compare_folds", disabled=bool(own_folds),
                            help=f"Not used: the dataset's own {len(own_folds)} folds (its 'fold' column) are used as "
                                 "given." if own_folds else None)
    group_aware = right.checkbox("Keep groups apart (group-aware folds)", disabled=not has_groups or bool(own_folds),
                                 key="compare_groups",
                                 help="Not used: the dataset's own folds are used as given." if own_folds else
                                 "Recommended. The random-split score is reported next to it to show leakage.")
    policy = right.radio("Padding policy", ["none", links.PADDED], horizontal=True, key="compare_padding",
                         help="none: every clip at its own length, encoders pool only frames of real audio. "
                              "pad or trim: every clip zero-padded or cut to the same length first, for every "
                              "rung alike.")
    pad_s = right.number_input("Pad or trim to (s)", min_value=0.05, max_value=600.0, step=0.25, key="compare_pad_s")
    with st.expander("Spectral baseline settings"):
        b = st.columns(5)
        feature_values = (b[0].number_input("Sample rate (Hz)", 4000, 48000, step=1000, key="compare_feature_rate"),
                          b[1].number_input("Mel bands", 8, 128, key="compare_feature_mels"),
                          b[2].number_input("MFCCs", 4, 64, key="compare_feature_mfcc"),
                          b[3].number_input("Window (samples)", 64, 4096, step=64, key="compare_feature_window"),
                          b[4].number_input("Hop (samples)", 16, 2048, step=16, key="compare_feature_hop"))
    submitted = st.form_submit_button("Run comparison", type="primary")

from_link = st.query_params.get("compare_run") == "1" and REQUEST_KEY not in st.session_state
if submitted or from_link:
    try:
        st.session_state[REQUEST_KEY] = ComparisonSettings(
            encoders=(*chosen, *([custom.strip()] if custom.strip() else [])), n_splits=int(n_splits),
            group_aware=bool(group_aware), pad_s=float(pad_s) if policy == links.PADDED else None, layer=int(layer),
            features=FeatureSettings(**{name: int(v) for name, v in
                                        zip(links.FEATURE_KEYS.values(), feature_values, strict=True)}))
    except AudioDiagError as e:  # a settings error: the values above, not the data
        st.error(display.md_escape(str(e)))
        st.stop()
request: ComparisonSettings | None = st.session_state.get(REQUEST_KEY)
links.link_to_url(list(LINKED), extra={"compare_run": 1} if request else None)
if not request:
    st.info("Choose the encoders and press **Run comparison**. Encoder vectors are cached on disk, so a re-run "
            "with other folds or classifier settings is fast.")
    st.stop()
if not request.encoders:
    st.warning("Only the spectral baseline is selected: add at least one frozen encoder to compare against it.")

# ---------------------------------------------------------------- warnings that matter here
padding = request.padding
measured = cache.analyse(data)
specs = [encoders.get_spec(s) for s in request.encoders if s in encoders.CATALOGUE]
findings = dataset.model_input_findings(measured.stats, measured.speech, specs or [data.target], padding=padding)
if findings:
    st.subheader("Data warnings for these encoders")
    display.show_findings(findings)

# ---------------------------------------------------------------- run
with display.long_step("Running the comparison ...", done="Comparison ready",
                       failed="The comparison could not run"):
    result, unavailable = cache.run_comparison(data, request)
display.show_unavailable(unavailable)
display.show_cache_warnings()

st.caption(display.md_escape(f"Folds: {result.folds.note} Padding: {result.settings['padding']}. Classifier for "
                             f"every space: {compare.CLASSIFIER}."))
(st.caption if result.settings["group_aware"] else st.warning)(
    display.md_escape(wording.rendered(notes.leakage_line(result))))  # the note's own leakage claim

# ---------------------------------------------------------------- verdicts and metrics
st.subheader("Does a frozen encoder beat the baseline?")
evidence = verdict.classification_evidence(result)  # the note's own rows and pair claims
st.plotly_chart(ladder_chart.ladder_figure(rung_table.ladder(evidence)), width="stretch",
                config=ladder_chart.LADDER_CONFIG,
                key="compare_ladder")
for pair in result.paired:
    VERDICT_BOX[pair.verdict](f"**{display.md_escape(pair_verdicts.pair_headline(pair))}**")
if result.paired:
    with st.expander("How each verdict was reached"):
        for pair in result.paired:
            st.markdown(display.md_escape(pair_verdicts.encoder_vs_baseline(pair, evidence.rung(pair.name_b)).text))
display.show_table(display.comparison_table(result))
leaks = [r for r in result.rungs if r.split_check is not None]
if leaks:
    with st.expander("Random folds vs group-aware folds (leakage check)",
                     expanded=any(r.split_check.leakage_suspected for r in leaks)):
        for r in leaks:
            box = st.warning if r.split_check.leakage_suspected else st.write
            box(display.md_escape(split_line(r.space, r.split_check)))

# ---------------------------------------------------------------- confusions
st.subheader("Confusion matrices (same folds, same class order, rows sum to 100 %)")
cell_events = {}  # space -> the selection on its matrix (a clicked cell: the clips behind it)
for row_start in range(0, len(result.rungs), 2):
    for col, rung in zip(st.columns(2), result.rungs[row_start:row_start + 2], strict=False):
        cells = confusions.cell_members(result.labels, rung.predictions, labels=result.classes)
        cell_events[rung.space] = col.plotly_chart(
            confusion_figure(result.classes, rung.confusion.counts, title=rung.space, cells=cells),
            width="stretch", key=f"confusion_{rung.space}", on_select="rerun", selection_mode=("points", "box"))
st.caption(display.select_hint("cell"))
for space, event in cell_events.items():
    picked = [(result.classes[i], result.classes[j]) for _, i, j, *_ in display.selected_points(event)]
    display.show_selected_clips(
        data.clips, display.selected_clips(event), findings=measured.clip_findings, key=f"confusion_{space}",
        spectrogram=cache.spectrogram,
        title=f"{space}: true {picked[0][0]}, predicted {picked[0][1]}" if len(picked) == 1 else
        f"{space}: {len(picked)} cells")
for rung in result.rungs[1:]:
    st.plotly_chart(f1_difference_figure(compare.per_class_f1_differences(result, rung.space),
                                         title=f"Per-class F1: {rung.space} minus the baseline"),
                    width="stretch", key=f"f1diff_{rung.space}")

st.subheader("Most confused pairs")
for col, rung in zip(st.columns(len(result.rungs)), result.rungs, strict=True):
    col.markdown(f"**{display.md_escape(rung.space)}**")
    if not rung.confused_pairs:
        col.write("No mistakes.")
    for pair in rung.confused_pairs:
        title = (f"{display.md_escape(pair.true_label)} → {display.md_escape(pair.predicted_label)}: "
                 f"{pair.count} clip(s)")
        with col.expander(title):
            for i in pair.example_indices:
                clip = data.clips[i]
                st.caption(display.md_escape(clip.name))
                display.play(clip)

# ---------------------------------------------------------------- possibly mislabelled clips
st.subheader("Possibly mislabelled clips")
checked = [r for r in result.rungs if r.label_issues is not None]
if checked:
    best = notes.best_rung(result)[0].space
    checked_spaces = [r.space for r in checked]
    links.linked_state({"compare_label_issues_space": best if best in checked_spaces else checked_spaces[0]},
                       allowed={"compare_label_issues_space": checked_spaces})
    issue_space = st.selectbox("Space", checked_spaces,
                               format_func=lambda s: f"{s} (the best rung)" if s == best else s,
                               key="compare_label_issues_space")
    links.link_to_url(["compare_label_issues_space"])
    found = result.rung(issue_space).label_issues
    if found.unavailable is not None:
        st.info(f"Not checked for {display.md_escape(found.space)}: {display.md_escape(found.unavailable)}")
    elif not found.issues:
        st.success(f"No clip stands out as possibly mislabelled in {display.md_escape(found.space)}.")
    else:
        st.markdown(f"**{len(found.issues)} of {found.n_clips} clips** may be mislabelled in "
                    f"{display.md_escape(found.space)}, most likely first:")
        rows = display.show_table(pd.DataFrame(found.rows()), wrap=("neighbours",), on_select="rerun",
                                  selection_mode="multi-row", key="compare_label_issues_rows")
        st.caption("Tick rows (the box at a row's left) to listen to those clips below, with their spectrograms and "
                   "findings.")
        display.show_selected_clips(data.clips, [found.issues[r].index for r in display.selected_rows(rows)],
                                    findings=measured.clip_findings, key="compare_label_issues_rows",
                                    spectrogram=cache.spectrogram, title=f"Ticked in {found.space}")
        for issue in found.issues[:LABEL_ISSUES_PLAYED]:
            with st.expander(f"{display.md_escape(issue.name)}: given {display.md_escape(issue.given)}, looks like "
                             f"{display.md_escape(issue.suggested)} (p = {issue.p_suggested:.2f})"):
                display.play(data.clips[issue.index])
                st.caption("Nearest clips in this space: " + ", ".join(
                    f"{display.md_escape(nb.name)} ({display.md_escape(display.text_or_dash(nb.label))})"
                    for nb in issue.neighbours))
    st.caption(display.md_escape(
        f"Found by {found.method}: a clip is listed when the model that never saw it is confidently sure of "
        "another class, judged against each class's typical confidence. p(suggested), p(given): its out-of-fold "
        "probabilities; quality: cleanlab's label quality score (0: the given label looks wrong, 1: right). "
        "Candidates to re-listen to, not proven errors; nothing is relabelled or changed."))

# ---------------------------------------------------------------- padding
padding_figure = padding_accuracy_figure(
    {r.space: [(b.low, b.high, b.n_clips, b.accuracy, b.mean_fraction) for b in r.accuracy_by_padding]
     for r in result.rungs})
st.subheader("Padding: no clip is padded" if padding_figure is None else "Accuracy by padded fraction")
if padding_figure is not None:
    st.plotly_chart(padding_figure, width="stretch", key="padding_accuracy")
else:
    st.caption(display.md_escape(f"No clip is padded with these settings (padding: {result.settings['padding']}), "
                                 "so there is no padding effect to plot."))
st.caption("Each clip's padded fraction is the share of what the model saw that was zero padding: from the "
           "padding policy, and for Whisper's padded mode from its 30-s window. Compare "
           f"'{encoders.WHISPER_PADDED}' with '{encoders.WHISPER_UNPADDED}' to see what padding costs.")

with st.expander("Settings (to reproduce this comparison)"):
    record = {**result.settings, "spaces": {r.space: r.settings for r in result.rungs}}
    st.json(record)
    st.download_button("Download settings (JSON)", json.dumps(record, indent=2, default=str),
                       file_name="comparison_settings.json", mime="application/json")

# ---------------------------------------------------------------- save as a run folder (the Runs page compares two)
_save.save_block(data, request, key="compare_save_run")
