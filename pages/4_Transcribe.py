"""Transcribe: transcription scored with WER, alignments and worst cases (issue #6)."""
import streamlit as st

from pages import _common as common

st.title("Transcribe")
common.coming_soon(6, "transcription scored with WER, alignments and worst cases")
