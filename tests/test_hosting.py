"""Hosting contracts: the shipped Streamlit config, the login example, packages.txt, and CI's browser set-up."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import streamlit.config

from pages import _auth
from tests import browser_support

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"


def _config() -> dict:
    return tomllib.loads(CONFIG.read_text())


def _share_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Share with your team"):]


def test_config_keeps_xsrf_protection_on_and_runs_headless():
    server = _config()["server"]
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True  # Streamlit turns XSRF protection off when CORS is disabled
    assert server["headless"] is True


def test_config_upload_limit_matches_the_readme_and_the_proxy_example():
    limit_mb = _config()["server"]["maxUploadSize"]
    assert isinstance(limit_mb, int) and limit_mb >= 200  # zipped datasets; Streamlit's default is 200 MB
    share = _share_section()
    assert f"caps uploads at {limit_mb} MB" in share and f"client_max_body_size {limit_mb}m;" in share


def test_every_config_key_is_a_streamlit_option_with_a_valid_value():
    options = streamlit.config.get_config_options()
    for section, values in _config().items():
        for key, value in values.items():
            assert f"{section}.{key}" in options, f".streamlit/config.toml: unknown option {section}.{key}"
    theme = _config()["theme"]
    assert theme["base"] in ("light", "dark") and re.fullmatch(r"#[0-9a-fA-F]{6}", theme["primaryColor"])


def test_login_example_is_complete_and_real_secrets_are_never_committed():
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert _auth.configuration_problems(example["auth"]) == []
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text().splitlines()


def test_packages_txt_lists_debian_package_names_named_in_the_readme():
    packages = [line.strip() for line in (ROOT / "packages.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert packages and all(re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", p) for p in packages), packages
    share = _share_section()
    assert all(p in share for p in packages), (packages, "name each system package in 'Share with your team'")


def test_ci_installs_chromium_and_requires_the_browser_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install -y -qq chromium chromium-driver" in ci
    assert f"export {browser_support.REQUIRE_BROWSER_ENV}=1" in ci
    assert ci.index("apt-get install") < ci.index("python -m pytest")


def test_missing_browser_skips_locally_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv(browser_support.REQUIRE_BROWSER_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        browser_support.require_chromium()
    monkeypatch.setenv(browser_support.REQUIRE_BROWSER_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="must run here"):
        browser_support.require_chromium()
