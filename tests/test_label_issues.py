"""Known answers for mislabelled-clip candidates: flipped labels of a separable set are found, a clean set is
left (nearly) alone, data confident learning cannot judge gets a reason, and neighbours are the nearest clips."""
from __future__ import annotations

import math

import numpy as np
import pytest

from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare, label_issues
from audiodiag.represent import spaces
from audiodiag.types import ClipInfo
from audiodiag.verdict import notes

CLASSES = ("cat", "dog", "owl")
PER_CLASS = 40
DIMENSIONS = 8
FLIP_SHARE = 0.10
CENTRE_DISTANCE = 6.0  # per axis, in noise standard deviations
SEED = 2


def _blobs() -> tuple[list[ClipInfo], np.ndarray, np.ndarray]:
    """Three well separated Gaussian blobs in 8-d (centres 6 standard deviations apart), 40 clips each: (clips with their true labels, vectors,
    true label per clip)."""
    rng = np.random.RandomState(SEED)
    centres = CENTRE_DISTANCE * np.eye(len(CLASSES), DIMENSIONS)
    truth = np.repeat(np.asarray(CLASSES), PER_CLASS)
    vectors = np.vstack([centres[i] + rng.randn(PER_CLASS, DIMENSIONS) for i in range(len(CLASSES))])
    clips = [ClipInfo(f"{label}_{i:03d}.wav", 16_000, 16_000, 16_000, 1, label=str(label))
             for i, label in enumerate(truth)]
    return clips, vectors.astype(np.float32), truth


def _flipped(clips: list[ClipInfo], truth: np.ndarray) -> tuple[list[ClipInfo], np.ndarray]:
    """10 % of the clips given another class's label, drawn at random; (clips, indices flipped)."""
    rng = np.random.RandomState(SEED + 1)
    flipped = np.sort(rng.choice(len(clips), size=int(FLIP_SHARE * len(clips)), replace=False))
    out = list(clips)
    for i in flipped:
        wrong = CLASSES[(CLASSES.index(truth[i]) + rng.randint(1, len(CLASSES))) % len(CLASSES)]
        out[i] = ClipInfo(clips[i].name, 16_000, 16_000, 16_000, 1, label=wrong)
    return out, flipped


def _rung(clips: list[ClipInfo], vectors: np.ndarray) -> compare.Rung:
    space = spaces.SpaceVectors("blobs", vectors, math.nan, 0.0, False, {})
    return compare.compare(clips, [space], n_splits=5, n_boot=50).rungs[0]


@pytest.mark.slow  # cleanlab's import alone takes seconds on a shared machine
def test_flipped_labels_of_a_separable_set_rank_first_with_their_true_label_suggested():
    clips, vectors, truth = _blobs()
    noisy, flipped = _flipped(clips, truth)
    found = _rung(noisy, vectors).label_issues
    assert found.unavailable is None and found.n_clips == len(clips)
    top = {i.index for i in found.issues[:len(flipped)]}
    assert len(top & set(flipped)) >= 0.8 * len(flipped)
    suggested = {i.index: i.suggested for i in found.issues}
    assert all(suggested.get(int(i)) == truth[i] for i in flipped if int(i) in top)
    first = found.issues[0]
    assert first.given != first.suggested and first.p_suggested > first.p_given
    assert [i.p_given for i in found.issues] == sorted(i.p_given for i in found.issues)  # most likely first
    assert len(first.neighbours) == label_issues.NEIGHBOURS_K
    assert sum(nb.label == first.suggested for nb in first.neighbours) >= 3  # it sits among the other class


@pytest.mark.slow
def test_a_clean_separable_set_yields_few_candidates():
    clips, vectors, _ = _blobs()
    found = _rung(clips, vectors).label_issues
    assert found.unavailable is None
    assert len(found.issues) <= 0.02 * len(clips)


@pytest.mark.slow
def test_the_note_names_the_candidates_and_its_json_lists_every_one():
    clips, vectors, truth = _blobs()
    noisy, flipped = _flipped(clips, truth)
    space = spaces.SpaceVectors("blobs", vectors, math.nan, 0.0, False, {})
    note = notes.classification_note("blobs", compare.compare(noisy, [space], n_splits=5, n_boot=50))
    section = next(s for s in note.sections if s.title == "Possible label errors")
    text = " ".join(section.lines)
    assert "may be mislabelled" in text and "re-listen" in text
    listed = note.data["label_issues"][0]
    assert listed["space"] == "blobs" and listed["n_issues"] == len(listed["issues"]) >= 0.8 * len(flipped)
    assert {"name", "given", "suggested", "p_suggested", "p_given", "quality"} <= set(listed["issues"][0])
    assert '"label_issues"' in note.to_json()


def test_data_confident_learning_cannot_judge_gets_the_reason_not_an_exception():
    names = ["a.wav", "b.wav", "c.wav", "d.wav"]
    missing = label_issues.find_label_issues(["x", "x", "y", "y"], np.full((4, 2), np.nan), ["x", "y"], names=names)
    assert missing.issues == () and "no out-of-fold probability" in missing.unavailable
    assert math.isnan(missing.share)
    lonely = label_issues.find_label_issues(["x", "x", "x", "y"], np.eye(2)[[0, 0, 0, 1]], ["x", "y"], names=names)
    assert "class 'y' has only 1 clip" in lonely.unavailable
    single = label_issues.find_label_issues(["x"] * 4, np.eye(2)[[0, 0, 0, 0]], ["x", "y"], names=names)
    assert "one label ('x' only)" in single.unavailable
    with pytest.raises(AudioDiagError, match="expected \\(4, 2\\)"):
        label_issues.find_label_issues(["x", "x", "y", "y"], np.ones((4, 3)) / 3, ["x", "y"], names=names)


def test_neighbours_are_the_nearest_other_clips_with_their_labels():
    vectors = np.array([[1.0, 0.0], [0.9, 0.2], [0.8, 0.3], [0.0, 1.0], [0.1, 0.9]])
    labels = ["a", "a", None, "b", "b"]
    names = ["q.wav", "n1.wav", "n2.wav", "far1.wav", "far2.wav"]
    found = label_issues.neighbours(vectors, 0, labels, names, k=2)
    assert [(nb.name, nb.label) for nb in found] == [("n1.wav", "a"), ("n2.wav", None)]
    assert found[0].cosine_similarity >= found[1].cosine_similarity
    assert all(nb.index != 0 for nb in label_issues.neighbours(vectors, 0, labels, names, k=10))


def test_without_vectors_the_candidates_come_without_neighbours():
    found = label_issues.find_label_issues(["a", "a", "b", "b"], [[.9, .1], [.1, .9], [.2, .8], [.1, .9]], ["a", "b"],
                                           names=["1.wav", "2.wav", "3.wav", "4.wav"])
    assert [(i.name, i.neighbours) for i in found.issues] == [("2.wav", ())]
