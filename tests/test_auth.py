"""Optional OIDC login: off without secrets, fails closed when half-configured, shows a login screen when set."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pages import _auth

APP = str(Path(__file__).resolve().parent.parent / "app.py")
COMPLETE = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
            "client_id": "id", "client_secret": "secret",
            "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def _app(auth: dict | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if auth is not None:
        at.secrets["auth"] = auth
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_auth_secrets_the_app_opens_without_login():
    at = _app(None)
    assert not any(b.label.startswith("Log in") for b in at.button)
    assert at.sidebar.selectbox(key="sample_set").value  # the dataset picker rendered: a page ran


def test_half_configured_login_keeps_the_app_closed_and_names_what_is_missing():
    at = _app({"client_id": "id"})
    message = at.error[0].value
    assert "[auth] has no `redirect_uri`" in message and "[auth] has no `client_secret`" in message
    assert not at.sidebar.get("selectbox")  # no page ran


def test_configured_login_shows_only_the_login_screen():
    at = _app(COMPLETE)
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.sidebar.get("selectbox")


def test_provider_tables_are_found_and_bad_names_reported():
    settings = {"redirect_uri": "r", "cookie_secret": "c",
                "google": {k: COMPLETE[k] for k in _auth.PROVIDER_KEYS}, "my_idp": {"client_id": "x"}}
    assert _auth.providers(settings) == ["google", "my_idp"]
    problems = _auth.configuration_problems(settings)
    assert "[auth.my_idp] has no `client_secret`" in problems
    assert any("cannot contain '_'" in p for p in problems)
