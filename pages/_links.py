"""Deep links: widget state read from and written to the URL, the "Copy link to this view" box, and the Compare
page's settings as the other pages (and links to them) carry them.

Below pages/_data.py (the dataset picker syncs its keys through here); imports no other page module but
pages/_display.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from pages._display import md_escape

if TYPE_CHECKING:
    from audiodiag.settings import ComparisonSettings
    from pages._dataset import Dataset

SOURCE_UPLOAD = "My files"  # the sidebar's "source" for uploaded files (pages/_data.py): a link cannot carry them


def _from_url(key: str, default, allowed: Sequence | None):
    """The URL's value for a widget key, parsed like its default; the default when absent or invalid."""
    if key not in st.query_params:
        return default
    raw = st.query_params.get_all(key) if isinstance(default, list) else st.query_params[key]
    try:
        if isinstance(default, bool):
            value = {"true": True, "false": False}[str(raw).lower()]
        elif isinstance(default, list):
            value = [str(v) for v in raw]
        elif isinstance(default, (int, float)) and default is not None:
            value = type(default)(float(raw)) if isinstance(default, float) else int(raw)
        else:
            value = str(raw)
        bad = [v for v in (value if isinstance(value, list) else [value]) if allowed is not None and v not in allowed]
        if bad:
            raise ValueError(f"not one of {', '.join(map(str, allowed))}")
    except (KeyError, ValueError) as e:
        st.session_state.setdefault(LINK_PROBLEMS, []).append(
            f"{key}={raw!s}: {e if str(e) else 'unreadable'}; using {default!r}")
        return default
    return value


LINK_PROBLEMS = "_link_problems"  # session_state: link parameters that could not be used, shown once


KEPT = "_kept_widget_values"  # session_state: {widget key: its value when its page last ran}
KEPT_DEFAULTS = "_kept_widget_defaults"  # session_state: {widget key: its default when its page last ran}


def linked_state(defaults: dict, *, allowed: dict[str, Sequence] | None = None) -> None:
    """Deep links and kept choices, before the widgets: a widget key seen for the first time in this session starts
    with the URL's value (a link a teammate sent), else with its default. Streamlit deletes a widget's value at the
    end of a run that does not draw it (a visit to another page), so every value is remembered here and put back
    when the page is drawn again. A value still equal to its default follows the default when that changes (the
    clip length of another target model). A value the current options no longer offer (another dataset's clip, class or
    space) goes back to the default; a list keeps the entries still offered. Widgets then take no value= argument
    (Streamlit warns about a widget given both)."""
    kept = st.session_state.setdefault(KEPT, {})
    defaults_before = st.session_state.setdefault(KEPT_DEFAULTS, {})
    for key, default in defaults.items():
        options = (allowed or {}).get(key)
        if key not in st.session_state:
            st.session_state[key] = kept[key] if key in kept else _from_url(key, default, options)
        before = defaults_before.get(key, default)
        if st.session_state[key] == before and default != before:
            st.session_state[key] = default  # never changed: it follows its default (another dataset or target)
        defaults_before[key] = default
        value = st.session_state[key]
        if options is not None and isinstance(value, list) and any(v not in options for v in value):
            st.session_state[key] = [v for v in value if v in options]
        elif options is not None and not isinstance(value, list) and value not in options:
            st.session_state[key] = default
        kept[key] = st.session_state[key]


def forget(key: str) -> None:
    """Drop a widget's value everywhere it is kept (this run, the kept values, the URL): the next `linked_state`
    starts it from its default."""
    st.session_state.pop(key, None)
    st.session_state.get(KEPT, {}).pop(key, None)
    st.query_params.pop(key, None)


def link_to_url(keys: Sequence[str], *, extra: dict | None = None, show_link: bool = True) -> None:
    """Deep links, after the widgets: the URL carries the current values, so copying it shares this view.
    show_link False: the "Copy link to this view" box is left for a later show_share_link."""
    for key in keys:
        value = st.session_state.get(key)
        if value is None or value == []:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = ([str(v) for v in value] if isinstance(value, (list, tuple)) else
                                    str(value).lower() if isinstance(value, bool) else str(value))
    for key, value in (extra or {}).items():
        st.query_params[key] = str(value)
    for problem in st.session_state.pop(LINK_PROBLEMS, []):
        st.warning(f"Link parameter ignored: {md_escape(problem)}", icon=":material/link_off:")
    if show_link:
        show_share_link()


SHARE_SLOT = "_share_link_slot"  # session_state: (this run's sidebar placeholder, page url path), made by app.py
SHARE_LABEL = "Copy link to this view"
UPLOADS_PRIVATE = (
    "This view uses **your uploaded files**. Uploads are private to this browser session: the link carries the "
    "settings, not the files, so it opens without them anywhere else (another browser, a teammate, a restarted "
    "server). To share the data, send the same zip for them to upload, or put the folder (one sub-folder per "
    "class) into the server's `sample_audio/` folder: it is then listed under *Bundled sample set* for everyone "
    "and links name it (README, \"Share with your team\").")


def share_link_slot(url_path: str = "") -> None:
    """Sidebar, before the page script runs: a placeholder for the "Copy link to this view" box. link_to_url
    refreshes it whenever the page writes its settings into the URL, so it shows the URL as the run left it
    (a page that stops early included; dataset_picker always syncs the dataset keys). url_path: the page's path, for the link where the browser's URL is
    unknown (AppTest)."""
    st.session_state[SHARE_SLOT] = (st.sidebar.empty(), url_path, None)  # filled by the first link_to_url


def view_url(url_path: str = "") -> str:
    """The full URL of this view: the browser's address and page (st.context.url has no query string) plus
    every query parameter the page has synced so far."""
    from urllib.parse import urlencode, urlsplit

    base = st.context.url or f"/{url_path}"
    base += "/" if not urlsplit(base).path else ""  # the home page: http://host:8501/?..., not http://host:8501?...
    pairs = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return base + (f"?{urlencode(pairs)}" if pairs else "")


def show_share_link() -> None:
    """Fill (again) this run's share placeholder: the link with a copy button, and for uploaded data the note
    that uploads stay in this session. Does nothing where app.py made no placeholder."""
    slot = st.session_state.get(SHARE_SLOT)
    if slot is None:
        return
    placeholder, url_path, shown = slot
    url, uploads = view_url(url_path), st.session_state.get("source") == SOURCE_UPLOAD
    if shown == (url, uploads):
        return  # unchanged since this run last drew it: no redraw (each one costs the browser a re-render)
    st.session_state[SHARE_SLOT] = (placeholder, url_path, (url, uploads))
    with placeholder.container():
        st.markdown(f"**{SHARE_LABEL}**", help="The page, dataset and settings are in the link: a teammate who "
                    "opens it sees the same view (the copy button is at the right of the box).")
        st.code(url, language=None)
        if uploads:
            st.caption(UPLOADS_PRIVATE)


# ---------------------------------------------------------------- the Compare page's settings, shared

FEATURE_KEYS = {"compare_feature_rate": "sample_rate_hz", "compare_feature_mels": "n_mels",  # widget key -> field
                "compare_feature_mfcc": "n_mfcc", "compare_feature_window": "n_fft", "compare_feature_hop": "hop_length"}
COMPARE_REQUEST = "compare_request"  # session_state: the ComparisonSettings of the Compare page's last run
PADDED = "pad or trim"


def comparison_settings(data: Dataset) -> ComparisonSettings:
    """The Compare page's settings as every page uses them: its last run, else its widgets' current values (a
    widget that was not drawn yet: the URL's value, a shared link), else the defaults (the CLI's). Read only.

    A link with a value the settings refuse (e.g. compare_folds=1) is named once under the link problems and the
    defaults are used instead.
    """
    from audiodiag.represent.features import (
        FeatureSettings,  # app.py imports this module: not before the first waveform
    )
    from audiodiag.settings import ComparisonSettings, SettingsError

    request = st.session_state.get(COMPARE_REQUEST)
    if request is not None:
        return request

    def value(key: str, default, allowed: Sequence | None = None):
        return st.session_state[key] if key in st.session_state else _from_url(key, default, allowed)

    custom = str(value("compare_custom", "") or "").strip()
    padded = value("compare_padding", "none", ["none", PADDED]) == PADDED
    try:
        return ComparisonSettings(
            encoders=(*value("compare_encoders", list(_default_encoders(data))), *([custom] if custom else [])),
            n_splits=int(value("compare_folds", ComparisonSettings().n_splits)),
            group_aware=bool(value("compare_groups", True)),
            pad_s=float(value("compare_pad_s", pad_length_default(data))) if padded else None,
            layer=int(value("compare_layer", -1)),
            features=FeatureSettings(*(int(value(key, getattr(FeatureSettings(), name)))
                                       for key, name in FEATURE_KEYS.items())))
    except SettingsError as e:
        st.session_state.setdefault(LINK_PROBLEMS, []).append(f"{e}; using the defaults")
        return ComparisonSettings()


def _default_encoders(data: Dataset) -> tuple[str, ...]:
    from pages import _cache  # lazily: a link is parsed before any cached step is needed

    return _cache.default_encoders(data)


def decide_settings(data: Dataset) -> ComparisonSettings:
    """`comparison_settings`, mirrored into the URL (so a link to Decide carries them) with the share link."""
    settings = comparison_settings(data)
    st.query_params.update({
        "compare_encoders": list(settings.encoders), "compare_folds": str(settings.n_splits),
        "compare_groups": str(settings.group_aware).lower(),
        "compare_padding": "none" if settings.pad_s is None else PADDED,
        "compare_layer": str(-1 if settings.layer is None else settings.layer)})
    if settings.pad_s is not None:
        st.query_params["compare_pad_s"] = str(settings.pad_s)
    show_share_link()
    return settings


def pad_length_default(data: Dataset) -> float:
    """The "Pad or trim to (s)" default of Compare and Embeddings (and of a link that names no length)."""
    from audiodiag.represent import spaces

    return spaces.default_pad_length_s([c.duration_s for c in data.clips])
