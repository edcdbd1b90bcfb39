"""Decide: learning curves, leakage audit and the decision note (issue #7)."""
import streamlit as st

from pages import _common as common

st.title("Decide")
common.coming_soon(7, "learning curves, leakage audit and the decision note")
