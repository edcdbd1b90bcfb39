"""audiodiag dashboard: `streamlit run app.py`."""
import streamlit as st

from pages import _auth, _links

st.set_page_config(page_title="audiodiag", page_icon=":material/graphic_eq:", layout="wide")
_auth.require_login()  # off unless .streamlit/secrets.toml has an [auth] section
page = st.navigation([
    st.Page("pages/1_Inspect.py", title="Inspect", icon=":material/graphic_eq:", default=True),
    st.Page("pages/2_Compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/3_Embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
    st.Page("pages/4_Transcribe.py", title="Transcribe", icon=":material/record_voice_over:"),
    st.Page("pages/5_Decide.py", title="Decide", icon=":material/fact_check:"),
    st.Page("pages/6_Runs.py", title="Runs", icon=":material/history:"),
])
_links.share_link_slot(page.url_path)  # "Copy link to this view", kept up to date by the page's link_to_url
page.run()
