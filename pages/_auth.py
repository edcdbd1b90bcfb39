"""Optional team login with Streamlit's built-in OpenID Connect (`st.login`), off unless configured.

Turn it on by adding an `[auth]` section to `.streamlit/secrets.toml` (see `.streamlit/secrets.toml.example`);
without one, `require_login()` does nothing. The app calls it once, before `st.navigation`, so no page runs
for a visitor who has not logged in. A half-written `[auth]` section fails closed: the app shows what is
missing instead of opening without a login.
"""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

AUTH_SECTION = "auth"
SHARED_KEYS = ("redirect_uri", "cookie_secret")                          # directly under [auth]
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")    # under [auth] or [auth.<provider>]
NOT_PROVIDERS = {"client_kwargs"}   # a table under [auth] that configures the default provider


def auth_settings() -> Mapping:
    """The `[auth]` section of the secrets, or an empty mapping when there is no secrets file or no section."""
    try:
        section = st.secrets.get(AUTH_SECTION)
    except FileNotFoundError:  # no secrets.toml anywhere (StreamlitSecretNotFoundError subclasses it)
        return {}
    return section if isinstance(section, Mapping) else {}


def providers(settings: Mapping) -> list[str | None]:
    """Configured identity providers: None for the default one (keys directly under [auth]), then each
    named `[auth.<name>]` table, e.g. `[auth.google]` -> "google"."""
    named = [k for k, v in settings.items() if isinstance(v, Mapping) and k not in NOT_PROVIDERS]
    return ([None] if "client_id" in settings else []) + named


def configuration_problems(settings: Mapping) -> list[str]:
    """What an `[auth]` section lacks before `st.login` can work; empty when it is complete."""
    problems = [f"[auth] has no `{k}`" for k in SHARED_KEYS if k not in settings]
    found = providers(settings)
    if not found:
        problems.append("[auth] names no identity provider: add client_id, client_secret and "
                        "server_metadata_url under [auth] (or under [auth.<provider>])")
    for name in found:
        table = settings if name is None else settings[name]
        where = "[auth]" if name is None else f"[auth.{name}]"
        problems += [f"{where} has no `{k}`" for k in PROVIDER_KEYS if k not in table]
        if name is not None and "_" in name:
            problems.append(f"{where}: provider names cannot contain '_' (Streamlit rejects them); rename it")
    return problems


def require_login() -> None:
    """Stop the script with a login screen unless login is off (no [auth] secrets) or the visitor is logged in.

    Call once in app.py, after `st.set_page_config` and before `st.navigation`.
    """
    settings = auth_settings()
    if not settings:
        return
    problems = configuration_problems(settings)
    if problems:
        st.error("Login is switched on in .streamlit/secrets.toml but not fully configured, so the app stays "
                 "closed: " + "; ".join(problems) + ". See .streamlit/secrets.toml.example for every key.")
        st.stop()
    if st.user.get("is_logged_in"):
        with st.sidebar:
            st.text(f"Signed in as {st.user.get('name') or st.user.get('email') or 'unknown user'}")
            st.button("Log out", on_click=st.logout, key="auth_logout")
        return
    st.title("audiodiag")
    st.write("This dashboard is shared with your team. Log in to continue; your uploads stay private to your "
             "browser session.")
    for name in providers(settings):
        st.button("Log in" if name is None else f"Log in with {name}", key=f"auth_login_{name or 'default'}",
                  on_click=st.login, args=(name,), type="primary")
    st.stop()
