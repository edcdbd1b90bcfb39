"""Embeddings: UMAP clusters and retrieval quality, baseline vs encoder (issue #5)."""
import streamlit as st

from pages import _common as common

st.title("Embeddings")
common.coming_soon(5, "UMAP clusters and retrieval quality, baseline vs encoder")
