"""AppTest: file names and labels that are HTML or markdown are shown as typed, on Inspect and Compare.

Every Streamlit text element whose source mentions a hostile string is rendered with a CommonMark renderer
(markdown-it, raw HTML on, so unescaped tags would survive as tags): its visible text must contain the string
exactly as typed, and its source must carry the string through `md_escape`. Plotly figures must carry any
HTML-looking string entity-escaped (plotly renders a subset of HTML in labels).
"""
from __future__ import annotations

import csv
import html
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from audiodiag.represent import spaces
from pages._display import md_escape
from tests.helpers import noise, sine, wav_bytes

# the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py; each test starts with an
# empty cache, so what the page computes is counted
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("private_cache")]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 240
RATE_HZ = 8_000  # not the default target's 16 kHz: the rate warning lists every file by name

# hostile string -> a word that occurs only in it and survives any escaping, to find every element mentioning it
HOSTILE_NAMES = {
    "<script>alert('zqone')</script>.wav": "zqone",
    "**zqtwo** _em_ [link](http://example.com) ![img](x.png).wav": "zqtwo",
    "# zqthree `code` $x^2$ :red[red] <b>b</b> &amp;.wav": "zqthree",
}
HOSTILE_LABELS = {"<script>alert('zqfour')</script>": "zqfour", "**zqfive** | pipe | <i>x</i>": "zqfive"}
PLAIN_NAMES = ("plain1.wav", "plain2.wav", "plain3.wav")
TEXT_KINDS = ("markdown", "caption", "warning", "error", "info", "success", "title", "header", "subheader")


def _labels_csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["path", "label"])
    writer.writerows(rows)
    return out.getvalue().encode()


def _hostile_upload() -> list[tuple[str, bytes]]:
    """Three hostile and three plain names, two hostile labels, 3 clips each; both classes hold tones and noise,
    so the baseline confuses them and the confused-pair widgets show the labels too."""
    names = [*HOSTILE_NAMES, *PLAIN_NAMES]
    labels = list(HOSTILE_LABELS)
    waves = [sine(300, sample_rate_hz=RATE_HZ), noise(sample_rate_hz=RATE_HZ, seed=1), sine(900, sample_rate_hz=RATE_HZ),
             noise(sample_rate_hz=RATE_HZ, seed=2), sine(310, sample_rate_hz=RATE_HZ), noise(sample_rate_hz=RATE_HZ, seed=3)]
    files = [(n, wav_bytes(w, sample_rate_hz=RATE_HZ)) for n, w in zip(names, waves)]
    table = _labels_csv([(n, labels[i // 3]) for i, n in enumerate(names)])
    return [*files, ("labels.csv", table)]


def _inspect_with_hostile_upload() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(
        [(n, d, "text/csv" if n.endswith(".csv") else "audio/wav") for n, d in _hostile_upload()]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


class _Visible(HTMLParser):
    """Text a browser would show for an HTML fragment, and the tags in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _rendered(markdown: str) -> _Visible:
    visible = _Visible()
    visible.feed(MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown))
    return visible


def _text_elements(at: AppTest, *, expanders: bool) -> list[tuple[str, str]]:
    """(kind, markdown source) of every element that Streamlit renders as markdown (expander labels too)."""
    found = [(kind, e.value) for kind in TEXT_KINDS for e in at.get(kind)]
    return found + ([("expander label", e.label) for e in at.expander] if expanders else [])


def _check_text(at: AppTest, hostile: dict[str, str], *, expanders: bool = True) -> dict[str, int]:
    """Assert every mention of each hostile string renders literally; return how many elements mention each."""
    mentions = dict.fromkeys(hostile, 0)
    for kind, source in _text_elements(at, expanders=expanders):
        for raw, marker in hostile.items():
            if marker not in source:
                continue
            mentions[raw] += 1
            visible = _rendered(source)
            assert raw in "".join(visible.text), f"{kind} does not show {raw!r} as typed: {source!r}"
            assert md_escape(raw) in source, f"{kind} mentions {raw!r} without md_escape: {source!r}"
            assert not {"script", "img", "a", "h1", "b", "i"} & set(visible.tags), (kind, visible.tags, source)
    return mentions


def _figure_strings(at: AppTest) -> list[tuple[str, str]]:
    """(figure title, string) for every string in every plotly figure, the template left out."""
    out = []

    def walk(value, title):
        if isinstance(value, str):
            out.append((title, value))
        elif isinstance(value, dict):
            for k, v in value.items():
                if k != "template":
                    walk(v, title)
        elif isinstance(value, list):
            for v in value:
                walk(v, title)

    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        walk(figure, (figure.get("layout", {}).get("title") or {}).get("text", ""))
    return out


def test_inspect_shows_hostile_file_names_as_typed():
    at = _inspect_with_hostile_upload()
    table = at.dataframe[0].value
    assert sorted(table["file"]) == sorted([*HOSTILE_NAMES, *PLAIN_NAMES])  # the table shows names as typed ...
    assert sorted(set(table["label"])) == sorted(HOSTILE_LABELS)                # ... and labels, never escaped twice
    mentions = _check_text(at, HOSTILE_NAMES)
    assert all(mentions.values()), mentions  # the rate warning names every file: each name was checked


def test_inspect_duration_histogram_legend_escapes_labels():
    at = _inspect_with_hostile_upload()
    legend = [s for title, s in _figure_strings(at) if any(m in s for m in HOSTILE_LABELS.values())]
    assert legend, "the duration histogram should name both labels in its legend"
    for raw in HOSTILE_LABELS:
        assert raw not in legend, f"{raw!r} reaches plotly unescaped; plotly renders its tags"
        assert html.escape(raw) in legend


def _compare_with_hostile_upload() -> AppTest:
    at = _inspect_with_hostile_upload()
    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_encoders").set_value([])   # the baseline alone: fast, and enough for every widget
    at.slider(key="compare_folds").set_value(3)
    next(b for b in at.button if b.label == "Run comparison").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_compare_shows_hostile_names_and_labels_as_typed():
    at = _compare_with_hostile_upload()
    strings = _figure_strings(at)
    confusion_axes = [s for title, s in strings if title == html.escape(spaces.BASELINE)]
    for raw in HOSTILE_LABELS:
        assert html.escape(raw) in confusion_axes, f"confusion matrix axes lack the escaped label {raw!r}"
    for title, value in strings:
        for raw in [*HOSTILE_NAMES, *HOSTILE_LABELS]:
            assert raw not in value or "<" not in raw, f"figure {title!r} carries {raw!r} unescaped"
    mentions = _check_text(at, {**HOSTILE_NAMES, **HOSTILE_LABELS}, expanders=False)
    assert all(mentions[raw] for raw in HOSTILE_NAMES), mentions  # the rate warning again names every file
    captions = [c.value for c in at.caption]
    assert any(md_escape(raw) == c for raw in HOSTILE_NAMES for c in captions), captions  # a confused clip's name


def test_compare_confused_pair_expanders_show_labels_as_typed():
    at = _compare_with_hostile_upload()
    labels = [e.label for e in at.expander if "→" in e.label]
    assert labels, "the overlapping classes should give at least one confused pair"
    mentions = _check_text(at, HOSTILE_LABELS)
    assert all(mentions.values()), mentions
