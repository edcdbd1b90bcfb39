"""`python -m audiodiag samples --download fsdd`, offline: a local HTTP server on 127.0.0.1 serves the real
recordings from ../shared/sample_audio in FSDD's own layout; nothing leaves this machine."""
from __future__ import annotations

import functools
import http.server
import shutil
import threading

import numpy as np
import pytest

from audiodiag import cli
from audiodiag.data import download, layout, sample_sets
from audiodiag.errors import BadParameterError, MissingDependencyError
from tests.helpers import wav_bytes


@pytest.fixture
def fsdd_mirror(real_audio, tmp_path):
    """A folder laid out like FSDD's repository (recordings/<digit>_<speaker>_<take>.wav), served over HTTP."""
    root = tmp_path / "mirror"
    (root / "recordings").mkdir(parents=True)
    for local, (remote, *_) in download.FSDD.files.items():
        shutil.copyfile(real_audio / "spoken_digits" / local, root / remote)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_checks_every_file_and_the_set_appears_next_to_the_bundled_ones(fsdd_mirror, tmp_path, monkeypatch):
    _, url = fsdd_mirror
    monkeypatch.setenv("AUDIODIAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(download.BASE_URL_ENV, url)
    assert "fsdd" not in sample_sets.list_sample_sets()
    assert cli.main(["samples", "--download", "fsdd"]) == 0
    folder = download.downloaded_sets()["fsdd"]
    assert "CC BY-SA 4.0" in (folder / "ATTRIBUTION.md").read_text()
    clips = list(layout.iter_clips(sample_sets.load_sample_set("fsdd")))
    assert len(clips) == 100 and {c.group for c in clips} == set(download.FSDD_SPEAKERS)
    assert {c.label for c in clips} == {str(d) for d in range(10)} and {c.sample_rate_hz for c in clips} == {8_000}
    assert "fsdd" in sample_sets.list_sample_sets()


def test_a_changed_or_missing_file_is_named_and_the_rest_is_kept(fsdd_mirror, tmp_path):
    root, url = fsdd_mirror
    (root / "recordings" / "3_theo_5.wav").write_bytes(wav_bytes(np.zeros(4_000, np.float32), sample_rate_hz=8_000))
    (root / "recordings" / "7_george_6.wav").unlink()
    with pytest.raises(MissingDependencyError) as error:
        download.download("fsdd", cache_dir=tmp_path, base_url=url)
    message = str(error.value)
    assert "2 of 100 files" in message and "3/theo_5.wav" in message and "pinned sha256" in message
    assert "7/george_6.wav" in message and "98 others" in message
    folder = download.datasets_dir(tmp_path) / "fsdd"
    assert len(list(folder.rglob("*.wav"))) == 98 and not (folder / "3" / "theo_5.wav").exists()
    assert "fsdd" not in download.downloaded_sets(tmp_path)  # incomplete: not offered as a sample set

    fetched = []  # a second call fetches only the two files it lacks
    original = download._fetch
    try:
        download._fetch = lambda url_, target, digest: fetched.append(target.name) or original(url_, target, digest)
        with pytest.raises(MissingDependencyError, match="2 of 100"):
            download.download("fsdd", cache_dir=tmp_path, base_url=url)
    finally:
        download._fetch = original
    assert sorted(fetched) == ["george_6.wav", "theo_5.wav"]


def test_unknown_dataset_and_unreachable_server_are_user_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["samples", "--download", "nope"])
    assert exit_.value.code == cli.EXIT_USER_ERROR
    with pytest.raises(BadParameterError, match="unknown dataset"):
        download.download("nope", cache_dir=tmp_path)
    with pytest.raises(MissingDependencyError, match="100 of 100 files could not be downloaded"):
        download.download("fsdd", cache_dir=tmp_path, base_url="http://127.0.0.1:9/")  # discard port: refused
