"""A dataset's own `fold` column is a split to use as given, not speakers (issue 27, class 1): the note says the
folds are the dataset's, never claims leakage from them, and every entry point reads the column the same way."""
from __future__ import annotations

import csv
import io as stdio

import numpy as np
import pytest

from audiodiag.data import manifest, sources, tables
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare, folds
from audiodiag.represent.spaces import BASELINE, SpaceVectors
from audiodiag.runs import stream
from audiodiag.settings import ComparisonSettings
from audiodiag.types import Clip
from audiodiag.verdict import decide
from tests.helpers import noise, sine, wav_bytes

CLASSES = ("blender", "kettle", "tap")


def _table(rows) -> str:
    out = stdio.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _esc_style(tmp_path, *, with_groups: bool = False):
    """30 clips of tones in noise, every clip its own recording, in five predefined folds (ESC-50's layout:
    filename, fold, category)."""
    rng = np.random.default_rng(5)
    root = tmp_path / "esc"
    (root / "audio").mkdir(parents=True)
    header = ("filename", "fold", "label") + (("source",) if with_groups else ())
    rows = [header]
    for c, label in enumerate(CLASSES):
        for i in range(10):
            samples = (sine(400 + 200 * c + rng.uniform(-150, 150), duration_s=0.3)
                       + noise(duration_s=0.3, amplitude=0.2, seed=100 * c + i))
            name = f"{label}-{i}.wav"
            (root / "audio" / name).write_bytes(wav_bytes(samples))
            rows.append((f"audio/{name}", str(1 + i % 5), label) + ((f"{label}-src{i % 2}",) if with_groups else ()))
    (root / "labels.csv").write_text(_table(rows))
    return root


def test_a_fold_column_is_read_as_the_clips_fold_not_as_their_group(tmp_path):
    table = tables.parse_label_table(b"path,label,fold\na.wav,dog,3\n", name="t.csv")
    assert table["a.wav"] == tables.TableRow("dog", None, "3")
    assert tables.group_column(["path", "label", "fold"]) is None and tables.fold_column(["path", "Fold"]) == "Fold"
    _, clips, failures = sources.load(str(_esc_style(tmp_path)))
    assert not failures and len(clips) == 30
    assert {c.fold for c in clips} == {"1", "2", "3", "4", "5"} and all(c.group is None for c in clips)


def test_predefined_folds_are_used_as_given_whatever_fold_count_was_asked():
    labels = ["a", "b"] * 6
    given = ["10", "2", "2", "10", "1", "1", "2", "10", "1", "2", "10", "1"]
    chosen = folds.predefined_folds(labels, given, n_splits_asked=5)
    # numbers sort as numbers: fold "2" is the second fold, "10" the third
    assert chosen.n_splits == 3 and chosen.strategy == folds.PREDEFINED
    assert list(chosen.fold_of_sample) == [{"1": 0, "2": 1, "10": 2}[g] for g in given]
    assert "3 predefined folds" in chosen.note and "fold count setting does not apply" in chosen.note
    with pytest.raises(AudioDiagError, match="same fold"):
        folds.predefined_folds(labels, ["1"] * 12)


def test_a_fold_column_empty_for_some_clips_is_not_used_and_the_note_says_so():
    clips = [Clip(f"{i}.wav", np.zeros(800, np.float32), 16000, 16000, 1, label="ab"[i % 2],
                  fold=None if i == 0 else str(1 + i % 3)) for i in range(12)]
    chosen = folds.choose(clips, n_splits=3)
    assert chosen.folds.strategy == "StratifiedKFold"
    assert "empty for 1 of 12 clips, so it is not used" in chosen.folds.note


def test_the_note_uses_the_datasets_folds_and_claims_no_leakage_from_them(tmp_path):
    _, clips, _ = sources.load(str(_esc_style(tmp_path)))
    decision = decide.run_classification(clips, ComparisonSettings(encoders=(), n_splits=3), dataset_name="esc")
    comparison = decision.comparison
    assert comparison.folds.strategy == folds.PREDEFINED and comparison.folds.n_splits == 5  # not the 3 asked
    fold_of = {c.name: int(c.fold) - 1 for c in clips}
    assert [fold_of[c.name] for c in clips] == list(comparison.folds.fold_of_sample)
    assert all(r.split_check is None for r in comparison.rungs)  # no random-vs-grouped "leakage" from a fold column
    claims = {c["kind"]: c for c in decision.note.data["claims"]}
    assert claims["leakage"]["verdict"] == "unmeasured"
    assert "dataset's own ('fold' column)" in claims["leakage"]["text"]
    markdown = decision.note.to_markdown()
    assert "5 predefined folds" in markdown and "leakage)" not in markdown and "random-fold accuracy" not in markdown
    assert "speaker/source leakage (random vs group-aware folds)" not in markdown  # never "checked"


def test_groups_that_the_datasets_folds_split_are_a_problem_of_those_folds(tmp_path):
    _, clips, _ = sources.load(str(_esc_style(tmp_path, with_groups=True)))
    assert {c.group for c in clips} and all(c.fold for c in clips)
    note = decide.run_classification(clips, ComparisonSettings(encoders=()), dataset_name="esc").note
    problems = next(s for s in note.sections if s.title.startswith("Problems")).lines
    assert any("groups have clips on both sides of the 5 predefined folds" in line and "remove the 'fold' column"
               in line for line in problems)
    assert "may invalidate" in note.verdict


def test_a_manifests_fold_column_reaches_the_streamed_run(tmp_path):
    root = _esc_style(tmp_path)
    m = manifest.open_manifest(root / "labels.csv")
    assert m.fold_column == "fold" and m.group_column is None
    rows = list(m.rows())
    assert [r.fold for r in rows][:3] == ["1", "2", "3"]
    streamed = stream.stream(rows, ())
    assert {c.fold for c in streamed.clips} == {"1", "2", "3", "4", "5"}


def test_compare_reads_folds_from_clip_infos_as_from_clips():
    rng = np.random.default_rng(0)
    clips = [Clip(f"{i}.wav", rng.normal(0, 0.1, 800).astype(np.float32), 16000, 16000, 1, label="ab"[i % 2],
                  fold=str(i % 4)) for i in range(16)]
    vectors = [SpaceVectors(BASELINE, rng.normal(size=(16, 3)), float("nan"), 0.0, False, {})]
    result = compare.compare(clips, vectors, n_splits=2)
    assert result.folds.n_splits == 4 and result.settings["predefined_folds"]
    assert list(result.folds.fold_of_sample) == [i % 4 for i in range(16)]
