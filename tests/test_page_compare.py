"""AppTest: the Compare page end to end on bundled data with the baseline and a bundled encoder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audiodiag.represent import encoders, spaces
from tests.helpers import raw_missing, sine, wav_bytes

# the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py; each test starts with an
# empty cache, so what the page computes is counted
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("private_cache")]

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 300


def _compare_page(sample_set: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    if sample_set:
        at.sidebar.selectbox(key="sample_set").set_value(sample_set).run()
    at.switch_page("pages/2_Compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at: AppTest) -> AppTest:
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]


def _all_text(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("success", "warning", "info", "error", "markdown", "caption")
                     for e in at.get(kind))


def test_compare_runs_end_to_end_with_two_confusion_matrices_cis_and_verdict():
    at = _run(_compare_page("spoken_digits"))
    titles = _titles(at)
    assert spaces.BASELINE in titles and encoders.WHISPER_UNPADDED in titles  # one confusion matrix per rung
    for name in (spaces.BASELINE, encoders.WHISPER_UNPADDED):
        figure = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                      if json.loads(c.proto.spec)["layout"]["title"]["text"] == name)
        z = figure["data"][0]["z"]
        assert len(z) == 10 and all(abs(sum(row) - 1) < 0.01 for row in z)  # 10 digits, rows normalised
    table = next(d.value for d in at.dataframe if "beats baseline" in d.value.columns)  # the comparison table
    assert list(table["space"]) == [spaces.BASELINE, encoders.WHISPER_UNPADDED]
    assert all("[" in v and "]" in v for v in table["accuracy [95% CI]"])  # value [low, high]
    verdicts = [s.value for s in at.get("success") + at.get("warning") + at.get("info")
                if "paired p =" in s.value]
    assert len(verdicts) == 1  # the result once: who beats whom, the difference [CI] and p, details folded away
    headline = verdicts[0].replace("\\", "")
    assert any(v in headline for v in ("beats the baseline: accuracy +", "does not beat the baseline",
                                       "is inconclusive against the baseline")), headline
    assert "How each verdict was reached" in [e.label for e in at.expander]
    assert raw_missing(at) == []
    assert "Accuracy vs padded fraction of the model input" not in titles  # padding policy none: nothing padded
    assert any("No clip is padded with these settings" in c.value for c in at.caption)
    assert "Possibly mislabelled clips" in [h.value for h in at.subheader]  # confident learning, best rung


def test_speech_encoder_on_non_speech_sounds_gets_the_warning():
    at = _run(_compare_page("sounds"))
    warnings = [w.value for w in at.warning]
    assert any("is a speech model" in w and "speech in only" in w for w in warnings), warnings


def test_a_finding_about_two_encoders_is_one_box_naming_both():
    at = _compare_page("sounds")
    at.multiselect(key="compare_encoders").set_value([encoders.WHISPER_UNPADDED, encoders.SPEECH_EMBEDDING])
    _run(at)
    boxes = [w.value for kind in ("warning", "info", "error") for w in at.get(kind) if "speech in only" in w.value]
    assert len(boxes) == 1, boxes
    assert "whisper" in boxes[0] and "speech\\_embedding" in boxes[0] and "are speech models" in boxes[0]
    assert raw_missing(at) == []


def test_encoders_that_cannot_run_are_one_box_listing_each(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoders.hub_reachable.cache_clear()
    at = _compare_page("sounds")
    at.multiselect(key="compare_encoders").set_value(["wav2vec2-base", "hubert-base"])
    _run(at)
    boxes = [e.value for e in at.error if "could not run" in e.value]
    assert len(boxes) == 1 and "wav2vec2\\-base" in boxes[0] and "hubert\\-base" in boxes[0], boxes
    encoders.hub_reachable.cache_clear()


def test_one_class_upload_is_refused_with_the_reason():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(
        [(f"tone_{i}.wav", wav_bytes(sine(440 + 10 * i)), "audio/wav") for i in range(3)]).run()
    at.switch_page("pages/2_Compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("cannot be compared" in e and "no label" in e for e in errors), errors


def test_unknown_custom_encoder_is_an_error_listing_valid_names_not_a_crash():
    at = _compare_page("sounds")
    at.text_input(key="compare_custom").set_value("no such model")
    at.multiselect(key="compare_encoders").set_value([])
    _run(at)
    errors = [e.value for e in at.error]
    assert any("unknown encoder" in e and "whisper" in e for e in errors), errors


def test_an_encoder_that_cannot_run_leaves_the_other_rows_intact():
    at = _compare_page("sounds")
    at.text_input(key="compare_custom").set_value("no-such-owner/no-such-model")  # hub id, offline
    at.multiselect(key="compare_encoders").set_value([encoders.SPEECH_EMBEDDING])
    _run(at)
    assert any("could not run" in e.value and "no\\-such\\-model" in e.value for e in at.error), \
        [e.value for e in at.error]
    (table,) = [d.value for d in at.dataframe if "beats baseline" in d.value.columns]
    assert list(table["space"]) == [spaces.BASELINE, encoders.SPEECH_EMBEDDING]
    assert not [s for s in at.get("expandable") if "Running" in str(getattr(s.proto, "label", ""))]


def _baseline_only_on_uploaded_tones_and_hiss() -> AppTest:
    """Compare, baseline only, on 4 tones and 4 hiss clips uploaded with a labels CSV (no groups)."""
    from tests.helpers import noise

    files = [(f"tone_{i}.wav", wav_bytes(sine(300 + 50 * i)), "audio/wav") for i in range(4)]
    files += [(f"hiss_{i}.wav", wav_bytes(noise(seed=i)), "audio/wav") for i in range(4)]
    rows = "".join(f"{n},{'tone' if n.startswith('tone') else 'hiss'},\n" for n, _, _ in files)
    files.append(("labels.csv", f"path,label,group\n{rows}".encode(), "text/csv"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(files).run()
    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_encoders").set_value([])
    return at


def test_uploaded_clips_with_a_labels_csv_are_compared():
    at = _baseline_only_on_uploaded_tones_and_hiss()
    _run(at)
    assert {m.label: m.value for m in at.metric}["Classes"] == "2"
    table = next(d.value for d in at.dataframe if "beats baseline" in d.value.columns)  # the comparison table
    assert list(table["space"]) == [spaces.BASELINE]
    assert table["accuracy [95% CI]"][0].startswith("1.000")  # tones vs hiss: separable


def test_the_group_column_is_picked_in_the_sidebar_and_its_absence_is_a_warning():
    from tests.helpers import noise
    files = [(f"tone_{i}.wav", wav_bytes(sine(300 + 50 * i)), "audio/wav") for i in range(6)]
    files += [(f"hiss_{i}.wav", wav_bytes(noise(seed=i)), "audio/wav") for i in range(6)]
    rows = "".join(f"{n},{'tone' if n.startswith('tone') else 'hiss'},spk{i % 3},{i % 2}\n"
                   for i, (n, _, _) in enumerate(files))
    files.append(("labels.csv", f"path,label,speaker,take\n{rows}".encode(), "text/csv"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(files).run()
    picker = at.sidebar.selectbox(key="group_column")
    assert picker.options == ["auto: speaker", "speaker", "take", "no groups"]
    assert any("Groups: column 'speaker' of labels" in c.value for c in at.sidebar.caption)
    picker.set_value("(none)").run()
    assert any("leakage is unmeasured" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/2_Compare.py").run()
    at.multiselect(key="compare_encoders").set_value([])
    _run(at)
    assert any("leakage is unmeasured" in w.value and "upper bound" in w.value for w in at.warning)


def test_hub_only_encoders_are_marked_when_not_cached_and_the_hub_is_unreachable(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoders.hub_reachable.cache_clear()
    at = _compare_page("sounds")
    options = at.multiselect(key="compare_encoders").options
    assert any(o.startswith("wav2vec2-base (needs the model hub") for o in options), options
    assert encoders.WHISPER_UNPADDED in options  # bundled: no mark
    encoders.hub_reachable.cache_clear()


def test_the_group_column_of_a_table_inside_an_uploaded_zip_can_be_picked():
    from tests.helpers import noise, zip_bytes
    members = {f"set/{label}/{i}.wav": wav_bytes(sine(300 + 40 * i) if label == "tone" else noise(seed=i))
               for label in ("tone", "hiss") for i in range(6)}
    members["set/groups.csv"] = ("path,label,speaker,session\n" + "".join(
        f"{label}/{i}.wav,{label},spk{i % 3},day{i % 2}\n" for label in ("tone", "hiss") for i in range(6))).encode()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value([("data.zip", zip_bytes(members), "application/zip")]).run()
    picker = at.sidebar.selectbox(key="group_column")
    assert picker.options == ["auto: speaker", "speaker", "session", "no groups"]
    picker.set_value("session").run()
    assert any("Groups: column 'session'" in c.value for c in at.sidebar.caption)
    assert not at.exception


def test_the_padding_heading_follows_the_measurement_and_names_the_settings_in_use():
    """It said "Padding is not harmless" above "No clip is padded"; trimming only (every clip longer than the
    length) pads nothing either, and the caption names that policy rather than "none"."""
    at = _baseline_only_on_uploaded_tones_and_hiss()
    at.radio(key="compare_padding").set_value("pad or trim")
    at.number_input(key="compare_pad_s").set_value(0.5)  # every clip is 1 s: cut, never padded
    _run(at)
    headings = [h.value for h in at.subheader]
    assert "Padding: no clip is padded" in headings and not any("harmless" in h for h in headings), headings
    captions = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "No clip is padded with these settings (padding: pad or trim to 0.5 s)" in captions
    assert "padding policy none" not in captions
