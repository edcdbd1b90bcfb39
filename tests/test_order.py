"""The same clips in another order, or through another entry point, give the same results (issue 27, class 10).

A folder walk, a labels table's rows, a shuffled copy of that table and a zip list the same clips in different
orders; folds, bootstrap resamples, curve draws and the audit all draw by position, so every one of them works
on the clips in `order.canonical_order` and hands per-clip results back in the order given."""
from __future__ import annotations

import csv
import io as stdio
import types

import numpy as np
import pytest

from audiodiag.data import order, sources
from audiodiag.evaluation import compare, duplicates, evaluate
from audiodiag.evaluation.folds import comparison_folds
from audiodiag.represent import spaces
from audiodiag.represent.spaces import BASELINE, SpaceVectors
from audiodiag.settings import ComparisonSettings, RetrievalSettings
from audiodiag.types import Clip, ClipInfo
from audiodiag.verdict import decide
from audiodiag.verdict.pair_verdicts import pair_headline
from tests.helpers import noise, sine, wav_bytes, zip_bytes

CLASSES = ("blender", "kettle", "tap")


def overlapping_clips(n_per_class: int = 10, *, seed: int = 0) -> tuple[list[Clip], np.ndarray, np.ndarray]:
    """Clips (distinct random audio, three groups per class) with two spaces of vectors whose classes overlap, so
    accuracies and their intervals sit away from 0 and 1 and move when folds or resamples move."""
    rng = np.random.default_rng(seed)
    clips, weak, strong = [], [], []
    for c, label in enumerate(CLASSES):
        for i in range(n_per_class):
            clips.append(Clip(f"{label}_{i}.wav", rng.normal(0, 0.1, 800).astype(np.float32), 16000, 16000, 1,
                              label=label, group=f"{label}-source{i % 3}"))
            weak.append(rng.normal(size=4) + 0.8 * np.eye(3, 4)[c])
            strong.append(rng.normal(size=4) + 1.6 * np.eye(3, 4)[c])
    return clips, np.asarray(weak), np.asarray(strong)


def spaces_of(weak: np.ndarray, strong: np.ndarray) -> list[SpaceVectors]:
    return [SpaceVectors(BASELINE, weak, float("nan"), 0.0, False, {}),
            SpaceVectors("encoder", strong, float("nan"), 0.0, False, {})]


@pytest.mark.parametrize("group_aware", [True, False])
def test_compare_gives_the_same_per_clip_results_for_shuffled_clips(group_aware):
    clips, weak, strong = overlapping_clips()
    shuffle = np.random.default_rng(1).permutation(len(clips))
    given = compare.compare(clips, spaces_of(weak, strong), n_splits=3, group_aware=group_aware)
    shuffled = compare.compare([clips[i] for i in shuffle], spaces_of(weak[shuffle], strong[shuffle]), n_splits=3,
                               group_aware=group_aware)

    # per-clip results come back in each caller's own order: un-shuffled, they are the same clip for clip
    assert np.array_equal(shuffled.labels, given.labels[shuffle])
    assert np.array_equal(shuffled.folds.fold_of_sample, given.folds.fold_of_sample[shuffle])
    assert shuffled.folds.note == given.folds.note
    for a, b in zip(given.rungs, shuffled.rungs):
        assert np.array_equal(b.predictions, a.predictions[shuffle])
        assert np.array_equal(b.probabilities, a.probabilities[shuffle])
        assert np.array_equal(b.padded_fraction, a.padded_fraction[shuffle])
        assert b.metrics == a.metrics and b.split_check == a.split_check
        assert [i.name for i in b.label_issues.issues] == [i.name for i in a.label_issues.issues]
        for issue in b.label_issues.issues:  # indices point into the shuffled list, at the clip named
            assert [clips[shuffle[j]].name for j in (issue.index, *(nb.index for nb in issue.neighbours))] == \
                [issue.name, *(nb.name for nb in issue.neighbours)]
    assert shuffled.paired == given.paired
    assert 0.3 < given.rungs[0].metrics.accuracy.value < 0.9  # not a degenerate set where every order agrees
    # the folds the Embeddings page and the duplicates warnings check are the comparison's, in any order
    assert np.array_equal(comparison_folds([clips[i] for i in shuffle], n_splits=3,
                                           group_aware=group_aware).fold_of_sample,
                          shuffled.folds.fold_of_sample)


def test_canonical_order_is_the_same_for_any_input_order_and_for_clip_infos():
    clips, _, _ = overlapping_clips(4)
    canonical = [clips[i].name for i in order.canonical_order(clips)]
    for seed in range(3):
        shuffled = [clips[i] for i in np.random.default_rng(seed).permutation(len(clips))]
        assert [shuffled[i].name for i in order.canonical_order(shuffled)] == canonical
    infos = [ClipInfo.of(c, audio_hash=duplicates.audio_hash(c)) for c in clips]  # a streamed run keeps these
    assert [infos[i].name for i in order.canonical_order(infos)] == canonical


def test_identical_audio_is_ordered_by_label_group_and_name_not_by_position():
    samples = np.zeros(160, np.float32)
    clips = [Clip(name, samples, 16000, 16000, 1, label=label) for name, label in
             (("b.wav", "y"), ("a.wav", "y"), ("c.wav", "x"))]
    assert [clips[i].name for i in order.canonical_order(clips)] == ["c.wav", "a.wav", "b.wav"]
    assert order.reorder_groups([(0, 1, 2)], order.canonical_order(clips)) == [(0, 1, 2)]
    assert order.reorder_groups([(2, 0)], np.array([2, 0, 1])) == [(0, 1)]


# ---------------------------------------------------------------- end to end: four entry points, one note

def _kitchen(tmp_path):
    """A dataset folder (one sub-folder per class, labels.csv with groups), a shuffled copy of the table next to
    it and a zip of the folder: 24 clips of tones in noise whose classes overlap."""
    rng = np.random.default_rng(3)
    root = tmp_path / "kitchen"
    rows = []
    for c, label in enumerate(CLASSES):
        (root / label).mkdir(parents=True)
        for i in range(8):
            freq = 400 + 150 * c + rng.uniform(-250, 250)
            samples = (sine(freq, duration_s=0.3, amplitude=rng.uniform(0.05, 0.3))
                       + noise(duration_s=0.3, amplitude=rng.uniform(0.05, 0.3), seed=10 * c + i))
            path = f"{label}/{label}_{i}.wav"
            (root / path).write_bytes(wav_bytes(samples))
            rows.append((path, label, f"{label}-source{i % 3}"))

    def table(lines):
        out = stdio.StringIO()
        csv.writer(out, lineterminator="\n").writerows([("path", "label", "group"), *lines])
        return out.getvalue()

    (root / "labels.csv").write_text(table(rows))
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    (root / "shuffled.csv").write_text(table(shuffled))  # not a label-table name: the folder load ignores it
    archive = tmp_path / "kitchen.zip"
    archive.write_bytes(zip_bytes({f"kitchen/{p.relative_to(root).as_posix()}": p.read_bytes()
                                   for p in sorted(root.rglob("*")) if p.is_file()}))
    return [str(root), str(root / "labels.csv"), str(root / "shuffled.csv"), str(archive)]


@pytest.mark.slow  # three full notes (4 s); the fast lane keeps the module's other tests
def test_folder_table_shuffled_table_and_zip_give_identical_notes(tmp_path, monkeypatch):
    # the cost per clip is wall time, which no two runs share: held at 0 so the notes can be compared whole
    monkeypatch.setattr(spaces, "time", types.SimpleNamespace(perf_counter=lambda: 0.0))
    notes, orders = [], []
    for source in _kitchen(tmp_path):
        _, clips, failures = sources.load(source)
        assert not failures and len(clips) == 24
        orders.append([c.name for c in clips])
        decision = decide.run_classification(clips, ComparisonSettings(encoders=(), n_splits=3),
                                             dataset_name="kitchen")
        notes.append((decision.note.to_dict(), decision.note.to_markdown()))
    assert orders[2] != orders[0]  # the shuffled table really lists the clips in another order
    assert sorted(orders[0]) == sorted(orders[2])
    for other in notes[1:]:
        assert other == notes[0]
    assert "-0.000" not in notes[0][1]


def test_retrieval_note_is_the_same_for_a_folder_and_its_shuffled_table(tmp_path, monkeypatch):
    monkeypatch.setattr(spaces, "time", types.SimpleNamespace(perf_counter=lambda: 0.0))
    folder, _, shuffled_table, _ = _kitchen(tmp_path)
    notes = [decide.run_retrieval(sources.load(source)[1], RetrievalSettings(ComparisonSettings(encoders=())),
                                  dataset_name="kitchen").to_dict() for source in (folder, shuffled_table)]
    assert notes[1] == notes[0]


def test_signed_never_prints_negative_zero():
    assert evaluate.signed(-0.0) == "+0.000"
    assert evaluate.signed(-0.0004) == "+0.000"
    assert evaluate.signed(-0.0006) == "-0.001"  # a negative number that does not round to zero keeps its sign
    assert evaluate.signed(0.25) == "+0.250" and evaluate.signed(-0.25) == "-0.250"
    assert evaluate.signed(-0.04, 1) == "+0.0"
    pair = evaluate.paired_comparison(list("ab" * 10), list("ab" * 10), list("ab" * 10))  # identical: [0, 0]
    assert "-0.000" not in pair.explanation and "+0.000" in pair.explanation
    assert "-0.000" not in pair_headline(pair)
