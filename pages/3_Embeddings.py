"""Embeddings: is a space good to search in, and does it cluster by label or by speaker, source, rate, length?"""
import json
from dataclasses import replace

import pandas as pd
import streamlit as st

from audiodiag import model_cards
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import duplicates, neighbours, projection, retrieval, retrieval_comparison
from audiodiag.evaluation.folds import comparison_folds
from audiodiag.plots.embedding_map import embedding_map_figure
from audiodiag.represent import encoders, spaces
from audiodiag.settings import RetrievalSettings
from pages import _cache as cache
from pages import _data as data_ui
from pages import _display as display
from pages import _fixes as wording
from pages import _links as links

REQUEST_KEY = "embeddings_request"  # session_state: the settings of the last "Compute" press
QUERY_KEY = "embeddings_query"
COLOURS = {"label": True, "group": True, "sample rate (Hz)": True, "duration (s)": False, "speech fraction": False}
MAX_TOP_K = 20
NEIGHBOUR_COLUMNS = 2  # spaces side by side in the neighbour browser, as the maps: a table needs ~450 px
MAX_N_NEIGHBORS = 100
EMBEDDINGS_AUTO_RUN_MAX_CLIPS = 500  # without a Compare run, larger datasets wait for the button

st.title("Embeddings: clusters and retrieval, baseline vs encoders")
data = data_ui.dataset_picker("Embeddings")
display.show_failures(data.failures)
if not data.clips:
    st.info("No clips yet: pick a bundled sample set or drop a zip with one sub-folder per class in the sidebar.")
    st.stop()
if len(data.clips) < projection.MIN_CLIPS:
    shown = ", ".join(display.md_escape(c.name) for c in data.clips)
    st.info(f"Only {len(data.clips)} clip(s) loaded ({shown}): maps and retrieval need at least "
            f"{projection.MIN_CLIPS}. Add clips in the sidebar.")
    st.stop()

clips = data.clips
names = [c.name for c in clips]
has_groups = all(c.group is not None for c in clips)
labelled = all(c.label is not None for c in clips) and len({c.label for c in clips}) >= 2

# ---------------------------------------------------------------- settings (defaults: the Compare page's)
compare_settings = links.comparison_settings(data)
request = st.session_state.get(REQUEST_KEY)
current = request or {"spaces": list(compare_settings.spaces), "padding_s": compare_settings.pad_s,
                      "n_neighbors": projection.DEFAULT_N_NEIGHBORS, "min_dist": projection.DEFAULT_MIN_DIST}
chosen_before = [s for s in current["spaces"] if not spaces.is_baseline(s)]
hub_names = [n for n, s in encoders.CATALOGUE.items() if s.encoder_id and n not in encoders.BUNDLED]
options = list(dict.fromkeys([*encoders.BUNDLED, *hub_names, *chosen_before]))
LINKED = {"embeddings_encoders": chosen_before, "embeddings_custom": "",
          "embeddings_padding": "none" if current["padding_s"] is None else links.PADDED,
          "embeddings_pad_s": float(current["padding_s"] or links.pad_length_default(data)),
          "embeddings_n_neighbors": int(current["n_neighbors"]), "embeddings_min_dist": float(current["min_dist"]),
          "embeddings_exclude_group": RetrievalSettings().exclude_same_group, "embeddings_colour": next(iter(COLOURS)),
          "embeddings_label_issues": links.COMPARE_REQUEST in st.session_state, QUERY_KEY: names[0],
          "embeddings_top_k": retrieval.KNN_K}
links.linked_state(LINKED, allowed={"embeddings_encoders": options, "embeddings_padding": ["none", links.PADDED],
                                    "embeddings_colour": list(COLOURS), QUERY_KEY: names})
with st.form("embeddings_settings"):
    st.subheader("Settings")
    st.caption("Defaults are the Compare page's encoders and padding, so its cached vectors are reused.")
    chosen = st.multiselect("Frozen encoders (the spectral baseline is always shown)", options,  # a row of its own
                            key="embeddings_encoders",
                            help="Bundled encoders work offline. The others download from the Hugging Face hub.\n\n"
                                 + model_cards.picker_help(options, escape=display.md_escape))
    for line in model_cards.flag_lines(chosen):
        st.caption(display.md_escape(line))
    with st.expander("Model cards: licence, weights sha256, sample rate, input limit"):
        st.markdown("\n".join(f"- {display.md_escape(line)}" for line in model_cards.card_lines(options)))
    left, right = st.columns(2)
    custom = left.text_input("Another Hugging Face model id or local folder", key="embeddings_custom",
                             placeholder="facebook/wav2vec2-base or /models/my-wav2vec2")
    policy = left.radio("Padding policy", ["none", links.PADDED], horizontal=True, key="embeddings_padding")
    pad_s = left.number_input("Pad or trim to (s)", min_value=0.05, max_value=600.0, step=0.25, key="embeddings_pad_s")
    n_neighbors = right.slider("UMAP n_neighbors", projection.MIN_NEIGHBORS, MAX_N_NEIGHBORS,
                               key="embeddings_n_neighbors",
                               help="Small: local structure (tight little clusters). Large: the global layout.")
    min_dist = right.slider("UMAP min_dist", 0.0, projection.MAX_MIN_DIST, step=0.05,
                            key="embeddings_min_dist", help="How tightly points may pack in the map.")
    submitted = st.form_submit_button("Compute maps and retrieval", type="primary")

wanted = {"spaces": list(dict.fromkeys([spaces.BASELINE, *chosen] + ([custom.strip()] if custom.strip() else []))),
          "padding_s": float(pad_s) if policy == links.PADDED else None, "n_neighbors": int(n_neighbors),
          "min_dist": float(min_dist)}
if submitted:
    st.session_state[REQUEST_KEY] = request = wanted
links.link_to_url(list(LINKED))  # the widgets below read their kept values already: one sync covers the page
auto = links.COMPARE_REQUEST in st.session_state or len(clips) <= EMBEDDINGS_AUTO_RUN_MAX_CLIPS
if not (request or auto):
    st.info(f"{len(clips)} clips: press **Compute maps and retrieval** (encoder vectors are cached on disk; a "
            "Compare run with the same settings makes this fast).")
    st.stop()
run = request or wanted

# ---------------------------------------------------------------- vectors and maps
shown = replace(compare_settings, pad_s=run["padding_s"])  # the Compare page's layer and features, this padding
vectors, maps, problems = [], [], []
with st.status("Vectors and UMAP maps ...", expanded=False) as status:
    for i, name in enumerate(run["spaces"], start=1):
        try:
            status.update(label=f"Vectors of {display.md_escape(name)} ({i} of {len(run['spaces'])}) ...")
            v = cache.space_vectors(data, name, shown)
            status.update(label=f"UMAP of {display.md_escape(name)} ({i} of {len(run['spaces'])}) ...")
            maps.append(cache.umap_projection(v, n_neighbors=run["n_neighbors"], min_dist=run["min_dist"]))
            vectors.append(v)
        except AudioDiagError as e:
            problems.append((name, str(e)))
    status.update(label=f"{len(vectors)} space(s) ready", state="complete")
display.show_unavailable(problems)
display.show_cache_warnings()
if not vectors:
    st.stop()
st.caption(display.md_escape(f"Padding: {spaces.padding_label(shown.padding, [v.space for v in vectors])}. Every "
                             "space is standardised (each dimension z-scored over these clips) and compared by "
                             "cosine similarity."))

# ---------------------------------------------------------------- retrieval
st.subheader("Retrieval quality (leave-one-out, cosine)")
exclude = st.toggle("Exclude same-group neighbours", key="embeddings_exclude_group", disabled=not has_groups,
                    help="On by default: a speaker's other takes (or other cuts of one source recording) are removed "
                         "from each query's candidates, so they cannot count as retrieval success. The table shows "
                         "precision@1 under the other rule too." if has_groups else
                    "Needs a group per clip (groups.csv / labels.csv: path,label,group).") and has_groups
results = []
if labelled:
    results = [cache.retrieval_metrics(data, v, exclude_same_group=exclude) for v in vectors]
    display.show_table(display.retrieval_table(results))
    for sentence in retrieval_comparison.reading(results):
        st.markdown(display.md_escape(sentence))
    st.caption(f"Every clip is a query once; the other clips are ranked by cosine similarity. precision@1: the "
               f"nearest has the query's label; precision@{retrieval.PRECISION_K}: share of the "
               f"{retrieval.PRECISION_K} nearest with it; mAP: mean average precision of the whole ranking; kNN "
               f"accuracy: a vote of the {retrieval.KNN_K} nearest. 95 % bootstrap CIs over queries (over speakers/"
               f"sources when clips have groups). Silhouette "
               "(cosine, -1 to 1): how well labels (or groups) form separate clusters.")
else:
    st.info("Retrieval quality needs a label per clip and at least two classes (one sub-folder per class, or "
            "labels.csv with path,label,group). The maps and neighbours below still work.")

# ---------------------------------------------------------------- maps
st.subheader("UMAP maps")
colour = st.selectbox("Colour by", list(COLOURS), key="embeddings_colour",
                      help="Recolouring reuses the cached maps. Clusters by group, rate or duration instead of by "
                           "label mean the space encodes that.")
if colour == "label":
    values = [c.label if c.label is not None else "—" for c in clips]
elif colour == "group":
    values = [c.group if c.group is not None else "—" for c in clips]
elif colour == "sample rate (Hz)":
    values = [c.original_sample_rate_hz for c in clips]
elif colour == "duration (s)":
    values = [c.duration_s for c in clips]
else:
    values = [s.speech_fraction for s in cache.analyse(data).stats]
issues_of = {}  # space -> LabelIssues of the Compare page's comparison (its spaces, folds and padding)
if labelled and st.toggle("Mark possibly mislabelled clips", key="embeddings_label_issues",
                          help="Clips whose label the Compare page's out-of-fold classifier doubts (confident "
                               "learning), outlined in black on the maps of the same space. Uses the Compare page's "
                               "spaces, folds and padding; runs that comparison if it has not run yet."):
    try:
        compared, _ = cache.run_comparison(data, compare_settings)
        issues_of = {r.space: r.label_issues for r in compared.rungs
                     if r.label_issues is not None and r.label_issues.unavailable is None}
    except AudioDiagError as e:
        st.info(f"No label check: the comparison cannot run on these clips ({display.md_escape(str(e))}).")
query = names.index(st.session_state[QUERY_KEY])
labels = [c.label if c.label is not None else "—" for c in clips]
picked = None
lassoed = {}  # space -> the clips selected on its map (more than one: one clicked point becomes the query)
for row_start in range(0, len(vectors), 2):
    for offset, col in enumerate(st.columns(2)[:len(vectors) - row_start]):
        i = row_start + offset
        suspects = [issue.index for issue in issues_of[vectors[i].space].issues] if vectors[i].space in issues_of \
            else []
        figure = embedding_map_figure(maps[i].coordinates, names=names, labels=labels, colour_values=values,
                                      colour_name=colour, categorical=COLOURS[colour], title=vectors[i].space,
                                      selected=query, suspects=suspects)
        event = col.plotly_chart(figure, width="stretch", on_select="rerun", selection_mode=("points", "box", "lasso"),
                                 key=f"embeddings_map_{i}")
        on_map = display.selected_clips(event)
        if len(on_map) == 1 and on_map[0] != query:
            picked = on_map[0]
        elif len(on_map) > 1:
            lassoed[vectors[i].space] = on_map
st.caption(f"Click a point to make it the query of the neighbour browser below (ringed in every map); the lasso or "
           f"box select tool (the chart's toolbar) or shift-click lists several clips below the maps, with players, "
           f"spectrograms and findings. UMAP: n_neighbors {maps[0].n_neighbors}, min_dist {maps[0].min_dist:g}, "
           f"cosine, random_state {maps[0].random_state}. A map is for looking; distances between far-apart clusters "
           "mean little.")
if picked is not None:
    st.session_state[QUERY_KEY] = names[picked]
    st.rerun()
for space, on_map in lassoed.items():
    display.show_selected_clips(clips, on_map, findings=cache.analyse(data).clip_findings,
                                spectrogram=cache.spectrogram, key=f"embeddings_selection_{space}",
                                title=f"Selected on the {space} map")
for v in vectors:
    found = issues_of.get(v.space)
    if found is not None and found.issues:
        with st.expander(f"{display.md_escape(v.space)}: {len(found.issues)} possibly mislabelled clip(s) (outlined)"):
            display.show_table(pd.DataFrame(found.rows()), wrap=("neighbours",))
            st.caption(display.md_escape(f"From the Compare page's comparison: {found.method}. Candidates to "
                                         "re-listen to (pick one as the query below), not proven errors; nothing "
                                         "is relabelled."))

# ---------------------------------------------------------------- neighbour browser
st.subheader("Nearest neighbours")
left, right = st.columns([3, 1])
query_name = left.selectbox("Query clip", names, key=QUERY_KEY)
top_k = right.slider("Neighbours per space", 1, MAX_TOP_K, key="embeddings_top_k")
query = names.index(query_name)
clip = clips[query]
st.markdown(f"**{display.md_escape(clip.name)}**: "
            + (f"label {display.md_escape(str(clip.label))}" if clip.label is not None else "no label") + ", "
            + (f"group {display.md_escape(str(clip.group))}" if clip.group is not None else "no group")
            + f", {clip.duration_s:.2f} s")
display.play(clip)
groups = [c.group for c in clips] if has_groups else None
side_by_side = min(len(vectors), NEIGHBOUR_COLUMNS)
for col, v in zip([c for _ in range(0, len(vectors), side_by_side) for c in st.columns(side_by_side)], vectors,
                  strict=False):  # the last row's spare columns stay empty
    found = neighbours.neighbours(v.vectors, query, k=top_k, groups=groups, exclude_same_group=exclude)
    col.markdown(f"**{display.md_escape(v.space)}**")
    table = pd.DataFrame({"rank": [nb.rank for nb in found], "file": [clips[nb.index].name for nb in found],
                          "label": [display.text_or_dash(clips[nb.index].label) for nb in found]})
    if clip.label is not None:  # without the query's label "same label" is unknown: no column, never a tick
        table["same label"] = ["—" if clips[nb.index].label is None else
                               "yes" if clips[nb.index].label == clip.label else "no" for nb in found]
    table["group"] = [display.text_or_dash(clips[nb.index].group) for nb in found]
    table["cosine distance"] = [round(nb.cosine_distance, 3) for nb in found]
    display.show_table(table, where=col, fit_px=display.columns_px(side_by_side))
    for nb in found:
        other = clips[nb.index]
        col.caption(f"{nb.rank}. {display.md_escape(other.name)}"
                    + (f" ({display.md_escape(str(other.label))})" if other.label is not None else "")
                    + f", distance {nb.cosine_distance:.3f}")
        with col:
            display.play(other)

# ---------------------------------------------------------------- duplicates and leakage
st.subheader("Duplicates and leakage")
exact = cache.exact_duplicates(clips)
near = {v.space: cache.near_duplicates(v, exact) for v in vectors}
try:
    folds = comparison_folds(clips, n_splits=compare_settings.n_splits, group_aware=compare_settings.group_aware)
    st.caption(display.md_escape(f"Checked against the Compare page's folds: {folds.note}"))
except AudioDiagError as e:
    folds = None
    st.info(f"No cross-validation folds for these clips ({display.md_escape(str(e))}); duplicates are listed "
            "without the split check.")
findings = wording.rendered(duplicates.leakage_findings(clips, folds, exact=exact, near=near))
if findings:
    display.show_findings(findings)
else:
    st.success(f"No identical clips, no near-duplicates (cosine ≥ {duplicates.NEAR_DUPLICATE_COSINE:g}) in any space"
               + (", and no group on both sides of a split." if folds is not None else "."))
pairs = duplicates.exact_pairs(exact)
if pairs:
    with st.expander(f"Identical clips: {len(pairs)} pair(s)"):
        display.show_table(display.duplicate_pairs_table(data, pairs, folds))
for space, found in near.items():
    if found.n_pairs:
        with st.expander(f"{display.md_escape(space)}: {found.n_pairs} near-duplicate pair(s) (cosine ≥ "
                         f"{found.threshold:g})"):
            display.show_table(display.duplicate_pairs_table(data, found.pairs, folds))
st.caption(f"Identical: the same decoded audio (sample rate and every sample), whatever the file names. "
           f"Near-duplicate: cosine similarity ≥ {duplicates.NEAR_DUPLICATE_COSINE:g} of standardised vectors in a "
           "space; this catches close copies (re-quantised, re-levelled) and clips that a space cannot tell apart.")

with st.expander("Settings (to reproduce these maps and numbers)"):
    record = {"maps": {v.space: m.settings for v, m in zip(vectors, maps, strict=True)},
              "retrieval": {"metric": "cosine of standardised vectors", "leave_one_out": True,
                            "exclude_same_group": exclude, "precision_k": retrieval.PRECISION_K,
                            "knn_k": retrieval.KNN_K, "n_boot": results[0].n_boot if results else None},
              "near_duplicate_cosine": duplicates.NEAR_DUPLICATE_COSINE,
              "spaces": {v.space: v.settings for v in vectors}}
    st.json(record)
    st.download_button("Download settings (JSON)", json.dumps(record, indent=2, default=str),
                       file_name="embeddings_settings.json", mime="application/json")
