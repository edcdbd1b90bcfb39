"""Runs: the run folders under the server's data root, and two of them side by side: did the verdict change?"""
import pandas as pd
import streamlit as st

from audiodiag.data import dataroot
from audiodiag.errors import AudioDiagError
from audiodiag.runs import catalogue
from audiodiag.verdict import Kind
from audiodiag.verdict import runs as rules
from pages import _data as data_ui
from pages import _display as display
from pages import _links as links
from pages import _run

CHANGE_BOX = {"changed": st.warning, "unchanged": st.success}  # the headline claim's verdict


@st.cache_data(show_spinner="Reading the run folders ...", max_entries=8)
def listed_runs(root: str, stamp: str) -> list[catalogue.RunEntry]:
    """stamp: dataroot.fingerprint of the root, so a run written since is listed."""
    return catalogue.list_runs(root)


@st.cache_data(show_spinner="Comparing the two runs ...", max_entries=16)
def difference(root: str, a: str, stamp_a: str, b: str, stamp_b: str) -> catalogue.RunDifference:
    return catalogue.compare_runs(_run.open_run(root, a, stamp_a), _run.open_run(root, b, stamp_b))


def table(rows: tuple[tuple[str, ...], ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows[1:]), columns=list(rows[0]))


st.title("Runs: did the verdict change?")
root = data_ui.server_data_root()
if root is None:
    st.info("Runs are kept as run folders under the server's data root, and this server has none: set "
            "AUDIODIAG_DATA_ROOT (or data_root in .streamlit/secrets.toml) to a folder, then write runs into it with "
            "`python -m audiodiag report DATA --out-dir ROOT/RUN/` or *Save as run folder* on the Compare page.")
    links.link_to_url([])
    st.stop()
listed = listed_runs(str(root), dataroot.fingerprint(root, "."))
if not listed:
    st.info("No run folder under the data root yet: write one with `python -m audiodiag report DATA --out-dir "
            "ROOT/RUN/`, or press *Save as run folder* on the Compare page.")
    links.link_to_url([])
    st.stop()
st.dataframe(pd.DataFrame({
    "run": [r.name for r in listed], "data": [r.dataset for r in listed], "task": [r.task for r in listed],
    "spaces": [", ".join(r.spaces) for r in listed], "folds": [r.folds for r in listed],
    "padding": [r.padding for r in listed], "verdict": [r.problem or r.verdict for r in listed],
    "date (UTC)": [r.date for r in listed], "clips": [r.n_clips for r in listed]}),
    hide_index=True, width="stretch", column_config=display.wide_columns("spaces", "verdict"))

names = [r.name for r in listed if r.problem is None and r.task == "classify"]
if len(names) < 2:
    st.info("Two classification runs are needed to compare: write another one (other data, encoders or labels).")
    links.link_to_url([])
    st.stop()
links.linked_state({"runs_a": names[1], "runs_b": names[0]}, allowed={"runs_a": names, "runs_b": names})
left, right = st.columns(2)
name_a = left.selectbox("Run A (before)", names, key="runs_a")
name_b = right.selectbox("Run B (after)", names, key="runs_b")
if name_a == name_b:
    links.link_to_url(["runs_a", "runs_b"])
    st.info("Choose two different runs.")
    st.stop()
stamp_a, stamp_b = dataroot.fingerprint(root, name_a), dataroot.fingerprint(root, name_b)
try:
    diff = difference(str(root), name_a, stamp_a, name_b, stamp_b)
except (AudioDiagError, OSError, ValueError, KeyError) as e:  # a damaged or partial run folder
    links.link_to_url(["runs_a", "runs_b"])
    st.error(display.md_escape(f"The two runs cannot be compared: {e}"))
    st.stop()

# ---------------------------------------------------------------- verdicts
claims = diff.claims()
for col, head in ((left, diff.headline_a), (right, diff.headline_b)):
    with col:
        display.RUNG_BOX.get(head.rung, st.info)(display.md_escape(head.text))
st.subheader("What changed")
CHANGE_BOX.get(claims[0].verdict, st.info)(f"**{display.md_escape(claims[0].text)}**")
st.markdown("\n".join(f"- {display.md_escape(line)}" for c in claims[1:] for line in c.text.split("\n")))

st.subheader("Scores in each run")
st.dataframe(table(rules.scores_table(diff)), hide_index=True, width="stretch",
             column_config=display.wide_columns("space"))

changes = [("added", f) for f in diff.findings_added] + [("gone", f) for f in diff.findings_gone]
if changes:
    st.subheader("Findings added and gone")
    st.dataframe(pd.DataFrame({
        "change": [what for what, _ in changes], "finding": [f.code for _, f in changes],
        "where": ["the note" if f.scope == rules.NOTE_SCOPE else "per clip" for _, f in changes],
        "clips in A": [str(f.clips_a) if f.scope == rules.CLIPS_SCOPE else rules.NOT_IN_RUN for _, f in changes],
        "clips in B": [str(f.clips_b) if f.scope == rules.CLIPS_SCOPE else rules.NOT_IN_RUN for _, f in changes],
        "message": [f.text for _, f in changes]}), hide_index=True, width="stretch",
        column_config=display.wide_columns("message"))

if diff.settings:
    st.subheader("Settings that differ")
    st.dataframe(pd.DataFrame({"setting": [s.key for s in diff.settings], "run A": [s.value_a for s in diff.settings],
                               "run B": [s.value_b for s in diff.settings]}), hide_index=True, width="stretch")
if diff.only_a or diff.only_b:
    with st.expander("Clips in one run only"):
        st.dataframe(pd.DataFrame({"clip": [*diff.only_a, *diff.only_b],
                                   "only in": ["run A"] * len(diff.only_a) + ["run B"] * len(diff.only_b)}),
                     hide_index=True, width="stretch")

# ---------------------------------------------------------------- clips whose prediction changed
st.subheader("Clips whose prediction changed")
shared = [p.space for p in diff.predictions]
if not shared:
    links.link_to_url(["runs_a", "runs_b"])
    st.info("No space has predictions in both runs.")
    st.stop()
links.linked_state({"runs_space": shared[0]}, allowed={"runs_space": shared})
space = st.selectbox("Space", shared, key="runs_space")
links.link_to_url(["runs_a", "runs_b", "runs_space"])
changed = next(p for p in diff.predictions if p.space == space).changed
st.caption(display.md_escape(next(c.text for c in claims if c.kind is Kind.RUNS_PREDICTIONS and c.subject == (space,))))
if changed:
    st.dataframe(pd.DataFrame({
        "clip": [c.name_b for c in changed], "label in A": [display.text_or_dash(c.label_a) for c in changed],
        "label in B": [display.text_or_dash(c.label_b) for c in changed],
        "predicted in A": [c.predicted_a for c in changed], "predicted in B": [c.predicted_b for c in changed],
        "right in A": [c.right_a for c in changed], "right in B": [c.right_b for c in changed]}),
        hide_index=True, width="stretch", column_config=display.wide_columns("clip"))
    links.linked_state({"runs_clip": 0}, allowed={"runs_clip": range(len(changed))})
    picked = st.selectbox("Listen to", range(len(changed)), format_func=lambda k: changed[k].name_b, key="runs_clip")
    clip = problem = None
    for run, stamp, row in ((name_b, stamp_b, changed[picked].row_b), (name_a, stamp_a, changed[picked].row_a)):
        try:
            clip = _run.open_run(str(root), run, stamp).clip(row)
            break
        except AudioDiagError as e:
            problem = problem or str(e)
    if clip is not None:
        display.play(clip)
    else:
        st.caption(display.md_escape(f"Not playable here: {problem}"))
