"""The "Save as run folder" button: the page's comparison and note written as a run folder under the server's data
root (the format `report --out-dir` writes), to be compared with other runs on the Runs page."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from audiodiag.runs import catalogue
from audiodiag.settings import ComparisonSettings
from audiodiag.verdict import notes
from pages import _cache as cache
from pages import _data as data_ui
from pages import _display as display

if TYPE_CHECKING:
    from pages._dataset import Dataset

ENGINE = "dashboard"  # run.json's engine for a run saved from a page


def save_block(data: Dataset, settings: ComparisonSettings, *, key: str) -> None:
    """The subheader, and the button where the server has a writable data root (else one line saying why not)."""
    st.subheader("Save as run folder")
    root = data_ui.server_data_root()
    if root is None:
        st.caption("Runs are saved under the server's data root, and this server has none (set AUDIODIAG_DATA_ROOT "
                   "or data_root in .streamlit/secrets.toml). From a terminal: `python -m audiodiag report DATA "
                   "--out-dir RUN/`.")
        return
    if not catalogue.writable(root):
        st.caption("The server's data root is read-only here, so runs cannot be saved from the dashboard; write one "
                   "where it is writable: `python -m audiodiag report DATA --out-dir RUN/`.")
        return
    st.caption("Writes this comparison and its decision note (learning curves and audit included) as a new run "
               "folder under the data root; the Runs page shows two runs side by side.")
    if not st.button("Save as run folder", key=key):
        return
    with display.long_step("Learning curves, audit and the note, then writing the run folder ...",
                           done="Run folder written", failed="The run folder could not be written"):
        path = _save(data, settings, root)  # a refusal (read-only, name taken) is shown and ends the page
    st.success(display.md_escape(f"Saved as '{path.name}' in the data root ({path})."))
    st.page_link("pages/6_Runs.py", label="Compare it with other runs on the Runs page", icon=":material/history:")


def _save(data: Dataset, settings: ComparisonSettings, root):
    decision = cache.classification_decision(data, settings)
    comparison, unavailable = cache.run_comparison(data, settings)
    vectors = tuple(cache.space_vectors(data, r.space, settings) for r in comparison.rungs)
    measured = cache.analyse(data)
    sources = None
    if st.session_state.get("source") == data_ui.SOURCE_SERVER and st.session_state.get(data_ui.SERVER_ENTRY):
        sources = catalogue.entry_sources(root, st.session_state[data_ui.SERVER_ENTRY])
    note = notes.with_input_problems(decision.note, [f.message for f in data.failures])
    return catalogue.save_run(root, catalogue.new_run_name(root, data.name), dataset=data.name, clips=data.clips,
                              stats=measured.stats, speech=measured.speech, vectors=vectors, comparison=comparison,
                              note=note, settings={"task": "classify", "engine": ENGINE, **settings.to_dict()},
                              command=settings.to_command_line(data.name), unavailable=unavailable,
                              failures=data.failures, sources=sources)
