"""Known answers for the Embeddings page's library: retrieval metrics, neighbours, UMAP maps, duplicates, leakage."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from audiodiag import fixes
from audiodiag.data.decoding import load_clip
from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import compare, duplicates, intervals, projection, retrieval
from audiodiag.evaluation.neighbours import neighbours
from audiodiag.evaluation.retrieval_comparison import (
    BETTER_RULE,
    PairedRetrieval,
    comparison_sentence,
    paired_retrieval,
    reading,
)
from audiodiag.evaluation.evaluate import Estimate
from audiodiag.evaluation.folds import comparison_folds
from audiodiag.represent import spaces
from benchmarks.bench_embeddings import clustered_vectors, naive_retrieval
from pages import _fixes as wording
from tests.helpers import make_clip, noise, sine, wav_bytes


def _angles(degrees) -> np.ndarray:
    """Unit vectors in the plane at these angles: cosine similarity = cos(difference of angles)."""
    radians = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    return np.stack([np.cos(radians), np.sin(radians)], axis=1)


def two_clusters(n_per: int = 10, d: int = 16, seed: int = 0) -> tuple[np.ndarray, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(0, 0.1, (n_per, d)) + 5, rng.normal(0, 0.1, (n_per, d)) - 5])
    labels = ["a"] * n_per + ["b"] * n_per
    groups = [f"g{i % 3}" for i in range(2 * n_per)]
    return x, labels, groups


# ---------------------------------------------------------------- retrieval metrics

def test_two_well_separated_clusters_retrieve_perfectly():
    x, labels, groups = two_clusters()
    r = retrieval.retrieval_metrics(x, labels, groups=groups, space="toy")
    # a perfect score is not certain: every query right reads Wilson's width for that many queries, not [1, 1]
    floor = intervals.wilson(len(labels), len(labels))[0]
    for estimate in (r.precision_at_1, r.precision_at_5, r.mean_average_precision, r.knn_accuracy):
        assert (estimate.value, estimate.ci_high) == (1.0, 1.0) and estimate.ci_low == pytest.approx(floor)
    assert r.silhouette > 0.9 and r.n_scored == 20 and r.unscored == ()
    assert r.groups_span_labels and r.group_silhouette < 0.1  # groups g0..g2 hold both labels


def test_same_group_exclusion_changes_the_score_as_computed_by_hand():
    # clip: label, group, angle (cosine ranks by angle difference):
    #   0: a g1 0°, 1: a g1 10°, 2: b g2 25°, 3: a g2 45°
    # all candidates: q0 → 1✓ 2✗ 3✓ (AP 5/6), q1 → 0✓ 2✗ 3✓ (AP 5/6), q3 → 2✗ 1✓ 0✓ (AP 7/12);
    #   q2 has no other b: not scored
    # other group only: q0 → 2✗ 3✓ (AP 1/2), q1 → 2✗ 3✓ (AP 1/2), q3 → 1✓ 0✓ (AP 1)
    x = _angles([0, 10, 25, 45])
    labels, groups = ["a", "a", "b", "a"], ["g1", "g1", "g2", "g2"]
    kept = retrieval.retrieval_metrics(x, labels, groups=groups, exclude_same_group=False, standardise=False)
    dropped = retrieval.retrieval_metrics(x, labels, groups=groups, exclude_same_group=True, standardise=False)
    assert kept.precision_at_1.value == pytest.approx(2 / 3)
    assert kept.mean_average_precision.value == pytest.approx((5 / 6 + 5 / 6 + 7 / 12) / 3)
    assert kept.precision_at_5.value == pytest.approx(2 / 3)  # 2 of the 3 candidates, for every query
    assert kept.knn_accuracy.value == pytest.approx(1.0)  # a, a vs b
    assert dropped.precision_at_1.value == pytest.approx(1 / 3)
    assert dropped.mean_average_precision.value == pytest.approx(2 / 3)
    assert dropped.precision_at_5.value == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert dropped.knn_accuracy.value == pytest.approx(1 / 3)  # a 1-1 tie goes to the nearer b for q0 and q1
    assert kept.unscored == dropped.unscored == (2,)
    # nearest overall: q0 → 1 (own group), q1 → 0 (own), q2 → 1 (15°, not own), q3 → 2 (own): 3 of 4;
    # a random neighbour is from the own group with probability (2 - 1) / (4 - 1)
    assert (kept.same_group_at_1, kept.same_group_chance) == (pytest.approx(3 / 4), pytest.approx(1 / 3))
    np.testing.assert_array_equal(kept.per_query["hit_at_1"][[0, 1, 3]], [1, 1, 0])
    assert np.isnan(kept.per_query["hit_at_1"][2])


def test_vectorised_metrics_equal_the_per_query_loop():
    x, labels, groups = clustered_vectors(90, 12, seed=3)
    for exclude in (False, True):
        ours = retrieval.retrieval_metrics(x, labels, groups=groups, exclude_same_group=exclude, n_boot=10)
        loop = naive_retrieval(x, labels, groups=groups, exclude_same_group=exclude)
        queries = loop.pop("query")
        for name, values in loop.items():
            np.testing.assert_allclose(ours.per_query[name][queries], values, atol=1e-6, err_msg=name)
        assert ours.n_scored == len(queries)
        assert ours.mean_average_precision.value == pytest.approx(np.mean(loop["average_precision"]), abs=1e-6)


def test_silhouettes_are_sklearns_cosine_silhouette():
    x, labels, groups = clustered_vectors(120, 8, seed=5)
    r = retrieval.retrieval_metrics(x, labels, groups=groups, n_boot=10)
    prepared = retrieval.prepare(x)
    assert r.silhouette == pytest.approx(silhouette_score(prepared, labels, metric="cosine"), abs=1e-5)
    assert r.group_silhouette == pytest.approx(silhouette_score(prepared, groups, metric="cosine"), abs=1e-5)


def test_bootstrap_interval_brackets_the_value_and_is_reproducible():
    x, labels, groups = clustered_vectors(200, 16, seed=2)
    a = retrieval.retrieval_metrics(x, labels, n_boot=300, seed=1)
    b = retrieval.retrieval_metrics(x, labels, n_boot=300, seed=1)
    for e in (a.precision_at_1, a.mean_average_precision):
        assert e.ci_low < e.value < e.ci_high
    assert a.precision_at_1 == b.precision_at_1


def test_missing_labels_or_groups_are_refused_with_the_fix():
    x, labels, _ = two_clusters()
    with pytest.raises(AudioDiagError, match="no label.*labels.csv"):
        retrieval.retrieval_metrics(x, [None] + labels[1:])
    with pytest.raises(AudioDiagError, match="needs a group"):
        retrieval.retrieval_metrics(x, labels, exclude_same_group=True)
    with pytest.raises(AudioDiagError, match="NaN"):
        retrieval.retrieval_metrics(np.full((4, 2), np.nan), list("aabb"))


def test_neighbours_rank_by_cosine_and_skip_the_query_and_its_group():
    x = _angles([0, 10, 25, 45])
    nbs = neighbours(x, 0, k=3, standardise=False)
    assert [nb.index for nb in nbs] == [1, 2, 3] and [nb.rank for nb in nbs] == [1, 2, 3]
    assert nbs[0].cosine_distance == pytest.approx(1 - np.cos(np.deg2rad(10)), abs=1e-6)  # float32 rows
    other = neighbours(x, 0, k=3, groups=["g1", "g1", "g2", "g2"], exclude_same_group=True,
                      standardise=False)
    assert [nb.index for nb in other] == [2, 3]


def _result(space: str, p1: Estimate, **kw) -> retrieval.Retrieval:
    nan = float("nan")
    fields = dict(space=space, precision_at_1=p1, precision_at_5=p1, mean_average_precision=p1, knn_accuracy=p1,
                  silhouette=0.1, group_silhouette=nan, same_group_at_1=nan, same_group_chance=nan,
                  groups_span_labels=False, n_clips=100, n_scored=100, unscored=(), exclude_same_group=False,
                  n_boot=1000, per_query={})
    return retrieval.Retrieval(**{**fields, **kw})


def test_reading_states_the_numbers_and_whether_the_intervals_overlap():
    base = _result("baseline", Estimate(0.54, 0.44, 0.64))
    clear = _result("encoder", Estimate(0.87, 0.80, 0.93))
    close = _result("encoder", Estimate(0.60, 0.50, 0.70))
    text = reading([base, clear])[0]
    assert "encoder retrieves the same class at rank 1 with precision@1 0.870 vs 0.540 for baseline" in text
    assert "do not overlap (higher: encoder)" in text and "clearly" not in text
    assert "overlap: inconclusive" in reading([base, close])[0]
    speaker = _result("encoder", Estimate(0.6, 0.5, 0.7), silhouette=0.05, group_silhouette=0.3,
                      groups_span_labels=True, same_group_at_1=0.8, same_group_chance=0.2,
                      precision_at_1_same_group_excluded=Estimate(0.4, 0.3, 0.5))
    sentences = " ".join(reading([base, speaker]))
    assert "cluster more by group (silhouette 0.300) than by label (0.050)" in sentences
    assert "own group for 80 % of queries (a random clip: 20 %)" in sentences
    assert "Without them precision@1 is 0.400 [0.300, 0.500]" in sentences


# ---------------------------------------------------------------- UMAP (the one test that runs umap-learn)

@pytest.mark.slow  # numba compiles UMAP on first use (~20 s on 2 cores): full suite only
def test_umap_map_separates_two_clusters_and_is_reproducible():
    x, _, _ = two_clusters(n_per=15)
    first = projection.umap_2d(x, n_neighbors=50, min_dist=0.1, n_epochs=30)
    again = projection.umap_2d(x, n_neighbors=50, min_dist=0.1, n_epochs=30)
    assert first.coordinates.shape == (30, 2) and first.n_neighbors == 29  # capped at n_clips - 1
    np.testing.assert_array_equal(first.coordinates, again.coordinates)  # fixed random_state
    a, b = first.coordinates[:15], first.coordinates[15:]
    gap = np.linalg.norm(a.mean(axis=0) - b.mean(axis=0))
    assert gap > 3 * max(np.linalg.norm(a - a.mean(axis=0), axis=1).max(),
                         np.linalg.norm(b - b.mean(axis=0), axis=1).max())


def test_umap_refuses_too_few_clips_and_bad_settings():
    with pytest.raises(AudioDiagError, match="at least 4 clips"):
        projection.umap_2d(np.ones((3, 5)))
    with pytest.raises(AudioDiagError, match="min_dist"):
        projection.umap_2d(np.ones((10, 5)), min_dist=2.0)


# ---------------------------------------------------------------- duplicates and leakage

def test_identical_clips_are_exact_duplicates_whatever_their_names():
    tone, hiss = wav_bytes(sine(440)), wav_bytes(noise(seed=1))
    clips = [load_clip(tone, name="a.wav", label="tone"), load_clip(hiss, name="b.wav", label="hiss"),
             load_clip(tone, name="copy of a.wav", label="tone"), load_clip(wav_bytes(sine(441)), name="c.wav")]
    assert duplicates.exact_duplicates(clips) == [(0, 2)]


def test_near_duplicate_threshold():
    # cosine(0, 1) = 0.995, cosine(0, 2) = 0.985, cosine(1, 2) = cos(5.7° + 9.9°) = 0.963
    x = _angles([0, np.degrees(np.arccos(0.995)), -np.degrees(np.arccos(0.985))])
    found = duplicates.near_duplicates(x, standardise=False)
    assert found.threshold == duplicates.NEAR_DUPLICATE_COSINE == 0.99
    assert [(p.first, p.second) for p in found.pairs] == [(0, 1)] and found.n_pairs == 1
    assert found.pairs[0].cosine == pytest.approx(0.995)
    lower = duplicates.near_duplicates(x, threshold=0.98, standardise=False)
    assert [(p.first, p.second) for p in lower.pairs] == [(0, 1), (0, 2)]  # most similar first
    assert duplicates.near_duplicates(x, standardise=False, exact=[(0, 1)]).n_pairs == found.n_pairs - 1


def _clips_with_copy(*, copy_group: str) -> list:
    clips = []
    for i in range(6):
        clips.append(make_clip(sine(300 + 40 * i), name=f"tone_{i}.wav", label="tone", group=f"s{i % 3}"))
        clips.append(make_clip(noise(seed=i), name=f"hiss_{i}.wav", label="hiss", group=f"s{i % 3}"))
    clips.append(make_clip(sine(300), name="tone_0_copy.wav", label="tone", group=copy_group))
    return clips


def test_folds_are_the_compare_pages_folds():
    clips = _clips_with_copy(copy_group="s0")
    x = np.random.default_rng(0).normal(size=(len(clips), 4)).astype(np.float32)
    space = spaces.SpaceVectors("random", x, float("nan"), 0.0, False, {})
    for group_aware in (True, False):
        ours = comparison_folds(clips, n_splits=3, group_aware=group_aware)
        theirs = compare.compare(clips, [space], n_splits=3, group_aware=group_aware, n_boot=10).folds
        np.testing.assert_array_equal(ours.fold_of_sample, theirs.fold_of_sample)


def test_copy_across_folds_is_a_warning_naming_both_files_and_the_fix():
    clips = _clips_with_copy(copy_group="s1")  # the copy sits in another group than the original (s0)
    folds = comparison_folds(clips, n_splits=3)
    exact = duplicates.exact_duplicates(clips)
    assert exact == [(0, 12)]
    assert folds.fold_of_sample[0] != folds.fold_of_sample[12]
    findings = {f.code: f for f in duplicates.leakage_findings(clips, folds, exact=exact)}
    warning = findings["duplicate_across_folds"]
    assert warning.severity == "warning" and warning.files == ("tone_0.wav", "tone_0_copy.wav")
    assert "tone_0.wav and tone_0_copy.wav (folds" in warning.message and "Fix: delete all but one" in warning.message
    assert "group_across_folds" not in findings  # group-aware folds keep every group together


def test_copy_in_the_same_group_stays_in_one_fold_and_random_folds_split_groups():
    clips = _clips_with_copy(copy_group="s0")
    folds = comparison_folds(clips, n_splits=3)
    codes = [f.code for f in duplicates.leakage_findings(clips, folds, exact=duplicates.exact_duplicates(clips))]
    assert codes == ["duplicate_clips"]
    random = comparison_folds(clips, n_splits=3, group_aware=False)
    split = [f for f in duplicates.leakage_findings(clips, random) if f.code == "group_across_folds"]
    assert split and "groups have clips on both sides" in split[0].message and fixes.USE_GROUPS in split[0].message
    assert "Keep groups apart" in fixes.render(split[0].message, wording.APP)  # as the app words the fix


def test_verdict_uses_every_metric_with_paired_cis_and_names_the_deciding_one():
    """Equal precision@1 (every clip has a same-class twin) but a far better whole ranking: mAP decides."""
    from audiodiag.verdict import notes

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (30, 16))  # twins: clips 2i and 2i+1 share a centre and a label
    twins = np.repeat(centres, 2, axis=0) + rng.normal(0, 0.01, (60, 16))
    labels_twins = np.repeat(np.tile(["a", "b"], 15), 2)  # a pair has one label; nothing else relates the pairs
    clustered = np.where((labels_twins == "a")[:, None], 3.0, -3.0) + rng.normal(0, 1, (60, 16))
    base = retrieval.retrieval_metrics(twins, labels_twins, space="baseline")
    good = retrieval.retrieval_metrics(clustered + twins * 0.05, labels_twins, space="encoder")
    assert base.precision_at_1.value == good.precision_at_1.value == 1.0  # the top hit cannot tell them apart
    assert good.mean_average_precision.value > base.mean_average_precision.value + 0.3
    paired = paired_retrieval(base, good)
    assert paired.verdict == "better" and paired.deciding == "mAP" and "precision@1" not in paired.better
    assert paired.differences["precision@1"].value == 0.0
    note = notes.retrieval_note("twins", [base, good])
    assert note.rung == "frozen encoder" and "decided by mAP" in note.verdict
    assert "encoder retrieves better than baseline on mAP" in " ".join(reading([base, good]))


# ---------------------------------------------------------------- issue 27, class 8: the same speaker

def test_with_groups_the_default_excludes_the_own_group_and_keeps_the_other_figure():
    """The hand-worked 4 clips above: by default (groups given) the own group is no candidate; precision@1 with it
    is kept next to the headline, and the share of own-group nearest neighbours is measured either way."""
    x = _angles([0, 10, 25, 45])
    labels, groups = ["a", "a", "b", "a"], ["g1", "g1", "g2", "g2"]
    r = retrieval.retrieval_metrics(x, labels, groups=groups, standardise=False)
    assert r.exclude_same_group
    assert r.precision_at_1.value == pytest.approx(1 / 3)  # q0 → 2✗, q1 → 2✗, q3 → 1✓
    assert r.precision_at_1_same_group_excluded == r.precision_at_1
    assert r.precision_at_1_same_group_included.value == pytest.approx(2 / 3)  # q0 → 1✓, q1 → 0✓, q3 → 2✗
    assert r.other_precision_at_1 == ("same-group neighbours included", r.precision_at_1_same_group_included)
    assert (r.same_group_at_1, r.same_group_chance) == (pytest.approx(3 / 4), pytest.approx(1 / 3))
    kept = retrieval.retrieval_metrics(x, labels, groups=groups, exclude_same_group=False, standardise=False)
    assert kept.other_precision_at_1[1].value == pytest.approx(1 / 3)  # the excluded figure, next to 2/3
    plain = retrieval.retrieval_metrics(x, labels, standardise=False)  # no groups: nothing to exclude
    assert not plain.exclude_same_group and plain.other_precision_at_1 is None
    assert [nb.index for nb in neighbours(x, 0, k=3, groups=groups, standardise=False)] == [2, 3]
    sentence = " ".join(reading([r]))
    assert "scored without same-group neighbours" in sentence and "precision@1 is 0.667" in sentence


def _speaker_space(seed: int = 0) -> tuple[np.ndarray, list[str], list[str]]:
    """6 speakers × 2 words × 3 takes: a speaker's takes of one word are near-identical, the word itself is a weak
    direction shared across speakers. With the own group, every nearest neighbour is a same-word take."""
    rng = np.random.default_rng(seed)
    speakers, words = rng.normal(0, 1, (6, 2, 16)), np.array([[0.6] + [0] * 15, [-0.6] + [0] * 15])
    rows, labels, groups = [], [], []
    for s in range(6):
        for w in range(2):
            for _ in range(3):
                rows.append(speakers[s, w] + words[w] + rng.normal(0, 0.01, 16))
                labels.append(f"word{w}")
                groups.append(f"speaker{s}")
    return np.array(rows), labels, groups


def test_paired_wording_never_says_clearly_and_says_inconclusive_when_the_ci_reaches_0():
    x, labels, groups = _speaker_space()
    same = retrieval.retrieval_metrics(x, labels, groups=groups, space="baseline")
    assert same.precision_at_1_same_group_included.value == 1.0 and same.same_group_at_1 == 1.0
    assert same.precision_at_1.value < 0.9  # across speakers the word is much harder to find
    tie = paired_retrieval(same, retrieval.retrieval_metrics(x, labels, groups=groups, space="copy"))
    assert tie.verdict == "undecided"
    assert comparison_sentence(tie).startswith("Inconclusive: every metric's paired 95 % CI includes 0")
    better = comparison_sentence(PairedRetrieval(
        "enc", "base", {"mAP": Estimate(0.035, 0.005, 0.067)}, ("mAP",), (), "better", "mAP", 60))
    assert better == "enc retrieves better than base on mAP (paired 95 % CIs above 0; decided by mAP)"
    assert "clearly" not in " ".join(reading([same, same])) + BETTER_RULE
