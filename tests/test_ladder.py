"""Issue 29, the ladder chart: its rows are the note's rung table in numbers, the figure marks each verdict, the
note's HTML export carries it first, and Compare, Decide and a run folder's Decide view show it."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from audiodiag import cli
from audiodiag.data import dataroot
from audiodiag.evaluation import compare
from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.evaluation.evaluate import PairedComparison
from audiodiag.represent import spaces
from audiodiag.represent.spaces import SpaceVectors
from audiodiag.runs import run_folder
from audiodiag.types import Readiness
from audiodiag.verdict import ladder_chart, notes, rung_table
from audiodiag.verdict.recommendation import recommendation
from audiodiag.verdict.evidence import ClassificationEvidence, Groups, Rung
from tests.helpers import make_clip, noise, sine, wav_bytes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT_S = 300
BASE, WHISPER, HUBERT = "spectral baseline", "whisper", "hubert"
HOSTILE = "<img src=x onerror=alert(1)>"
N_CLIPS = 60


def _rung(space: str, accuracy: float, *, ms: float) -> Rung:
    a = Estimate(accuracy, accuracy - 0.05, min(1.0, accuracy + 0.05))
    return Rung(space, a, a, ms / 1e3, 8, 1.0, {"a": accuracy}, ())


def _pair(b: str, verdict: str, d: tuple[float, float, float], *, a: str = BASE) -> PairedComparison:
    return PairedComparison(a, b, N_CLIPS, 0.8, 0.8 + d[0], Estimate(*d), 2, 8, 0.01, verdict, f"{verdict}: ...")


def _evidence(*, gain: PairedComparison | None = None) -> ClassificationEvidence:
    """The baseline, an encoder that beats it (+0.100) and one that is inconclusive (+0.020, CI through 0)."""
    return ClassificationEvidence(
        n_clips=N_CLIPS, class_counts={"a": 30, "b": 30}, folds_note="5-fold", n_splits=5,
        groups=Groups(given=False, used=False, requested=True, n_groups=None, n_clips=N_CLIPS), padding_label="none",
        rungs=(_rung(BASE, 0.8, ms=1.0), _rung(WHISPER, 0.9, ms=20.83), _rung(HUBERT, 0.82, ms=35.0)),
        pairs=(_pair(WHISPER, "yes", (0.1, 0.02, 0.2)), _pair(HUBERT, "inconclusive", (0.02, -0.05, 0.09))),
        readiness=Readiness(True, "enough."), finetune_gain=gain)


def _gain(verdict: str) -> PairedComparison:
    """Fine-tuned whisper against frozen whisper: 54 of 60 clips right."""
    return PairedComparison(f"{WHISPER} (frozen)", f"{WHISPER} (fine-tuned, top 2 layers)", N_CLIPS, 0.9, 0.9,
                            Estimate(0.0004, -0.06, 0.07) if verdict != "yes" else Estimate(0.05, 0.01, 0.09),
                            3, 3, 0.9 if verdict != "yes" else 0.01, verdict, f"{verdict}: ...")


# ---------------------------------------------------------------- the rows

def test_ladder_rows_are_the_rung_tables_numbers():
    e = _evidence()
    rows, table = rung_table.ladder(e), rung_table.rung_table(e)
    assert [(r["rung"], r["space"]) for r in rows] == [("baseline", BASE), ("frozen encoder", WHISPER),
                                                        ("frozen encoder", HUBERT)]
    assert [(r["verdict"], r["mark"], r["recommended"]) for r in rows] == [
        (None, "reference", False), ("yes", "beats baseline", True), ("inconclusive", "inconclusive", False)]
    assert rows[0]["difference"] is None and rows[0]["versus"] is None
    for row, cells in zip(rows, table[1:]):
        assert str(Estimate(**row["accuracy"])) == cells[2]
        assert cells[7].startswith(rung_table.ms_per_clip(row["seconds_per_clip"]) + ",")
        if row["difference"] is not None:
            assert rung_table.difference_text(row["difference"]) == cells[4] and row["verdict"] == cells[5]
    assert rows[1]["difference"] == pytest.approx({"value": 0.1, "ci_low": 0.02, "ci_high": 0.2})
    assert rows[1]["seconds_per_clip"] == pytest.approx(0.02083)


@pytest.mark.parametrize("verdict, recommended", [("no", [True, False]), ("inconclusive", [False, False])])
def test_the_recommended_mark_follows_the_headline(verdict, recommended):
    """No encoder beats the baseline: "use the baseline" marks it; "undecided" marks no rung."""
    e = replace(_evidence(), rungs=_evidence().rungs[:2], pairs=(_pair(WHISPER, verdict, (0.01, -0.05, 0.07)),))
    assert [r["recommended"] for r in rung_table.ladder(e)] == recommended
    assert recommendation(e, invalidated=False).verdict == ("undecided" if verdict == "inconclusive"
                                                                  else "spectral baseline")


def test_a_measured_fine_tuning_gain_is_the_last_rung_and_recommended_only_when_it_wins():
    won = rung_table.ladder(_evidence(gain=_gain("yes")))
    tuned = won[-1]
    assert (tuned["rung"], tuned["space"], tuned["versus"]) == ("fine-tuned", f"{WHISPER} (fine-tuned, top 2 layers)",
                                                                f"{WHISPER} (frozen)")
    assert tuned["accuracy"]["value"] == pytest.approx(0.9)
    # Wilson's interval for 54 of 60: [0.7985, 0.9534]
    assert (tuned["accuracy"]["ci_low"], tuned["accuracy"]["ci_high"]) == (pytest.approx(0.7985, abs=1e-3),
                                                                          pytest.approx(0.9534, abs=1e-3))
    assert tuned["seconds_per_clip"] is None and tuned["mark"] == "beats the frozen encoder"
    assert [r["recommended"] for r in won] == [False, False, False, True]  # as the headline: "Fine-tune"
    lost = rung_table.ladder(_evidence(gain=_gain("inconclusive")))
    assert [r["recommended"] for r in lost] == [False, True, False, False] and lost[-1]["mark"] == "inconclusive"


# ---------------------------------------------------------------- the figure

def test_the_figure_has_a_row_per_rung_with_its_verdict_marked_and_the_tables_figures():
    e = _evidence(gain=_gain("yes"))
    rows, table = rung_table.ladder(e), rung_table.rung_table(e)
    figure = ladder_chart.ladder_figure(rows)
    layout = figure.layout
    assert layout.title.text == ladder_chart.LADDER_TITLE and layout.title.xanchor == "left"  # clear of the mode bar
    assert len(layout.yaxis.tickvals) == len(layout.annotations) == len(rows) == 4
    points = [t for t in figure.data if t.name != "recommended"]
    colours = ladder_chart.LADDER_COLOURS
    assert [t.marker.color for t in points] == [colours[v] for v in (None, "yes", "inconclusive", "yes")]
    assert [t.error_x.array[0] + t.x[0] for t in points] == pytest.approx([r["accuracy"]["ci_high"] for r in rows])
    texts = [a.text for a in layout.annotations]
    for text, mark in zip(texts, ("reference", "beats baseline", "inconclusive", "beats the frozen encoder")):
        assert f"<b>{mark}</b>" in text
    assert ["recommended" in t for t in texts] == [False, False, False, True]
    (ring,) = [t for t in figure.data if t.name == "recommended"]
    assert list(ring.y) == [3]
    for text, cells in zip(texts[:3], table[1:]):  # the table's own strings: no figure differs by rounding
        assert cells[2] in text and cells[7].split(",")[0] in text and (cells[4] == "—" or cells[4] in text)
    assert "+0.050 [+0.010, +0.090] vs whisper (frozen)" in texts[3] and "not measured per clip" in texts[3]


def test_user_text_in_the_figure_is_escaped():
    rows = rung_table.ladder(_evidence())
    rows[1]["space"] = HOSTILE
    figure = ladder_chart.ladder_figure(rows)
    assert HOSTILE not in json.dumps(figure.to_plotly_json(), default=str)
    assert "&lt;img src=x onerror=alert(1)&gt;" in figure.layout.yaxis.ticktext[1]


# ---------------------------------------------------------------- the note and its HTML export

def _comparison(encoder: str):
    """16 synthetic clips: baseline vectors of noise, `encoder` vectors that separate the two classes."""
    labels = np.arange(16) % 2
    clips = [make_clip(sine(300 + 40 * i, duration_s=0.3) if i % 2 else noise(duration_s=0.3, seed=i),
                       name=f"{i}.wav", label="ab"[i % 2]) for i in range(16)]
    rng = np.random.RandomState(0)
    vectors = [SpaceVectors(spaces.BASELINE, rng.randn(16, 4).astype(np.float32), 0.0123, 0.0, False, {}),
               SpaceVectors(encoder, (3 * labels[:, None] + rng.randn(16, 4)).astype(np.float32), 0.0123, 0.0, False,
                            {})]
    return compare.compare(clips, vectors, n_splits=2, n_boot=20)


def test_the_note_carries_the_ladder_and_its_html_shows_it_first_with_every_section_escaped():
    note = notes.classification_note(HOSTILE, _comparison(HOSTILE))
    ladder = note.to_dict()["data"]["ladder"]
    assert [r["space"] for r in ladder] == [spaces.BASELINE, HOSTILE] and ladder[1]["verdict"] == "yes"
    assert json.loads(note.to_json())["data"]["ladder"] == json.loads(json.dumps(ladder))  # run folders carry it
    page = note.to_html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'src="https://cdn.plot.ly' not in page and "* plotly.js v" in page  # embedded: it opens offline
    chart = page.index(ladder_chart.LADDER_TITLE)
    titles = [page.index(f"<h2>{section.title}</h2>") for section in note.sections]  # titles hold no user text
    assert chart < min(titles) and titles == sorted(titles)
    assert f"<td>{rung_table.difference_text(ladder[1]['difference'])}</td>" in page  # the rung table as a table


def test_a_note_without_a_ladder_renders_without_a_chart():
    note = notes.DecisionNote("retrieval", "x", "Use the baseline.", "spectral baseline", "not justified",
                              (notes.Section("Task and data", ("12 clips",)),), {})
    page = note.to_html()
    assert ladder_chart.LADDER_TITLE not in page and "<li>12 clips</li>" in page and "<script" not in page


# ---------------------------------------------------------------- run folder and pages

@pytest.fixture(scope="module")
def run_root(tmp_path_factory):
    """root/data: 2 classes x 4 clips; root/run: its run folder (baseline only, 2 folds)."""
    root = tmp_path_factory.mktemp("ladder")
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.4)),
                        ("hiss", lambda i: noise(duration_s=0.4, seed=i))):
        (root / "data" / label).mkdir(parents=True)
        for i in range(4):
            (root / "data" / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    assert cli.main(["report", str(root / "data"), "--encoder", spaces.BASELINE, "--folds", "2",
                     "--out-dir", str(root / "run"), "--out", str(root / "note.md")]) == 0
    return root


def test_the_run_folder_writes_note_html_with_the_ladder(run_root):
    run = run_root / "run"
    page = (run / run_folder.NOTE_HTML).read_text()
    assert ladder_chart.LADDER_TITLE in page and "<h2>Task and data</h2>" in page
    ladder = json.loads((run / run_folder.NOTE_JSON).read_text())["data"]["ladder"]
    assert [(r["rung"], r["space"], r["recommended"]) for r in ladder] == [("baseline", spaces.BASELINE, True)]


def _titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec).get("layout", {}).get("title", {}).get("text", "") for c in at.get("plotly_chart")]


def test_the_run_folders_decide_view_shows_the_ladder_and_offers_the_html(run_root, monkeypatch):
    monkeypatch.setenv(dataroot.DATA_ROOT_ENV, str(run_root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params["source"] = "Server folder"
    at.query_params["server_entry"] = "run"
    at.run()
    at.switch_page("pages/5_Decide.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at) == [ladder_chart.LADDER_TITLE]
    assert [b.proto.label for b in at.get("download_button")][-1] == "Download the note (HTML)"


def _uploaded(page: str) -> AppTest:
    """4 tones and 4 hiss clips uploaded with a labels CSV, on `page` (its default encoder: whisper, bundled)."""
    files = [(f"tone_{i}.wav", wav_bytes(sine(300 + 50 * i)), "audio/wav") for i in range(4)]
    files += [(f"hiss_{i}.wav", wav_bytes(noise(seed=i)), "audio/wav") for i in range(4)]
    rows = "".join(f"{n},{n.split('_')[0]}\n" for n, _, _ in files)
    files.append(("labels.csv", f"path,label\n{rows}".encode(), "text/csv"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.sidebar.radio(key="source").set_value("My files").run()
    at.sidebar.get("file_uploader")[0].set_value(files).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ladder(at: AppTest) -> dict:
    (figure,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if json.loads(c.proto.spec).get("layout", {}).get("title", {}).get("text")
                 == ladder_chart.LADDER_TITLE]
    return figure


@pytest.mark.slow  # a frozen encoder on the uploads, then the page
def test_compare_shows_the_ladder_first_with_a_row_per_rung():
    at = _uploaded("pages/2_Compare.py")
    at.button[0].click().run()  # "Run comparison"
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at)[0] == ladder_chart.LADDER_TITLE  # before the confusion matrices
    figure = _ladder(at)
    table = next(d.value for d in at.dataframe if "beats baseline" in d.value.columns)  # the comparison table
    assert [t.split("<br>")[0] for t in figure["layout"]["yaxis"]["ticktext"]] == [f"<b>{s}</b>" for s in
                                                                                   table["space"]]
    assert "reference" in figure["layout"]["annotations"][0]["text"]


@pytest.mark.slow  # curves, audit and the note on the uploads
def test_decide_shows_the_ladder_at_the_top_of_the_note_and_offers_the_html():
    at = _uploaded("pages/5_Decide.py")
    figure = _ladder(at)
    note = json.loads(at.json[-1].value)  # the note's numbers, as the JSON download holds them
    assert len(figure["layout"]["yaxis"]["tickvals"]) == len(note["data"]["ladder"]) == len(note["data"]["rungs"])
    titles = _titles(at)
    assert titles.index(ladder_chart.LADDER_TITLE) > titles.index(next(t for t in titles if "Learning" in t))
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[-3:] == ["Download the note (Markdown)", "Download the note with every number and setting (JSON)",
                           "Download the note (HTML)"]
