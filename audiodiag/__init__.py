"""audiodiag: which rung of the representation ladder does your audio task need?

The library behind the Streamlit dashboard; no Streamlit import, usable from a notebook or the CLI.
Data flows bytes/paths -> `io.load_clip` -> `Clip` -> `checks` / `dataset` -> findings -> pages.
"""
__version__ = "0.1.0"
