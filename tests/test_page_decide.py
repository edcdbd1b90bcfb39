"""AppTest: the Decide page on bundled data and on uploads; the CLI reaches the same verdict as the page."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audiodiag import cli
from audiodiag.settings import ComparisonSettings
from tests.helpers import noise, sine, tiny_wav2vec2, wav_bytes, zip_bytes

pytestmark = pytest.mark.slow  # the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 300


def _decide(params: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update(params or {})
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page("pages/5_Decide.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_renders_curves_audit_and_the_note_and_the_cli_agrees(tmp_path, capsys):
    at = _decide({"sample_set": "sounds"})
    titles = [json.loads(c.proto.spec).get("layout", {}).get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert any("Learning curve" in t for t in titles), titles
    assert any("Metadata\\-only classifier" in s.value for s in [*at.success, *at.warning])
    assert any("Fine-tuning refused" in w.value and "12" in w.value for w in at.warning)  # 12 clips per class
    headers = [h.value for h in at.header]
    assert "Decision note" in headers
    markdown = " ".join(m.value for m in at.markdown)
    for section in ("**Task and data**", "**Rungs 1 and 2: spectral baseline and frozen encoders", "**Rung 3: is fine"):
        assert section in markdown
    assert len(at.get("download_button")) == 3  # Markdown, JSON and HTML
    assert any("beats the baseline" in table.value.columns for table in at.dataframe)  # the note's rung table
    page = json.loads(at.json[-1].value)

    # the sounds are not speech: the page starts with the target model and the sound encoder
    assert page["settings"]["cli"] == "python -m audiodiag report sounds --task classify --encoder " \
                                      "whisper-tiny.en-unpadded --encoder aisfx --folds 5"
    out = tmp_path / "note.json"  # the command the note gives to reproduce it
    command = shlex.split(page["settings"]["cli"])[3:]
    assert cli.main([*command, "--json", str(out), "--out", str(tmp_path / "note.md")]) == 0
    headless = json.loads(out.read_text())
    assert (headless["verdict"], headless["rung"], headless["fine_tuning"]) == (
        page["verdict"], page["rung"], page["fine_tuning"])
    measured = ("space", "accuracy", "balanced_accuracy", "macro_f1", "per_class_f1", "random_split_accuracy")
    assert [{k: r[k] for k in measured} for r in headless["data"]["rungs"]] == \
        [{k: r[k] for k in measured} for r in page["data"]["rungs"]]  # the same numbers, not only the same words
    assert headless["data"]["paired"] == page["data"]["paired"]


def test_single_class_upload_is_refused_with_the_reason():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.switch_page("pages/5_Decide.py")
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    files = [(f"data/dog/d{i}.wav", wav_bytes(noise(duration_s=0.3, seed=i))) for i in range(3)]
    at.sidebar.get("file_uploader")[0].set_value([("dogs.zip", zip_bytes(dict(files)), "application/zip")]).run()
    assert not at.exception
    assert any("No decision is possible" in e.value and "one class" in e.value for e in at.error)


def test_hugging_face_encoder_gets_the_layer_sweep_and_a_fine_tuning_run(tmp_path):
    model = tiny_wav2vec2(tmp_path / "tiny")
    members = {}
    for i in range(20):
        members[f"tone/t{i}.wav"] = wav_bytes(sine(300 + 20 * i, duration_s=0.25))
        members[f"noise/n{i}.wav"] = wav_bytes(noise(duration_s=0.25, seed=i))
    request = ComparisonSettings(encoders=(model,), n_splits=5, group_aware=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["compare_request"] = request
    at.switch_page("pages/5_Decide.py")
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([("set.zip", zip_bytes(members), "application/zip")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("Fine-tuning refused" in w.value for w in at.warning)

    at.button(key="decide_sweep").click().run()
    titles = [json.loads(c.proto.spec).get("layout", {}).get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert any(t.startswith("Probe accuracy per layer") for t in titles), titles

    at.number_input(key="decide_ft_epochs").set_value(2)
    at.number_input(key="decide_ft_top").set_value(1)
    next(b for b in at.button if b.label == "Fine-tune on the same folds").click().run()
    assert not at.exception, [e.value for e in at.exception]
    texts = " ".join(m.value for m in at.markdown)
    assert "fine\\-tuned, top 1 layers" in texts or "fine-tuned, top 1 layers" in texts
    titles = [json.loads(c.proto.spec).get("layout", {}).get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert any("training loss" in t for t in titles), titles


def test_retrieval_task_from_a_link_shows_the_table_and_the_retrieval_note(tmp_path):
    at = _decide({"sample_set": "spoken_digits", "decide_task": "retrieve"})
    assert at.radio(key="decide_task").value == "retrieve"
    table = next(d.value for d in at.dataframe if "precision@1 [95% CI]" in d.value.columns)
    assert len(table) == 2 and table["queries scored"].tolist() == ["120 of 120"] * 2
    page = json.loads(at.json[-1].value)
    assert page["task"] == "retrieval" and page["settings"]["cli"].startswith(
        "python -m audiodiag report spoken_digits --task retrieve")
    out = tmp_path / "r.json"
    assert cli.main(["report", "spoken_digits", "--task", "retrieve", "--json", str(out),
                     "--out", str(tmp_path / "r.md")]) == 0
    headless = json.loads(out.read_text())
    assert (headless["verdict"], headless["rung"]) == (page["verdict"], page["rung"])
    assert headless["data"]["spaces"] == page["data"]["spaces"]


def test_settings_round_trip_page_link_to_command_line_gives_the_same_json_note(tmp_path):
    """Compare settings in a link → the Decide page's note and its command line → that command's note: equal."""
    import re

    link = {"sample_set": "sounds", "compare_encoders": "speech_embedding (openwakeword)", "compare_folds": "3",
            "compare_groups": "false", "compare_padding": "pad or trim", "compare_pad_s": "1.5"}
    at = _decide(link)
    page = json.loads(at.json[-1].value)
    line = page["settings"]["cli"]
    assert line == ("python -m audiodiag report sounds --task classify --encoder speech_embedding --folds 3 "
                    "--no-groups --pad-s 1.5")
    assert ComparisonSettings.from_dict({k: v for k, v in page["settings"].items() if k not in ("dataset", "cli")}) \
        == ComparisonSettings(encoders=("speech_embedding",), n_splits=3, group_aware=False, pad_s=1.5)
    out = tmp_path / "note.json"
    assert cli.main([*shlex.split(line)[3:], "--json", str(out), "--out", str(tmp_path / "note.md")]) == 0

    def comparable(note: dict) -> dict:  # timings are wall-clock, the how-to-fix texts name the interface (a
        # claim's text too: its kind, verdict, evidence and rule must be equal)
        def strip(o):
            if isinstance(o, dict):
                return {k: strip(v) for k, v in o.items()
                        if "seconds" not in k and k not in ("settings", "from_cache", "text")}
            if isinstance(o, list):
                return [strip(v) for v in o]
            return re.sub(r"\d+(\.\d+)? ms", "<time>", o) if isinstance(o, str) else o
        return strip({k: note[k] for k in ("verdict", "rung", "fine_tuning", "data")})

    headless = json.loads(out.read_text())
    assert comparable(headless) == comparable(page)  # every number, finding and label issue; verdict and rung
    assert headless["data"]["rungs"][1]["space"] == "speech_embedding (openwakeword)"


def test_the_header_names_the_folds_actually_used_not_the_folds_asked():
    """5 folds asked, but a class of 3 clips allows only 3: the header said "5 folds" above a 3-fold note."""
    members = {f"set/{label}/{i}.wav": wav_bytes(sine(300 + 40 * i, duration_s=0.3) if label == "tone" else
                                                 noise(duration_s=0.3, seed=i))
               for label, n in (("tone", 3), ("hiss", 6)) for i in range(n)}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["compare_request"] = ComparisonSettings(encoders=(), n_splits=5, group_aware=False)
    at.switch_page("pages/5_Decide.py")
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([("set.zip", zip_bytes(members), "application/zip")]).run()
    assert not at.exception, [e.value for e in at.exception]
    (header,) = [c.value.replace("\\", "") for c in at.caption if c.value.startswith("Spaces:")]
    assert "3 folds (5 asked" in header and "5 folds," not in header, header
