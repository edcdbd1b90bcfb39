"""Columns of a labels table or manifest that nothing reads are named ("columns not used: mic_gain, take") by one
rule (io.unused_columns), wherever the table is read: check, report, and the sidebar
(tests/test_page_clip_formats.py)."""
from __future__ import annotations

import json

from audiodiag import cli
from audiodiag.data import manifest, tables
from audiodiag.represent import spaces
from tests.helpers import noise, sine, wav_bytes

HEADER = "path,label,speaker,mic_gain,take"


def test_a_labels_table_names_what_it_does_not_read():
    unused = tables.table_unused_columns(f"{HEADER}\na.wav,dog,ann,3,1\n".encode(), name="labels.csv")
    assert unused.message == "labels.csv: columns not used: mic_gain, take (read: path, label, speaker)"
    chosen = tables.table_unused_columns(HEADER.encode(), name="labels.csv", group_by="take")  # take holds the groups
    assert (chosen.columns, chosen.used) == (("speaker", "mic_gain"), ("path", "label", "take"))
    assert tables.table_unused_columns(HEADER.encode(), name="t.csv", group_by=tables.NO_GROUPS).columns == (
        "speaker", "mic_gain", "take")
    assert tables.table_unused_columns(b"file_name,label,fold,reference,group\n", name="metadata.csv") is None


def _data(root, header: str = HEADER):
    """Two words x 3 speakers x 2 takes, flat, with a labels CSV that has `header`'s columns."""
    root.mkdir()
    rows = [header]
    for s, pitch in enumerate((150, 220, 300)):
        for label, extra in (("a", 0), ("b", 400)):
            for take in range(2):
                name = f"{label}_{s}_{take}.wav"
                (root / name).write_bytes(wav_bytes(sine(pitch + extra + 7 * take, duration_s=0.3)))
                rows.append(f"{name},{label},spk{s},{s + 2},{take}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def test_check_and_report_name_the_columns_nothing_reads(tmp_path, capsys):
    data, out = _data(tmp_path / "data"), tmp_path / "out"
    assert cli.main(["check", str(data), "--format", "json", "--out", str(out)]) == 0
    (finding,) = [f for f in json.loads(out.read_text())["findings"] if f["code"] == "unused_columns"]
    assert finding == {"code": "unused_columns", "severity": "info", "files": ["labels.csv"],
                       "message": "labels.csv: columns not used: mic_gain, take (read: path, label, speaker)"}
    capsys.readouterr()
    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "3", "--out", str(out)]) == 0
    assert "not used: labels.csv: columns not used: mic_gain, take" in capsys.readouterr().err
    note = out.read_text()
    assert "Inputs not used (1)" in note and "labels.csv: columns not used: mic_gain, take" in note


def test_a_manifest_names_its_unused_columns_and_check_says_them(tmp_path):
    (tmp_path / "a.wav").write_bytes(wav_bytes(noise()))
    (tmp_path / "b.wav").write_bytes(wav_bytes(sine()))
    (tmp_path / "train.csv").write_text(f"{HEADER}\na.wav,hiss,ann,3,1\nb.wav,tone,bob,2,0\n")
    opened = manifest.open_manifest(tmp_path / "train.csv")
    assert (opened.unused_columns.columns, opened.unused_columns.table) == (("mic_gain", "take"), "train.csv")
    out = tmp_path / "check.json"
    assert cli.main(["check", str(tmp_path / "train.csv"), "--format", "json", "--out", str(out)]) == 0
    assert "train.csv: columns not used: mic_gain, take" in {f["message"].split(" (read")[0]
                                                             for f in json.loads(out.read_text())["findings"]}
