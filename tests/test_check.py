"""`python -m audiodiag check`: the gate's exit status, its three formats and the clean/quarantine lists, on
folders whose faults are planted (a clipped tone, an unreadable file, a transcript ten times too long; a fault of
every kind check knows, identical files, a 24-bit stereo 96 kHz file and columns nothing reads)."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from audiodiag import cli
from audiodiag.data import decoding
from audiodiag.measure import cleanlist
from audiodiag.represent import encoders
from tests.helpers import noise, sine, wav_bytes

CLIPPED = np.clip(3 * sine(440), -1, 1)  # flat tops at full scale: a "clipping" warning
HI_RES = "b/hi_res.wav"  # 24-bit, 2 channels, 96 kHz
PLANTED = {  # finding code -> the files it must name
    "unreadable": {"b/broken.wav", "b/empty.wav"}, "clipping": {"a/clipped.wav"}, "all_silent": {"a/silent.wav"},
    "dc_offset": {"a/dc.wav"}, "non_finite": {"a/nan.wav"}, "low_bit_depth": {"a/eight_bit.wav"},
    "many_channels": {"a/six_channels.wav"}, "low_level": {"a/quiet.wav"}, "band_limited": {"a/band_limited.wav"},
    "high_sample_rate": {HI_RES}, "duplicate_clips": {"a/fine.wav", "a/copy_of_fine.wav"},
    "unused_columns": {"labels.csv"},
}


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


@pytest.fixture
def planted(tmp_path) -> Path:
    """A file fault of each kind in PLANTED (two files byte for byte the same among them) and a labels table whose
    columns mic_gain and take nothing reads."""
    with_nan = noise(seed=3)
    with_nan[100:110] = np.nan
    upsampled = decoding.resample(noise(seed=13, sample_rate_hz=8_000), orig_sample_rate_hz=8_000,
                                  target_sample_rate_hz=16_000)  # nothing above 4 kHz in a 16 kHz file
    files = {
        "a/fine.wav": wav_bytes(noise()), "a/copy_of_fine.wav": wav_bytes(noise()),
        "a/clipped.wav": wav_bytes(CLIPPED), "b/broken.wav": b"not audio" * 20, "b/empty.wav": b"",
        "a/silent.wav": wav_bytes(np.zeros(16_000, np.float32)), "a/dc.wav": wav_bytes(noise(seed=4) + 0.2),
        "a/nan.wav": wav_bytes(with_nan, subtype="FLOAT"),
        "a/eight_bit.wav": wav_bytes(noise(seed=5), subtype="PCM_U8"),
        "a/six_channels.wav": wav_bytes(np.stack([noise(seed=6 + i) for i in range(6)], axis=1)),
        "a/quiet.wav": wav_bytes(noise(seed=12, amplitude=0.003)),  # peak about -38 dBFS
        "a/band_limited.wav": wav_bytes(upsampled),
        HI_RES: wav_bytes(np.stack([noise(seed=14, sample_rate_hz=96_000)] * 2, axis=1), sample_rate_hz=96_000,
                          subtype="PCM_24"),
    }
    rows = "".join(f"{name},{name[0]},spk{i % 3},{i},{i % 2}\n" for i, name in enumerate(files))
    return _folder(tmp_path / "data", {**files, "labels.csv": f"path,label,speaker,mic_gain,take\n{rows}".encode()})


def test_check_alone_names_every_planted_file_fault(planted, tmp_path, capsys):
    out = tmp_path / "check.json"
    assert cli.main(["check", str(planted), "--format", "json", "--out", str(out)]) == 1
    report = json.loads(out.read_text())
    named = {f["code"]: set(f["files"]) for f in report["findings"]}
    assert {code: files & named.get(code, set()) for code, files in PLANTED.items()} == PLANTED
    clips = {c["name"]: c for c in report["clips"]}
    assert {k: clips[HI_RES][k] for k in ("container", "subtype", "bit_depth", "channels", "sample_rate_hz")} == {
        "container": "WAV", "subtype": "PCM_24", "bit_depth": 24, "channels": 2, "sample_rate_hz": 96_000}
    assert {"container": "WAV", "subtype": "PCM_24", "bit_depth": 24, "channels": 2, "sample_rate_hz": 96_000,
            "n_clips": 1, "files": [HI_RES]} in report["formats"]
    assert clips["a/fine.wav"]["findings"] == clips["a/copy_of_fine.wav"]["findings"] == ["duplicate_clips"]
    capsys.readouterr()

    assert cli.main(["check", str(planted)]) == 1
    text = capsys.readouterr().out
    assert "| container | encoding | bits | channels | rate (Hz) | clips | files |" in text
    assert f"| WAV | PCM_24 | 24 | 2 | 96000 | 1 | {HI_RES} |" in text
    assert "| WAV | PCM_U8 | 8 | 1 | 16000 | 1 | a/eight_bit.wav |" in text
    assert "- `duplicate_clips`: 1 pair(s) of identical clips: a/copy_of_fine.wav and a/fine.wav." in text
    assert "- `unused_columns`: labels.csv: columns not used: mic_gain, take (read: path, label, speaker)" in text


def test_near_duplicates_name_a_relevelled_copy_when_asked(tmp_path):
    take = sine(330, amplitude=0.3) + noise(seed=9, amplitude=0.02)
    files = {f"tone_{hz}.wav": wav_bytes(sine(hz, amplitude=0.3)) for hz in (220, 330, 500, 700)}
    files |= {f"hiss_{seed}.wav": wav_bytes(noise(seed=seed)) for seed in (1, 2)}
    files |= {"take.wav": wav_bytes(take), "take_quieter.wav": wav_bytes(0.8 * take)}  # not identical samples
    data, out = _folder(tmp_path / "data", files), tmp_path / "check.json"
    assert cli.main(["check", str(data), "--format", "json", "--out", str(out)]) == 0
    assert not [f for f in json.loads(out.read_text())["findings"] if "duplicate" in f["code"]]
    assert cli.main(["check", str(data), "--near-duplicates", "--format", "json", "--out", str(out)]) == 0
    (near,) = [f for f in json.loads(out.read_text())["findings"] if "duplicate" in f["code"]]
    assert near["code"] == "near_duplicates" and near["files"] == ["take.wav", "take_quieter.wav"]
    assert near["message"].startswith("spectral baseline (MFCC/log-mel): 1 pair(s) of near-duplicates")


def test_check_takes_every_target_name_report_takes(tmp_path):
    data, out = _folder(tmp_path / "data", {"a.wav": wav_bytes(noise(duration_s=0.5))}), tmp_path / "check.json"
    assert encoders.get_spec("aisfx") is encoders.CATALOGUE[encoders.AISFX]
    assert encoders.get_spec("whisper-tiny.en-unpadded") is encoders.CATALOGUE[encoders.WHISPER_UNPADDED]
    assert encoders.get_spec("facebook/wav2vec2-base") is encoders.CATALOGUE["wav2vec2-base"]  # its Hugging Face id
    for name in [*encoders.ALIASES, *encoders.CATALOGUE]:
        full = encoders.canonical_name(name)
        assert cli.main(["check", str(data), "--encoder", name, "--format", "json", "--out", str(out)]) == 0, name
        assert json.loads(out.read_text())["target"] == full
        assert cli.comparison_settings(cli.parser().parse_args(["report", "x", "--encoder", name])).encoders in (
            (full,), ()), name  # report's settings resolve the name the same way (the baseline is always there)


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
    facts = {p.get("name"): p.get("value") for p in cases["a/clipped.wav"].iter("property")}  # every clip's format
    assert facts == {"container": "WAV", "subtype": "PCM_16", "bit_depth": "16", "channels": "1",
                     "sample_rate_hz": "16000"}
    assert cases["b/broken.wav"].find("properties") is None  # an unreadable file has no format to report


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
