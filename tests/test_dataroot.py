"""The server data root: entries listed, nothing outside it readable (path traversal), the sidebar's third source."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.data import dataroot
from audiodiag.data.dataroot import DataRootError
from audiodiag.types import Clip, LoadFailure
from tests.helpers import noise, sine, wav_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 120


@pytest.fixture
def layout(tmp_path):
    """tmp/root: a class-folder dataset, a manifest, a run folder; tmp/secret.wav and tmp/outside/ lie outside."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.2)),
                        ("hiss", lambda i: noise(duration_s=0.2, seed=i))):
        (root / "digits" / label).mkdir(parents=True)
        for i in range(2):
            (root / "digits" / label / f"{i}.wav").write_bytes(wav_bytes(make(i)))
    (root / "train.csv").write_text("path,label,speaker\ndigits/tone/0.wav,tone,a\ndigits/hiss/0.wav,hiss,b\n"
                                    "digits/tone/1.wav,tone,a\n")
    (root / "runs-1").mkdir()
    (root / "runs-1" / "run.json").write_text("{}")
    (root / "notes.txt").write_text("not a dataset")
    (root / ".cache").mkdir()
    outside.mkdir()
    (outside / "x.wav").write_bytes(wav_bytes(sine(1000, duration_s=0.2)))
    (tmp_path / "secret.wav").write_bytes(wav_bytes(sine(2000, duration_s=0.2)))
    return root, tmp_path


def test_configured_root_from_env_or_secret(layout, tmp_path):
    root, _ = layout
    assert dataroot.configured_root(None, environ={}) is None
    assert dataroot.configured_root(str(root), environ={}) == root.resolve()
    assert dataroot.configured_root("/elsewhere", environ={dataroot.DATA_ROOT_ENV: str(root)}) == root.resolve()
    with pytest.raises(DataRootError, match="AUDIODIAG_DATA_ROOT.*not a folder"):
        dataroot.configured_root(None, environ={dataroot.DATA_ROOT_ENV: str(tmp_path / "missing")})
    with pytest.raises(DataRootError, match="data_root in .streamlit/secrets.toml"):
        dataroot.configured_root(str(tmp_path / "missing"), environ={})


def test_list_entries_finds_folders_manifests_and_runs(layout):
    root, tmp = layout
    os.symlink(tmp / "outside", root / "link-out")  # leads outside: not listed
    os.symlink(root / "digits", root / "digits-again")  # stays inside: listed
    entries = {e.name: e.kind for e in dataroot.list_entries(root)}
    assert entries == {"digits": "folder", "digits-again": "folder", "train.csv": "manifest", "runs-1": "run"}


@pytest.mark.parametrize("attempt, why", [
    ("..", r"goes up a folder"),
    ("../secret.wav", r"goes up a folder"),
    ("digits/../../secret.wav", r"goes up a folder"),
    ("/etc/passwd", r"absolute path"),
    ("digits\x00.csv", r"NUL byte"),
    ("C:\\Windows\\win.ini", r"Windows path"),
    ("c:secret.wav", r"Windows path"),
    ("..\\secret.wav", r"Windows path"),
    ("file:///etc/passwd", r"URL"),
    ("memory://x/y.csv", r"URL"),
    ("simplecache::file:///etc/passwd", r"URL"),
    ("zip::x.zip", r"URL"),
    ("", r"empty"),
])
def test_resolve_refuses_paths_that_leave_the_root(layout, attempt, why):
    root, _ = layout
    with pytest.raises(DataRootError, match=why):
        dataroot.resolve(root, attempt)


def test_resolve_refuses_symlinks_that_point_outside(layout):
    root, tmp = layout
    os.symlink(tmp / "secret.wav", root / "innocent.wav")
    os.symlink(tmp / "outside", root / "digits" / "more")
    for attempt in ("innocent.wav", "digits/more", "digits/more/x.wav"):
        with pytest.raises(DataRootError, match="leads outside the data root"):
            dataroot.resolve(root, attempt)
    assert dataroot.resolve(root, "digits/tone/0.wav") == root.resolve() / "digits" / "tone" / "0.wav"
    with pytest.raises(DataRootError, match="no such file"):
        dataroot.resolve(root, "digits/nope.wav")


def test_a_manifest_inside_the_root_cannot_read_outside_it(layout):
    root, tmp = layout
    (root / "sneaky.jsonl").write_text(
        '{"path": "../secret.wav", "label": "a"}\n'
        f'{{"path": "{tmp / "secret.wav"}", "label": "a"}}\n'
        f'{{"path": "file://{tmp / "secret.wav"}", "label": "a"}}\n'
        '{"path": "link/x.wav", "label": "a"}\n'
        '{"path": "digits/tone/0.wav", "label": "tone"}\n')
    os.symlink(tmp / "outside", root / "link")
    results = dataroot.load_entry(root, "sneaky.jsonl")
    assert [type(r) for r in results] == [LoadFailure] * 4 + [Clip]
    assert all("points outside the data root" in r.message for r in results[:4])
    assert "sneaky.jsonl line 1" in results[0].message


def test_a_dataset_folder_with_a_symlinked_file_outside_loads_the_rest(layout):
    root, tmp = layout
    os.symlink(tmp / "secret.wav", root / "digits" / "tone" / "leak.wav")
    results = dataroot.load_entry(root, "digits")
    assert sorted(r.name for r in results if isinstance(r, Clip)) == ["hiss/0.wav", "hiss/1.wav", "tone/0.wav",
                                                                      "tone/1.wav"]
    (leak,) = [r for r in results if isinstance(r, LoadFailure)]
    assert leak.name == "tone/leak.wav" and "outside the data root" in leak.message


def test_load_entry_manifest_folder_run_and_limit(layout):
    root, _ = layout
    clips = dataroot.load_entry(root, "train.csv")
    assert [(c.name, c.label, c.group) for c in clips] == [("digits/tone/0.wav", "tone", "a"),
                                                          ("digits/hiss/0.wav", "hiss", "b"),
                                                          ("digits/tone/1.wav", "tone", "a")]
    (run,) = dataroot.load_entry(root, "runs-1")
    assert isinstance(run, LoadFailure) and "run folder" in run.message
    (escape,) = dataroot.load_entry(root, "../outside")
    assert isinstance(escape, LoadFailure) and "goes up a folder" in escape.message
    limited = dataroot.load_entry(root, "digits", max_rows=3)
    assert sum(isinstance(r, Clip) for r in limited) == 3 and "more than 3 rows" in limited[-1].message


def test_fingerprint_changes_when_a_manifest_is_edited(layout):
    root, _ = layout
    before = dataroot.fingerprint(root, "train.csv")
    (root / "train.csv").write_text("path,label\ndigits/tone/0.wav,tone\n")
    assert dataroot.fingerprint(root, "train.csv") != before


# ---------------------------------------------------------------- the sidebar

def _app(monkeypatch, root, query: dict | None = None) -> AppTest:
    monkeypatch.setenv(dataroot.DATA_ROOT_ENV, str(root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_sidebar_server_folder_loads_a_manifest_and_a_sub_folder(layout, monkeypatch):
    root, _ = layout
    at = _app(monkeypatch, root)
    assert "Server folder" in at.sidebar.radio(key="source").options
    at.sidebar.radio(key="source").set_value("Server folder").run()
    picker = at.sidebar.selectbox(key="server_entry")
    assert picker.options == ["digits (folder)", "runs-1 (run folder)", "train.csv (manifest)"]
    picker.set_value("train.csv").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["file"]) == ["digits/tone/0.wav", "digits/hiss/0.wav", "digits/tone/1.wav"]
    assert list(table["group"]) == ["a", "b", "a"]
    assert any("column 'speaker'" in c.value for c in at.sidebar.caption)
    at.sidebar.selectbox(key="server_entry").set_value("digits").run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(at.dataframe[0].value["file"]) == ["hiss/0.wav", "hiss/1.wav", "tone/0.wav", "tone/1.wav"]
    assert at.query_params["server_entry"] == "digits"  # the link names the entry
    at.sidebar.selectbox(key="server_entry").set_value("runs-1").run()  # an unreadable run.json: a failure row
    assert "run folder format None" in at.dataframe[0].value["problem"][0]


def test_sidebar_refuses_a_link_to_a_path_outside_the_root(layout, monkeypatch):
    root, _ = layout
    at = _app(monkeypatch, root, {"source": "Server folder", "server_entry": "../secret.wav"})
    refused = [w.value.replace("\\", "") for w in at.warning if "Link parameter ignored" in w.value]
    assert refused and "server_entry=../secret.wav: not one of digits, runs-1, train.csv" in refused[0]
    assert at.sidebar.selectbox(key="server_entry").value == "digits"  # the first entry instead
    names = [str(n) for frame in at.dataframe for n in frame.value.get("file", [])]
    assert names and not any("secret" in n for n in names)


def test_without_a_root_the_sidebar_is_unchanged(monkeypatch):
    monkeypatch.delenv(dataroot.DATA_ROOT_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert at.sidebar.radio(key="source").options == ["Bundled sample set", "My files"]
