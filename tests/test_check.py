"""`python -m audiodiag check`: the gate's exit status, its three formats and the clean/quarantine lists, on
folders whose faults are planted (a clipped tone, an unreadable file, a transcript ten times too long)."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from audiodiag import cli, cleanlist
from tests.helpers import noise, sine, wav_bytes

CLIPPED = np.clip(3 * sine(440), -1, 1)  # flat tops at full scale: a "clipping" warning


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture
def faulty(tmp_path) -> Path:
    return _folder(tmp_path / "data", {"a/fine.wav": wav_bytes(noise()), "a/clipped.wav": wav_bytes(CLIPPED),
                                       "b/fine.wav": wav_bytes(noise(amplitude=0.2)),
                                       "b/broken.wav": b"not audio" * 20})


def test_unreadable_file_is_an_error_so_the_default_gate_fails(faulty, capsys):
    assert cli.main(["check", str(faulty)]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("# audiodiag check: data\n\n**FAIL (--fail-on error): 3 clips checked, 1 unreadable")
    assert "- `unreadable`: b/broken.wav: not a readable audio file" in out.out
    assert "- `clipping`: a/clipped.wav:" in out.out


def test_warnings_pass_the_error_gate_and_fail_the_warning_gate(tmp_path):
    data = _folder(tmp_path / "data", {"fine.wav": wav_bytes(noise()), "clipped.wav": wav_bytes(CLIPPED)})
    assert cli.main(["check", str(data)]) == 0
    assert cli.main(["check", str(data), "--fail-on", "warning"]) == 1
    clean = _folder(tmp_path / "clean", {"one.wav": wav_bytes(noise()), "two.wav": wav_bytes(noise(amplitude=0.2))})
    assert cli.main(["check", str(clean), "--fail-on", "warning"]) == 0


def test_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "missing")]) == 2
    assert "not a folder, a .zip, a manifest" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["check", str(tmp_path), "--fail-on", "info"])
    assert e.value.code == 2
    assert cli.main(["check", str(tmp_path), "--clean-list", str(tmp_path / "keep.txt")]) == 2
    assert cli.main(["check", str(tmp_path), "--encoder", "no-such-model"]) == 2


def test_a_folder_of_only_broken_files_fails_with_one_row_each(tmp_path, capsys):
    data = _folder(tmp_path / "data", {"x.wav": b"", "y.wav": b"junk" * 50})
    assert cli.main(["check", str(data), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["n_clips"] == 0 and report["n_unreadable"] == 2 and report["passed"] is False
    assert [u["name"] for u in report["unreadable"]] == ["x.wav", "y.wav"]


def test_json_lists_every_finding_and_every_clip_with_its_measurements(faulty, tmp_path):
    out = tmp_path / "check.json"
    assert cli.main(["check", str(faulty), "--format", "json", "--out", str(out), "--fail-on", "warning"]) == 1
    report = json.loads(out.read_text())
    assert report["passed"] is False and report["fail_on"] == "warning"
    assert report["n_clips"] == 3 and report["clips_with"] == {"error": 1, "warning": 1, "info": 0}
    assert {f["code"] for f in report["findings"]} == {"unreadable", "clipping"}
    clips = {c["name"]: c for c in report["clips"]}
    assert clips["a/clipped.wav"]["findings"] == ["clipping"] and clips["a/clipped.wav"]["label"] == "a"
    assert clips["a/clipped.wav"]["clipping_fraction"] > 0.3
    assert clips["a/fine.wav"]["source"] == str(faulty / "a" / "fine.wav")
    assert clips["a/fine.wav"]["loudness_lufs"] < 0 and "snr_db" in clips["a/fine.wav"]


def test_junit_has_one_case_per_file_failing_at_the_gate_level(faulty, capsys):
    assert cli.main(["check", str(faulty), "--format", "junit"]) == 1
    suite = ElementTree.fromstring(capsys.readouterr().out.encode())
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"a/fine.wav", "a/clipped.wav", "b/fine.wav", "b/broken.wav"}
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    assert cases["b/broken.wav"].find("failure").get("type") == "unreadable"
    # below the gate (error), the clipping warning is reported, not failed
    assert cases["a/clipped.wav"].find("failure") is None
    assert "[warning] clipping: a/clipped.wav" in cases["a/clipped.wav"].find("system-out").text


def test_dataset_level_findings_become_their_own_test_case(tmp_path, capsys):
    data = _folder(tmp_path / "data", {"a.wav": wav_bytes(noise()),
                                       "b.wav": wav_bytes(noise(sample_rate_hz=8000), sample_rate_hz=8000)})
    assert cli.main(["check", str(data), "--format", "junit", "--encoder", "wav2vec2-base", "--fail-on",
                     "warning"]) == 1
    suite = ElementTree.fromstring(capsys.readouterr().out.encode())
    names = [c.get("name") for c in suite.iter("testcase")]
    assert "dataset: sample_rate_mismatch" in names or "dataset: mixed_sample_rates" in names


def test_clean_list_and_quarantine_round_trip(faulty, tmp_path, capsys):
    keep, quarantine = tmp_path / "clean.csv", tmp_path / "quarantine.jsonl"
    assert cli.main(["check", str(faulty), "--clean-list", str(keep), "--quarantine", str(quarantine)]) == 1
    rows = list(csv.DictReader(keep.open()))
    assert [r["path"] for r in rows] == [str(faulty / "a" / "fine.wav"), str(faulty / "b" / "fine.wav")]
    assert [r["label"] for r in rows] == ["a", "b"]
    held = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert [h["path"] for h in held] == [str(faulty / "a" / "clipped.wav"), str(faulty / "b" / "broken.wav")]
    assert held[0]["reasons"].startswith("clipping: a/clipped.wav:") and held[0]["label"] == "a"
    assert held[1]["reasons"].startswith("unreadable: ")
    assert (faulty / "a" / "clipped.wav").exists() and (faulty / "b" / "broken.wav").exists()  # nothing deleted
    capsys.readouterr()
    # the clean list is a manifest: checking it passes even the warning gate
    assert cli.main(["check", str(keep), "--fail-on", "warning"]) == 0
    assert "2 clips checked, 0 unreadable" in capsys.readouterr().out


def test_quarantine_on_chosen_codes_only(faulty, tmp_path, capsys):
    keep = tmp_path / "clean.jsonl"
    cli.main(["check", str(faulty), "--clean-list", str(keep), "--quarantine-on", "dc_offset"])
    assert len(keep.read_text().splitlines()) == 3  # the clipped clip stays: clipping was not chosen
    assert "--quarantine-on dc_offset: no clip has this finding here" in capsys.readouterr().err


def test_split_keeps_input_order_and_lists_only_the_chosen_reasons():
    from audiodiag.types import Finding, LoadFailure

    entries = [cleanlist.Entry("x.wav", "/d/x.wav", "dog"), cleanlist.Entry("y.wav", "/d/y.wav", "cat")]
    findings = {"x.wav": (Finding("clipping", "warning", "x.wav: clipped", ("x.wav",)),
                          Finding("low_level", "info", "x.wav: quiet", ("x.wav",))), "y.wav": ()}
    keep, held = cleanlist.split(entries, findings, quarantine_codes={"clipping"},
                                 failures=[LoadFailure("z.wav", "z.wav: empty")])
    assert keep == [{"path": "/d/y.wav", "label": "cat", "group": None, "transcript": None}]
    assert [h["reasons"] for h in held] == ["clipping: x.wav: clipped", "unreadable: z.wav: empty"]
    assert cleanlist.default_codes(findings) == ["clipping"]
    assert cleanlist.to_text(keep, fmt=".csv") == "path,label\n/d/y.wav,cat\n"


def test_transcripts_far_too_fast_for_their_speech_are_flagged(real_audio, tmp_path):
    folder = real_audio / "utterances"
    table = {r["path"]: r["reference"] for r in csv.DictReader((folder / "transcripts.csv").open())}
    names = sorted(table)[:3]
    manifest = tmp_path / "train.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "transcript"])
        for i, name in enumerate(names):
            writer.writerow([str(folder / name), table[name] * (10 if i == 0 else 1)])
    out = tmp_path / "check.json"
    assert cli.main(["check", str(manifest), "--format", "json", "--out", str(out), "--fail-on", "warning"]) == 1
    report = json.loads(out.read_text())
    (finding,) = [f for f in report["findings"] if f["code"].startswith("transcript_")]
    assert finding["code"] == "transcript_too_fast" and finding["files"] == [str(folder / names[0])]
