"""Compare: spectral baseline vs frozen encoders on identical folds, with confidence intervals (issue #4)."""
import streamlit as st

from pages import _common as common

st.title("Compare")
common.coming_soon(4, "spectral baseline vs frozen encoders on identical folds, with confidence intervals")
