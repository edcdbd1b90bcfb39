"""How often is a verdict wrong, and do the intervals cover? Measured on simulated datasets whose truth is known.

No audio: each dataset is vectors per class drawn from Gaussians, in a baseline space and one or more encoder spaces
with a controlled accuracy gap (none under the null), optional speaker groups (a per-group offset, so random folds
leak), label noise, and learning curves that saturate at a known size. Every dataset goes through the library's own
pipeline — `compare.compare` on `types.ClipInfo`s, `curves.learning_curve`, `verdict.classification_evidence` and
`verdict.classification_claims` — so the rules measured are the ones a note states: change a rule and this table
changes with it. Nothing here decides a claim.

    python -m benchmarks.calibration                          # the full grid; writes calibration_results.md / .json
    python -m benchmarks.calibration --smoke                  # a few datasets in under a minute; prints only
    python -m benchmarks.calibration --results-md benchmarks/RESULTS.md   # its <!-- calibration --> block

Truth, for each interval (TRUTH_TEXT says the same in the output):
- accuracy and macro-F1: the same fold models (refitted on the same folds, checked against the comparison's
  predictions) scoring a fresh sample of TRUTH_CLIPS clips from the same generator, new speakers when the data have
  groups; each fold model weighted by its share of the clips, as the out-of-fold score pools them. Two more truths
  are reported beside it: one model trained on all n clips, and the expected accuracy over training sets of one
  fold's size (EXPECTED_TRUTH_REPEATS fresh datasets per scenario: what cross-validation estimates on average).
- paired difference: the encoder's truth minus the baseline's, on the same fresh sample.
- leakage gap: on fresh clips of the dataset's own speakers, the random-fold models' accuracy (each speaker seen in
  training) minus that of the group-fold model each speaker was held out of: what keeping a speaker out of training
  costs on these speakers. Expected: the mean random − group out-of-fold gap over fresh datasets.
- learning-curve slope: the expected accuracy (over training draws) at the full training size minus that at the last
  capped size, per doubling, from CURVE_TRUTH_REPEATS fresh training sets each.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import os
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # also runnable as `python benchmarks/calibration.py`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from audiodiag import compare, curves  # noqa: E402
from audiodiag.evaluate import make_folds, paired_group_bootstrap_ci, random_vs_group_split  # noqa: E402
from audiodiag.features import baseline_pipeline  # noqa: E402
from audiodiag.fitting import fit_predict  # noqa: E402
from audiodiag.spaces import BASELINE, SpaceVectors  # noqa: E402
from audiodiag.types import ClipInfo  # noqa: E402
from audiodiag.verdict import Kind, classification_claims, classification_evidence  # noqa: E402
from benchmarks.harness import machine  # noqa: E402

RESULTS_MD = HERE / "calibration_results.md"
RESULTS_JSON = HERE / "calibration_results.json"
BLOCK_START, BLOCK_END = "<!-- calibration -->", "<!-- /calibration -->"

N_DATASETS = 750  # across the whole grid, shared by the scenarios in proportion to their weight
N_BOOT = 500  # resamples of every interval compare() computes (the library's default is 1000)
TRUTH_CLIPS = 20_000  # fresh clips that define each dataset's true accuracy
NEW_GROUPS = 1_000  # speakers in the fresh "new speakers" population
CURVE_TRUTH_REPEATS = 40  # fresh training sets per size for the expected learning curve
EXPECTED_TRUTH_REPEATS = 20  # fresh datasets per scenario for the expected accuracy over training sets
CURVE_TRUTH_GRID = (1, 2, 5, 10, 20, 50, 100, 200)  # clips per class where the expected curve is tabulated
SMOKE = {"n_per_scenario": 4, "n_boot": 200, "truth_clips": 4_000, "curve_repeats": 8, "expected_repeats": 4}
MAX_DRAWS = 50  # a drawn dataset the folds cannot use (a class in one group) is drawn again, this often at most
CLIP_SAMPLES, RATE_HZ = 16_000, 16_000  # each simulated clip "lasts" 1 s: only durations are read (padding)
N_SPLITS = 5
NOMINAL = 0.95
GOAL_FALSE_CLAIM = 0.05
GOAL_COVERAGE = (0.93, 0.97)
MC_CONFIDENCE = 0.95  # Clopper-Pearson intervals of every rate in the table (Monte-Carlo error)

TRUTH_TEXT = (
    "accuracy / macro-F1: the comparison's own fold models scoring a fresh sample of {truth_clips:,} clips from the "
    "same generator (new speakers when the data have groups), pooled as the out-of-fold score pools them; 'all-n': one "
    "model trained on all n clips instead; 'expected': mean accuracy over {expected_repeats} fresh datasets of one "
    "fold's training size (what cross-validation estimates on average). Difference: encoder truth − baseline truth on "
    "that sample (expected: 0 by symmetry when the Bayes accuracies are equal). Leakage gap: "
    "fresh clips of the dataset's own speakers, scored by the random-fold models (speaker seen in training) − by the "
    "group-fold model each speaker was held out of (expected: the mean out-of-fold gap of random_vs_group_split over "
    "{expected_repeats} fresh datasets). Curve slope: expected "
    "accuracy (mean over {curve_repeats} fresh training sets) at the full training size − at the last capped size, "
    "per doubling. Null truths are by construction: equal Bayes accuracy (no difference), no speaker offset (no "
    "leakage), an expected slope below the rule's +{rising:g}/doubling (flat).")

# interval kinds: (key, what it is)
ACC, F1, DIFF, GAP, SLOPE = "accuracy", "macro_f1", "difference", "leakage_gap", "curve_slope"
WILSON, CLOPPER, GROUP_ACC, GROUP_DIFF = "ref_wilson", "ref_clopper_pearson", "ref_group_accuracy", "ref_group_diff"
INTERVALS = {
    ACC: "accuracy — percentile bootstrap over clips (metrics_with_ci)",
    F1: "macro-F1 — percentile bootstrap over clips (metrics_with_ci)",
    DIFF: "accuracy difference encoder − baseline — paired bootstrap over clips (paired_comparison)",
    GAP: "leakage gap random − group folds — paired bootstrap over groups (random_vs_group_split)",
    SLOPE: "curve slope per doubling — paired bootstrap over clips of the last step (learning_curve)",
    WILSON: "reference, used by no rule: accuracy, Wilson score (scipy binomtest)",
    CLOPPER: "reference, used by no rule: accuracy, Clopper–Pearson (scipy binomtest)",
    GROUP_ACC: "reference, used by no rule: accuracy, groups resampled (paired_group_bootstrap_ci vs 0)",
    GROUP_DIFF: "reference, used by no rule: difference, groups resampled (paired_group_bootstrap_ci)",
}
PAIR, FAMILY, LEAKAGE, RISING, FLAT = "encoder beats baseline", "any encoder beats baseline", "leakage present", \
    "curve rising", "curve flat"


# ---------------------------------------------------------------- scenarios and the generator

@lru_cache(maxsize=None)
def bayes_accuracy(separation: float, n_classes: int) -> float:
    """Accuracy of the best classifier for classes N(separation·e_c, I): P(z + separation > max of K−1 others)."""
    from scipy import integrate, stats

    value, _ = integrate.quad(lambda z: stats.norm.pdf(z) * stats.norm.cdf(z + separation) ** (n_classes - 1),
                              -np.inf, np.inf)
    return float(value)


@lru_cache(maxsize=None)
def separation_for(accuracy: float, n_classes: int) -> float:
    """The class separation (in noise standard deviations) whose Bayes accuracy is `accuracy`."""
    from scipy.optimize import brentq

    return float(brentq(lambda s: bayes_accuracy(s, n_classes) - accuracy, 0.0, 30.0, xtol=1e-10))


@dataclass(frozen=True)
class Scenario:
    """One cell of the grid: what is simulated, and so what the truth is."""

    name: str
    purpose: str
    n_clips: int
    n_classes: int
    baseline_accuracy: float  # Bayes accuracy of the baseline space: the best any classifier can do there
    encoder_accuracy: float  # Bayes accuracy of every encoder space; equal to the baseline's = no difference
    n_encoders: int = 1
    n_groups: int | None = None
    speaker_share: float = 0.0  # share of the within-class variance a speaker's clips share (0: groups carry nothing)
    home_share: float = 0.5  # share of a speaker's clips drawn from that speaker's own "home" class
    label_noise: float = 0.0  # share of clips whose given label is another class
    noise_dims: int = 8  # dimensions that carry no class information (more: slower learning curve)
    space_correlation: float = 0.5  # correlation of a clip's noise between spaces (hard clips are hard in both)
    curve: bool = False  # measure the encoder's learning curve
    weight: int = 1  # datasets relative to other scenarios: nulls whose false-claim rate is a headline get more

    def __post_init__(self) -> None:
        chance = 1 / self.n_classes
        for what, acc in (("baseline_accuracy", self.baseline_accuracy), ("encoder_accuracy", self.encoder_accuracy)):
            if not chance < acc < 1:
                raise ValueError(f"{self.name}: {what}={acc}; use a Bayes accuracy between chance ({chance:.3f}) and 1")
        if self.n_clips < 2 * self.n_classes:
            raise ValueError(f"{self.name}: {self.n_clips} clips for {self.n_classes} classes; each class needs 2")
        if self.n_groups is not None and self.n_groups < 2:
            raise ValueError(f"{self.name}: n_groups={self.n_groups}; use at least 2, or None for no groups")
        if not 0 <= self.speaker_share < 1 or not 0 <= self.label_noise < 0.5:
            raise ValueError(f"{self.name}: speaker_share must be in [0, 1) and label_noise in [0, 0.5)")

    @property
    def dims(self) -> int:
        return self.n_classes + self.noise_dims

    @property
    def gap(self) -> float:
        return self.encoder_accuracy - self.baseline_accuracy

    @property
    def condition(self) -> str:
        if self.n_groups is None:
            return "independent clips"
        return "grouped, speaker effect" if self.speaker_share > 0 else "grouped, no speaker effect"

    @property
    def spaces(self) -> tuple[str, ...]:
        return (BASELINE, *(f"encoder {i + 1}" for i in range(self.n_encoders)))


def _pair(name, k, n, base, enc, purpose, **kw) -> Scenario:
    return Scenario(name, purpose, n, k, base, enc, **kw)


SCENARIOS = (
    _pair("pair-null-2c-60", 2, 60, .80, .80, "no difference, tiny set"),
    _pair("pair-null-5c-300", 5, 300, .75, .75, "no difference"),
    _pair("pair-null-20c-800", 20, 800, .70, .70, "no difference, many classes"),
    _pair("pair-null-10c-3000", 10, 3000, .80, .80, "no difference, large set"),
    _pair("pair-null-3enc-5c-300", 5, 300, .75, .75, "3 encoders, none better: multiplicity", n_encoders=3, weight=3),
    _pair("perfect-2c-60", 2, 60, .995, .995, "near-perfect scores (often 60/60)"),
    _pair("perfect-4c-200", 4, 200, .998, .998, "near-perfect scores, more clips"),
    _pair("pair-small-5c-300", 5, 300, .75, .80, "small gap"),
    _pair("pair-small-5c-1000", 5, 1000, .75, .80, "small gap, more clips"),
    _pair("pair-large-2c-40", 2, 40, .70, .90, "large gap, tiny set"),
    _pair("pair-large-10c-300", 10, 300, .65, .85, "large gap"),
    _pair("groups-null-4c-300-g20", 4, 300, .75, .75, "groups, no speaker effect: no leakage", n_groups=20,
          weight=3),
    _pair("groups-leak-4c-300-g20", 4, 300, .75, .75, "speaker effect: leakage", n_groups=20, speaker_share=.5,
          weight=2),
    _pair("groups-leak-2c-90-g3", 2, 90, .80, .80, "3 speakers, speaker effect", n_groups=3, speaker_share=.5),
    _pair("groups-leak-5c-1000-g50", 5, 1000, .75, .75, "50 speakers, speaker effect", n_groups=50,
          speaker_share=.3),
    _pair("groups-gap-4c-300-g20", 4, 300, .70, .85, "speaker effect and a large gap", n_groups=20,
          speaker_share=.5),
    _pair("noise-0-5c-500", 5, 500, .80, .95, "clean labels: every flag is false", label_noise=0.0),
    _pair("noise-5-5c-500", 5, 500, .80, .95, "5 % of labels wrong", label_noise=.05),
    _pair("noise-10-5c-500", 5, 500, .80, .95, "10 % of labels wrong", label_noise=.10),
    _pair("curve-flat-4c-2000", 4, 2000, .70, .85, "curve saturated long before n: flat", noise_dims=4, curve=True),
    _pair("curve-flat-4c-400", 4, 400, .70, .85, "curve nearly saturated at n: flat, near the threshold", noise_dims=4,
          curve=True, weight=2),
    _pair("curve-rising-4c-160", 4, 160, .70, .85, "curve still rising at n", noise_dims=96, curve=True),
)


@dataclass(frozen=True, eq=False)
class World:
    """The generator of one dataset: class separations per space and the speakers with their offsets."""

    scenario: Scenario
    separations: tuple[float, ...]  # per space, baseline first
    homes: np.ndarray | None  # home class of each of the dataset's speakers
    offsets: np.ndarray | None  # (speakers, spaces, dims): each speaker's shift, unit variance per dimension

    def speakers(self, n_groups: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(home class, offsets) of n_groups speakers drawn from the population."""
        s, r = self.scenario, self.scenario.space_correlation
        homes = rng.integers(s.n_classes, size=n_groups)
        shared = rng.standard_normal((n_groups, 1, s.dims))
        own = rng.standard_normal((n_groups, len(s.spaces), s.dims))
        return homes, math.sqrt(r) * shared + math.sqrt(1 - r) * own

    def assign(self, labels: np.ndarray, homes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A speaker for each clip: one of its class's home speakers with probability home_share, else any."""
        out = rng.integers(len(homes), size=len(labels))
        at_home = rng.random(len(labels)) < self.scenario.home_share
        for c in range(self.scenario.n_classes):
            own = np.flatnonzero(homes == c)
            pick = (labels == c) & at_home
            if len(own) and pick.any():
                out[pick] = own[rng.integers(len(own), size=int(pick.sum()))]
        return out

    def vectors(self, labels: np.ndarray, speaker: np.ndarray | None, offsets: np.ndarray | None,
                rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """One (n, dims) float32 array per space: separation·e_class + noise, the noise N(0, I) in every space."""
        s, r = self.scenario, self.scenario.space_correlation
        shared = rng.standard_normal((len(labels), s.dims))
        out = []
        for i, separation in enumerate(self.separations):
            noise = math.sqrt(r) * shared + math.sqrt(1 - r) * rng.standard_normal((len(labels), s.dims))
            if speaker is not None and s.speaker_share > 0:
                noise = math.sqrt(1 - s.speaker_share) * noise + math.sqrt(s.speaker_share) * offsets[speaker, i]
            noise[np.arange(len(labels)), labels] += separation
            out.append(noise.astype(np.float32))
        return tuple(out)

    def fresh(self, n: int, rng: np.random.Generator, *, own_speakers: bool = False
              ) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray | None]:
        """n new clips (vectors per space, given labels with the scenario's label noise, speaker or None): from new
        speakers of the population, or (own_speakers) from the dataset's own speakers."""
        s = self.scenario
        labels = rng.integers(s.n_classes, size=n)
        speaker = offsets = None
        if s.n_groups is not None:
            homes, offsets = (self.homes, self.offsets) if own_speakers else self.speakers(NEW_GROUPS, rng)
            speaker = self.assign(labels, homes, rng)
        vectors = self.vectors(labels, speaker, offsets, rng)
        given, _ = flip_labels(labels, s.n_classes, s.label_noise, rng, exact=False)
        return vectors, given, speaker


def flip_labels(labels: np.ndarray, n_classes: int, share: float, rng: np.random.Generator, *,
                exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """(given labels, which were flipped): `share` of the clips (exactly round(share·n) when exact, else each with
    probability share) get another class, drawn uniformly."""
    n = len(labels)
    if exact:
        flipped = np.zeros(n, bool)
        flipped[rng.choice(n, size=round(share * n), replace=False)] = True
    else:
        flipped = rng.random(n) < share
    given = labels.copy()
    given[flipped] = (labels[flipped] + rng.integers(1, n_classes, size=int(flipped.sum()))) % n_classes
    return given, flipped


@dataclass(frozen=True, eq=False)
class Dataset:
    scenario: Scenario
    seed: int
    world: World
    labels: np.ndarray  # true class per clip (int)
    given: np.ndarray  # the label the clip carries (int): true unless flipped
    flipped: np.ndarray  # bool
    speaker: np.ndarray | None  # speaker per clip (int), None without groups
    vectors: tuple[np.ndarray, ...]  # per space, baseline first

    @property
    def label_names(self) -> np.ndarray:
        return np.asarray([f"c{c:02d}" for c in self.given])


def dataset_seed(scenario: Scenario, index: int) -> int:
    """The seed of dataset `index` of `scenario`: from the scenario's name and the index only (reproducible in any
    order, with any number of jobs)."""
    return int(np.random.SeedSequence([zlib.crc32(scenario.name.encode()), index]).generate_state(1)[0])


def simulate(scenario: Scenario, seed: int) -> Dataset:
    """A dataset of `scenario` the folds can use: balanced classes, every class in ≥ 2 speakers when grouped."""
    rng = np.random.default_rng(seed)
    s = scenario
    separations = (separation_for(s.baseline_accuracy, s.n_classes),
                   *[separation_for(s.encoder_accuracy, s.n_classes)] * s.n_encoders)
    world = World(s, separations, None, None)
    for _ in range(MAX_DRAWS):
        labels = rng.permutation(np.arange(s.n_clips) % s.n_classes)
        given, flipped = flip_labels(labels, s.n_classes, s.label_noise, rng, exact=True)
        speaker = None
        if s.n_groups is not None:
            homes, offsets = world.speakers(s.n_groups, rng)
            world = replace(world, homes=homes, offsets=offsets)
            speaker = world.assign(labels, homes, rng)
        if _usable(given, speaker, s.n_classes):
            return Dataset(s, seed, world, labels, given, flipped, speaker,
                           world.vectors(labels, speaker, world.offsets, rng))
    raise RuntimeError(f"{s.name}: no usable dataset in {MAX_DRAWS} draws (seed {seed}); give each class more clips "
                       "or speakers")


def _usable(given: np.ndarray, speaker: np.ndarray | None, n_classes: int) -> bool:
    counts = np.bincount(given, minlength=n_classes)
    if counts.min() < 2:
        return False
    return speaker is None or all(len(np.unique(speaker[given == c])) >= 2 for c in range(n_classes))


# ---------------------------------------------------------------- the library's rules on one dataset

def run_rules(dataset: Dataset, *, n_boot: int = N_BOOT) -> dict:
    """Everything a note would say about this dataset, from the library alone: compare(), the encoder's learning
    curve (curve scenarios), the evidence and its claims. Returns plain numbers plus the folds used."""
    s = dataset.scenario
    names = dataset.label_names
    clips = [ClipInfo(f"clip_{i:05d}.wav", CLIP_SAMPLES, RATE_HZ, RATE_HZ, 1, label=names[i],
                      group=None if dataset.speaker is None else f"speaker_{dataset.speaker[i]:03d}",
                      content_hash=f"{i:016x}")  # already in canonical order: no reordering inside compare
             for i in range(len(names))]
    spaces = [SpaceVectors(space, x, float("nan"), 0.0, False, {}) for space, x in zip(s.spaces, dataset.vectors)]
    comparison = compare.compare(clips, spaces, n_splits=N_SPLITS, n_boot=n_boot, seed=dataset.seed)
    learning = []
    if s.curve:
        encoder = spaces[1]
        smallest = min(int(np.sum(names[train] == c)) for train, _ in comparison.folds.splits() for c in np.unique(names))
        # the trend reads the last two points only: the largest default size below the full training set, then all
        sizes = [k for k in curves.SIZES_PER_CLASS if k < smallest][-1:] or curves.SIZES_PER_CLASS
        learning.append(curves.learning_curve(encoder.vectors, names, comparison.folds, name=encoder.space,
                                              sizes_per_class=sizes, seed=dataset.seed,
                                              full_predictions=comparison.rung(encoder.space).predictions))
    claims = classification_claims(classification_evidence(comparison, curves=learning, interface="cli"))
    verdict = {(c.kind, c.subject[0] if c.subject else ""): c.verdict for c in claims}
    out: dict = {"folds": np.asarray(comparison.folds.fold_of_sample), "n_splits": comparison.folds.n_splits,
                 "rungs": {}, "pairs": {}, "leakage": None, "curve": None}
    for r in comparison.rungs:
        out["rungs"][r.space] = {"accuracy": _triple(r.metrics.accuracy), "macro_f1": _triple(r.metrics.macro_f1),
                                 "predictions": r.predictions, "split": None if r.split_check is None else {
                                     "suspected": bool(r.split_check.leakage_suspected),
                                     "gap": (r.split_check.gap, *r.split_check.gap_ci),
                                     "random_accuracy": r.split_check.random_accuracy}}
    for p in comparison.paired:
        out["pairs"][p.name_b] = {"verdict": verdict[(Kind.ENCODER_VS_BASELINE, p.name_b)],
                                  "difference": _triple(p.difference), "p_value": float(p.p_value)}
    leak = next(c for c in claims if c.kind is Kind.LEAKAGE)
    out["leakage"] = leak.verdict
    if learning:
        c = learning[0]
        out["curve"] = {"trend": verdict[(Kind.CURVE, c.name)], "slope": float(c.slope_per_doubling),
                        "slope_ci": tuple(map(float, c.slope_ci)), "cap": c.points[-2].clips_per_class
                        if len(c.points) > 1 else None, "train_clips": [p.mean_train_clips for p in c.points[-2:]]}
    issues = next((c for c in claims if c.kind is Kind.LABEL_ISSUES), None)
    found = None if issues is None else comparison.rung(issues.subject[0]).label_issues
    out["label_issues"] = {"verdict": None if issues is None else issues.verdict,
                           "flagged": [] if found is None else sorted(i.index for i in found.issues)}
    return out


def _triple(estimate) -> tuple[float, float, float]:
    return float(estimate.value), float(estimate.ci_low), float(estimate.ci_high)


# ---------------------------------------------------------------- truth

def _pooled_scores(y_true: np.ndarray, predictions: Sequence[np.ndarray], weights: Sequence[float],
                   n_classes: int) -> tuple[float, float]:
    """Accuracy and macro-F1 of fold models pooled with `weights` (their share of the out-of-fold clips), from the
    weighted confusion matrix of their predictions on one fresh sample; macro-F1 as metrics_with_ci (classes seen)."""
    confusion = np.zeros((n_classes, n_classes))
    for pred, w in zip(predictions, weights):
        confusion += w * np.bincount(y_true * n_classes + pred, minlength=n_classes ** 2).reshape(n_classes, -1)
    confusion /= confusion.sum()
    tp, support, predicted = np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)
    seen = (support + predicted) > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros(n_classes), where=seen)
    return float(tp.sum()), float(f1[seen].mean())


def true_values(dataset: Dataset, outcomes: dict, *, truth_clips: int = TRUTH_CLIPS) -> dict:
    """The true value of every interval `run_rules` reported (see TRUTH_TEXT), from fresh clips of the generator."""
    s = dataset.scenario
    rng = np.random.default_rng([dataset.seed, 1])
    fresh, fresh_y, _ = dataset.world.fresh(truth_clips, rng)
    y = dataset.given
    n = len(y)
    splits = _splits(outcomes["folds"], outcomes["n_splits"])
    random_splits, own, own_y, own_speaker = [], None, None, None
    if s.n_groups is not None:  # the random folds random_vs_group_split draws (same labels, fold count and seed)
        random_splits = _splits(make_folds(dataset.label_names, None, n_splits=outcomes["n_splits"],
                                           seed=dataset.seed).fold_of_sample, outcomes["n_splits"])
        own, own_y, own_speaker = dataset.world.fresh(truth_clips, rng, own_speakers=True)
        kept = np.isin(own_speaker, dataset.speaker)  # speakers the dataset has clips of
        own, own_y, own_speaker = tuple(x[kept] for x in own), own_y[kept], own_speaker[kept]
    out: dict = {"accuracy": {}, "macro_f1": {}, "accuracy_all_n": {}, "macro_f1_all_n": {}, "gap": {},
                 "oof_agreement": {}, "random_agreement": {}}
    k = len(splits)
    for i, space in enumerate(s.spaces):
        X = np.concatenate([dataset.vectors[i], fresh[i]] + ([own[i]] if own is not None else []))
        labels = np.concatenate([y, np.zeros(len(X) - n, y.dtype)])  # only training rows' labels are read
        fresh_rows = np.arange(n, n + len(fresh_y))
        own_rows = np.arange(n + len(fresh_y), len(X))
        jobs = [(train, np.concatenate([test, fresh_rows, own_rows])) for train, test in splits]
        jobs += [(np.arange(n), fresh_rows)]
        jobs += [(train, np.concatenate([test, own_rows])) for train, test in random_splits]
        fitted = fit_predict(X, labels, jobs, lambda: baseline_pipeline(dataset.seed))
        group_fits, all_n_fit, random_fits = fitted[:k], fitted[k], fitted[k + 1:]
        oof = np.empty(n, y.dtype)
        for (_, test), f in zip(splits, group_fits):
            oof[test] = f.predictions[:len(test)]
        reported = np.asarray([int(p[1:]) for p in outcomes["rungs"][space]["predictions"]])
        out["oof_agreement"][space] = float(np.mean(oof == reported))
        on_fresh = [f.predictions[len(test):len(test) + len(fresh_y)] for (_, test), f in zip(splits, group_fits)]
        acc, f1 = _pooled_scores(fresh_y, on_fresh, [len(test) / n for _, test in splits], s.n_classes)
        out["accuracy"][space], out["macro_f1"][space] = acc, f1
        all_acc, all_f1 = _pooled_scores(fresh_y, [all_n_fit.predictions], [1.0], s.n_classes)
        out["accuracy_all_n"][space], out["macro_f1_all_n"][space] = all_acc, all_f1
        if random_splits:
            random_oof = np.empty(n, y.dtype)
            for (_, test), f in zip(random_splits, random_fits):
                random_oof[test] = f.predictions[:len(test)]
            split = outcomes["rungs"][space]["split"]
            out["random_agreement"][space] = float(abs(np.mean(random_oof == y) - split["random_accuracy"]) < 1e-12)
            seen, _ = _pooled_scores(own_y, [f.predictions[len(test):] for (_, test), f in zip(random_splits, random_fits)],
                                     [len(test) / n for _, test in random_splits], s.n_classes)
            unseen = np.empty(len(own_y), y.dtype)  # each fresh clip predicted by the model its speaker was held out of
            for (_, test), f in zip(splits, group_fits):
                held_out = np.isin(own_speaker, dataset.speaker[test])
                unseen[held_out] = f.predictions[len(test) + len(fresh_y):][held_out]
            out["gap"][space] = seen - float(np.mean(unseen == own_y))
    return out


def _splits(fold_of_sample: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.flatnonzero(fold_of_sample != f), np.flatnonzero(fold_of_sample == f)) for f in range(n_splits)]


def scenario_truth(scenario: Scenario, *, repeats: int = EXPECTED_TRUTH_REPEATS,
                   curve_repeats: int = CURVE_TRUTH_REPEATS, truth_clips: int = TRUTH_CLIPS) -> dict:
    """What is true of the scenario rather than of one dataset: the expected accuracy of each space over training sets
    of the folds' training size, and (curve scenarios) the encoder's expected learning curve."""
    out = {"expected": expected_accuracy(scenario, repeats=repeats, truth_clips=truth_clips)}
    if scenario.curve:
        out.update(expected_curve(scenario, repeats=curve_repeats, truth_clips=truth_clips))
    return out


def _world(s: Scenario) -> World:
    """The scenario's generator without speakers (they are drawn per dataset)."""
    return World(s, (separation_for(s.baseline_accuracy, s.n_classes),
                     *[separation_for(s.encoder_accuracy, s.n_classes)] * s.n_encoders), None, None)


def expected_accuracy(scenario: Scenario, *, repeats: int, truth_clips: int) -> dict:
    """Mean accuracy of the baseline and encoder spaces over `repeats` fresh datasets of the size one fold trains on
    (n·(k−1)/k clips, k the folds make_folds would use, with the scenario's speakers and label noise), each model
    scoring one fresh sample (new speakers when grouped); the difference is exactly 0 when the Bayes accuracies are
    equal (the spaces are then exchangeable), else the paired mean of the per-dataset differences."""
    s = scenario
    rng = np.random.default_rng([zlib.crc32(s.name.encode()), 3])
    probe = simulate(s, dataset_seed(s, 0))
    k = make_folds(probe.label_names, None if probe.speaker is None else probe.speaker, n_splits=N_SPLITS,
                   seed=0).n_splits
    small = replace(s, n_clips=max(2 * s.n_classes, round(s.n_clips * (k - 1) / k)), n_encoders=1)
    fresh, fresh_y, _ = _world(small).fresh(truth_clips, rng)
    sets = [simulate(small, int(seed)) for seed in rng.integers(2 ** 32, size=repeats)]
    accuracy = np.zeros((repeats, 2))
    for space in range(2):
        X = np.concatenate([d.vectors[space] for d in sets] + [fresh[space]])
        y = np.concatenate([d.given for d in sets] + [fresh_y])
        starts = np.cumsum([0] + [len(d.given) for d in sets])
        test = np.arange(starts[-1], len(X))
        jobs = [(np.arange(a, b), test) for a, b in zip(starts[:-1], starts[1:])]
        for r, f in enumerate(fit_predict(X, y, jobs, lambda: baseline_pipeline(0))):
            accuracy[r, space] = np.mean(f.predictions == fresh_y)
    diff = 0.0 if s.gap == 0 else float(np.mean(accuracy[:, 1] - accuracy[:, 0]))
    gaps = {}
    if s.n_groups is not None:  # the mean random − group-fold out-of-fold gap over fresh full-size datasets
        full = [simulate(replace(s, n_encoders=1), int(seed)) for seed in rng.integers(2 ** 32, size=repeats)]
        for space, name in enumerate(("baseline", "encoder")):
            gaps[name] = float(np.mean([random_vs_group_split(
                d.vectors[space], d.label_names, d.speaker, lambda: baseline_pipeline(0), n_splits=N_SPLITS,
                seed=d.seed).gap for d in full]))
    return {"accuracy": {"baseline": float(accuracy[:, 0].mean()), "encoder": float(accuracy[:, 1].mean())},
            "difference": diff, "gap": gaps, "train_clips": small.n_clips, "n_splits": k, "repeats": repeats}


def expected_curve(scenario: Scenario, *, repeats: int, truth_clips: int) -> dict:
    """The encoder's expected learning curve: mean accuracy over `repeats` fresh balanced training sets per size, on
    one fresh test sample; the last capped size and the full training size the rule will compare; the true slope per
    doubling between them; and the size where the curve saturates."""
    s = scenario
    rng = np.random.default_rng([zlib.crc32(s.name.encode()), 7])
    world = _world(s)
    y = np.arange(s.n_clips) % s.n_classes
    folds = make_folds([f"c{c:02d}" for c in y], None, n_splits=N_SPLITS, seed=0)
    per_class = [int(np.sum(y[train] == c)) for train, _ in folds.splits() for c in range(s.n_classes)]
    cap = [k for k in curves.SIZES_PER_CLASS if k < min(per_class)][-1]
    full = float(np.mean(per_class))
    full_rounded = round(full)
    test_x, test_y, _ = world.fresh(truth_clips, rng)
    sizes = sorted({*CURVE_TRUTH_GRID, cap, full_rounded})
    blocks, owners = [], []
    for size in sizes:
        for _ in range(repeats):
            labels = np.repeat(np.arange(s.n_classes), size)
            blocks.append((world.vectors(labels, None, None, rng)[1], labels))
            owners.append(size)
    X = np.concatenate([b[0] for b in blocks] + [test_x[1]])
    labels = np.concatenate([b[1] for b in blocks] + [test_y])
    starts = np.cumsum([0] + [len(b[1]) for b in blocks])
    test_rows = np.arange(starts[-1], len(X))
    jobs = [(np.arange(a, b), test_rows) for a, b in zip(starts[:-1], starts[1:])]
    accuracy: dict[int, list[float]] = defaultdict(list)
    for size, f in zip(owners, fit_predict(X, labels, jobs, lambda: baseline_pipeline(0))):
        accuracy[size].append(float(np.mean(f.predictions == test_y)))
    curve = {size: float(np.mean(v)) for size, v in accuracy.items()}
    slope = (curve[full_rounded] - curve[cap]) / math.log2(full / cap)
    grid = list(CURVE_TRUTH_GRID)
    saturates = next((a for a, b in zip(grid, grid[1:]) if (curve[b] - curve[a]) / math.log2(b / a)
                      < curves.RISING_PER_DOUBLING), None)
    trend = ("saturated" if curve[full_rounded] >= curves.SATURATED_ACCURACY else
             "rising" if slope >= curves.RISING_PER_DOUBLING else "flat")
    return {"curve": {str(k): v for k, v in sorted(curve.items())}, "cap": cap, "full_per_class": full,
            "slope": slope, "trend": trend, "saturates_at_per_class": saturates, "curve_repeats": repeats}


# ---------------------------------------------------------------- one dataset → one record

def run_one(task: tuple[Scenario, int, dict, int, int]) -> dict:
    """Simulate dataset `index` of `scenario`, run the rules, measure the truth: one JSON-ready record."""
    scenario, index, truth_of_scenario, n_boot, truth_clips = task
    start = time.perf_counter()
    seed = dataset_seed(scenario, index)
    dataset = simulate(scenario, seed)
    outcomes = run_rules(dataset, n_boot=n_boot)
    truth = true_values(dataset, outcomes, truth_clips=truth_clips)
    record = {"scenario": scenario.name, "index": index, "seed": seed, "condition": scenario.condition,
              "intervals": [], "claims": [], "pairs": []}
    intervals, claims = record["intervals"], record["claims"]

    expected = truth_of_scenario["expected"]

    def expected_of(space: str) -> float:
        return expected["accuracy"]["baseline" if space == scenario.spaces[0] else "encoder"]

    def interval(kind: str, space: str, triple, true: float, true_all_n: float | None = None,
                 true_expected: float | None = None) -> None:
        intervals.append({"kind": kind, "space": space, "value": triple[0], "low": triple[1], "high": triple[2],
                          "truth": true, "truth_all_n": true_all_n, "truth_expected": true_expected})

    from scipy.stats import binomtest

    y = dataset.given
    n = len(y)
    base = scenario.spaces[0]
    right = {}
    for space, rung in outcomes["rungs"].items():
        right[space] = np.asarray([int(p[1:]) for p in rung["predictions"]]) == y
        interval(ACC, space, rung["accuracy"], truth["accuracy"][space], truth["accuracy_all_n"][space],
                 expected_of(space))
        interval(F1, space, rung["macro_f1"], truth["macro_f1"][space], truth["macro_f1_all_n"][space])
        k = int(right[space].sum())
        for kind, method in ((WILSON, "wilson"), (CLOPPER, "exact")):
            ci = binomtest(k, n).proportion_ci(confidence_level=NOMINAL, method=method)
            interval(kind, space, (k / n, ci.low, ci.high), truth["accuracy"][space], truth["accuracy_all_n"][space],
                     expected_of(space))
        if dataset.speaker is not None:
            est = paired_group_bootstrap_ci(right[space], np.zeros(n), dataset.speaker, n_boot=n_boot, seed=seed)
            interval(GROUP_ACC, space, _triple(est), truth["accuracy"][space], truth["accuracy_all_n"][space],
                     expected_of(space))
            interval(GAP, space, rung["split"]["gap"], truth["gap"][space], None, expected["gap"][
                "baseline" if space == scenario.spaces[0] else "encoder"])
    null_pair = scenario.gap == 0
    any_yes = False
    for space, pair in outcomes["pairs"].items():
        true_diff = truth["accuracy"][space] - truth["accuracy"][base]
        interval(DIFF, space, pair["difference"], true_diff, None, expected["difference"])
        if dataset.speaker is not None:
            est = paired_group_bootstrap_ci(right[space], right[base], dataset.speaker, n_boot=n_boot, seed=seed)
            interval(GROUP_DIFF, space, _triple(est), true_diff, None, expected["difference"])
        yes = pair["verdict"] == "yes"
        any_yes |= yes
        claims.append({"kind": PAIR, "space": space, "verdict": pair["verdict"], "null": null_pair, "claimed": yes,
                       "effect": true_diff})
        d = pair["difference"]
        record["pairs"].append({"space": space, "verdict": pair["verdict"], "p_value": pair["p_value"],
                                "mcnemar_half": bool(pair["p_value"] < 0.05 and d[0] > 0), "ci_half": bool(d[1] > 0),
                                "difference": d, "true_difference": true_diff})
    if scenario.n_encoders > 1:
        claims.append({"kind": FAMILY, "space": "", "verdict": "yes" if any_yes else "no", "null": null_pair,
                       "claimed": any_yes, "effect": None})
    if dataset.speaker is not None:
        claims.append({"kind": LEAKAGE, "space": "", "verdict": outcomes["leakage"],
                       "null": scenario.speaker_share == 0, "claimed": outcomes["leakage"] == "present",
                       "effect": float(np.mean(list(truth["gap"].values())))})
    if outcomes["curve"] is not None:
        c = outcomes["curve"]
        interval(SLOPE, scenario.spaces[1], (c["slope"], *c["slope_ci"]), truth_of_scenario["slope"], None,
                 truth_of_scenario["slope"])
        flat_truth = truth_of_scenario["trend"] != "rising"
        claims.append({"kind": RISING, "space": scenario.spaces[1], "verdict": c["trend"], "null": flat_truth,
                       "claimed": c["trend"] == "rising", "effect": truth_of_scenario["slope"]})
        claims.append({"kind": FLAT, "space": scenario.spaces[1], "verdict": c["trend"], "null": not flat_truth,
                       "claimed": c["trend"] == "flat", "effect": truth_of_scenario["slope"]})
        record["curve_cap"] = c["cap"]
    flagged = np.zeros(n, bool)
    flagged[outcomes["label_issues"]["flagged"]] = True
    record["label_issues"] = {"verdict": outcomes["label_issues"]["verdict"], "n_flipped": int(dataset.flipped.sum()),
                              "n_flagged": int(flagged.sum()), "n_hits": int((flagged & dataset.flipped).sum()),
                              "n_clips": n}
    record["checks"] = {"oof_agreement": min(truth["oof_agreement"].values()),
                        "random_agreement": min(truth["random_agreement"].values(), default=1.0)}
    record["seconds"] = time.perf_counter() - start
    return record


# ---------------------------------------------------------------- running the grid

def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one process per core: no BLAS threads on top


def _scenario_truth_task(task: tuple[Scenario, int, int, int]) -> tuple[str, dict]:
    scenario, repeats, curve_repeats, truth_clips = task
    return scenario.name, scenario_truth(scenario, repeats=repeats, curve_repeats=curve_repeats,
                                         truth_clips=truth_clips)


def run(scenarios: Sequence[Scenario] = SCENARIOS, *, n_per_scenario: int | dict[str, int], jobs: int = 1,
        n_boot: int = N_BOOT,
        truth_clips: int = TRUTH_CLIPS, curve_repeats: int = CURVE_TRUTH_REPEATS,
        expected_repeats: int = EXPECTED_TRUTH_REPEATS, progress=None) -> dict:
    """The scenarios' truths, then every dataset of every scenario through `run_one`; returns {"records", "truths",
    "settings"}. jobs > 1 runs them in that many processes; the results do not depend on it."""
    say = progress or (lambda message: None)
    if isinstance(n_per_scenario, int):
        n_per_scenario = {s.name: n_per_scenario for s in scenarios}
    truth_tasks = [(s, expected_repeats, curve_repeats, truth_clips) for s in scenarios]
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_init_worker) if jobs > 1 else None
    mapped = pool.imap_unordered if pool is not None else map
    try:
        truths = {}
        for name, truth in mapped(_scenario_truth_task, truth_tasks):
            truths[name] = truth
            say(f"truth of {name}: expected accuracy {truth['expected']['accuracy']}")
        tasks = [(s, i, truths[s.name], n_boot, truth_clips) for s in scenarios for i in range(n_per_scenario[s.name])]
        records = []
        for done, record in enumerate(mapped(run_one, tasks), start=1):
            records.append(record)
            if done % 10 == 0 or done == len(tasks):
                say(f"{done}/{len(tasks)} datasets")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    order = {s.name: k for k, s in enumerate(scenarios)}
    records.sort(key=lambda r: (order[r["scenario"]], r["index"]))
    return {"records": records, "truths": {s.name: truths[s.name] for s in scenarios},
            "settings": {"n_per_scenario": n_per_scenario, "n_boot": n_boot, "truth_clips": truth_clips,
                         "curve_repeats": curve_repeats, "expected_repeats": expected_repeats, "n_splits": N_SPLITS,
                         "jobs": jobs}}


# ---------------------------------------------------------------- rates and tables

def rate(k: int, n: int) -> dict:
    """k of n with its Clopper–Pearson interval (the Monte-Carlo error of the rate)."""
    if n == 0:
        return {"k": 0, "n": 0, "rate": float("nan"), "low": float("nan"), "high": float("nan")}
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=MC_CONFIDENCE, method="exact")
    return {"k": int(k), "n": int(n), "rate": k / n, "low": float(ci.low), "high": float(ci.high)}


def summarise(result: dict, scenarios: Sequence[Scenario] = SCENARIOS) -> dict:
    """Rates from the records: false claims, power, coverage per interval kind and condition, label issues, the two
    halves of the pair rule."""
    records = result["records"]
    by_name = {s.name: s for s in scenarios}
    claims: dict = defaultdict(lambda: defaultdict(list))
    for r in records:
        for c in r["claims"]:
            claims[c["kind"]][r["scenario"]].append(c)
    claim_rows = []
    for kind, per_scenario in claims.items():
        pooled = defaultdict(lambda: [0, 0])
        for name, cs in per_scenario.items():
            null = cs[0]["null"]
            k = sum(c["claimed"] for c in cs)
            effects = [c["effect"] for c in cs if c["effect"] is not None]
            s = by_name[name]
            claim_rows.append({"kind": kind, "scenario": name, "truth": "null" if null else "effect", **rate(k, len(cs)),
                               "mean_true_effect": float(np.mean(effects)) if effects else None,
                               "design": _design(kind, s), "n_clips": s.n_clips, "n_classes": s.n_classes,
                               "n_groups": s.n_groups, "verdicts": _counts(c["verdict"] for c in cs)})
            for where in ("all", f"all: {s.condition}"):
                pooled[(null, where)][0] += k
                pooled[(null, where)][1] += len(cs)
        conditions = {where for _, where in pooled if where != "all"}
        for (null, where), (k, n) in pooled.items():
            if where == "all" or len(conditions) > 1:
                claim_rows.append({"kind": kind, "scenario": where, "truth": "null" if null else "effect",
                                   **rate(k, n)})
    coverage: dict = defaultdict(lambda: {"hit": 0, "hit_all_n": 0, "n_all_n": 0, "hit_expected": 0, "n_expected": 0,
                                          "n": 0, "zero": 0, "width": []})
    for r in records:
        for iv in r["intervals"]:
            keys = [(iv["kind"], r["condition"]), (iv["kind"], "all")]
            if iv["kind"] in (ACC, F1, WILSON, CLOPPER, GROUP_ACC) and iv["value"] == 1.0:
                keys.append((iv["kind"], "observed score 1.0"))
            for key in keys:
                cell = coverage[key]
                cell["n"] += 1
                cell["hit"] += iv["low"] <= iv["truth"] <= iv["high"]
                cell["zero"] += iv["high"] - iv["low"] == 0
                cell["width"].append(iv["high"] - iv["low"])
                for which in ("all_n", "expected"):
                    if iv[f"truth_{which}"] is not None:
                        cell[f"n_{which}"] += 1
                        cell[f"hit_{which}"] += iv["low"] <= iv[f"truth_{which}"] <= iv["high"]
    coverage_rows = [{"kind": kind, "condition": cond, "coverage": rate(c["hit"], c["n"]),
                      "coverage_all_n": rate(c["hit_all_n"], c["n_all_n"]) if c["n_all_n"] else None,
                      "coverage_expected": rate(c["hit_expected"], c["n_expected"]) if c["n_expected"] else None,
                      "zero_width": c["zero"], "mean_width": float(np.mean(c["width"]))}
                     for (kind, cond), c in sorted(coverage.items(), key=lambda kv: (list(INTERVALS).index(kv[0][0]),
                                                                                      kv[0][1]))]
    per_scenario: dict = defaultdict(lambda: [0, 0])
    for r in records:
        for iv in r["intervals"]:
            cell = per_scenario[(r["scenario"], iv["kind"])]
            cell[0] += iv["low"] <= iv["truth"] <= iv["high"]
            cell[1] += 1
    coverage_by_scenario = [{"scenario": name, "kind": kind, **rate(hit, n)}
                            for (name, kind), (hit, n) in per_scenario.items()]
    labels = defaultdict(lambda: {"flipped": 0, "flagged": 0, "hits": 0, "clips": 0, "datasets": 0, "with_flags": 0})
    for r in records:
        li, cell = r["label_issues"], labels[r["scenario"]]
        cell["flipped"] += li["n_flipped"]
        cell["flagged"] += li["n_flagged"]
        cell["hits"] += li["n_hits"]
        cell["clips"] += li["n_clips"]
        cell["datasets"] += 1
        cell["with_flags"] += li["n_flagged"] > 0
    label_rows = [{"scenario": name, "label_noise": by_name[name].label_noise, "precision": rate(c["hits"], c["flagged"]),
                   "recall": rate(c["hits"], c["flipped"]), "flagged_share": c["flagged"] / c["clips"],
                   "datasets": c["datasets"], "datasets_with_candidates": c["with_flags"]}
                  for name, c in sorted(labels.items(), key=lambda kv: -by_name[kv[0]].label_noise)]
    halves = defaultdict(list)
    for r in records:
        for p in r["pairs"]:
            halves[r["scenario"]].append(p)
    half_rows = [{"scenario": name, "null": by_name[name].gap == 0, "n": len(ps),
                  "mcnemar": rate(sum(p["mcnemar_half"] for p in ps), len(ps)),
                  "ci": rate(sum(p["ci_half"] for p in ps), len(ps)),
                  "both_yes": rate(sum(p["verdict"] == "yes" for p in ps), len(ps)),
                  "disagree": rate(sum(p["mcnemar_half"] != p["ci_half"] for p in ps), len(ps))}
                 for name, ps in halves.items()]
    checks = {"min_oof_agreement": min(r["checks"]["oof_agreement"] for r in records),
              "min_random_agreement": min(r["checks"]["random_agreement"] for r in records)}
    return {"claims": claim_rows, "coverage": coverage_rows, "coverage_by_scenario": coverage_by_scenario,
            "label_issues": label_rows, "pair_rule_halves": half_rows, "checks": checks}


def _design(kind: str, s: Scenario) -> str:
    """What was simulated, for the claim's kind: the Bayes gap, the speaker effect, or the curve's scenario."""
    if kind in (PAIR, FAMILY):
        return f"Bayes accuracy {s.baseline_accuracy:g} → {s.encoder_accuracy:g} ({s.n_encoders} encoder(s))"
    if kind == LEAKAGE:
        return f"speaker share {s.speaker_share:g}, home share {s.home_share:g}"
    return f"{s.noise_dims} noise dimensions"


def _counts(values) -> dict:
    out: dict = defaultdict(int)
    for v in values:
        out[str(v)] += 1
    return dict(out)


def _pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None or x != x else f"{100 * x:.{digits}f} %"


def _rate_text(r: dict) -> str:
    return "—" if not r or not r["n"] else f"{_pct(r['rate'])} [{_pct(r['low'])}, {_pct(r['high'])}] ({r['k']}/{r['n']})"


def _false_claim_result(r: dict) -> str:
    return "PASS" if r["low"] <= GOAL_FALSE_CLAIM else "**FAIL**"


def _coverage_result(r: dict) -> str:
    low, high = GOAL_COVERAGE
    if r["high"] < low:
        return "**FAIL** (too narrow)"
    if r["low"] > high:
        return "**FAIL** (too wide)"
    return "PASS"


def render_markdown(summary: dict, meta: dict, scenarios: Sequence[Scenario] = SCENARIOS) -> str:
    """The calibration block for RESULTS.md: header, then one table per question."""
    settings = meta["settings"]
    by_name = {s.name: s for s in scenarios}
    lines = [
        "## Calibration (`python -m benchmarks.calibration`)", "",
        f"- date: {meta['date']}", f"- machine: {meta['machine']}",
        f"- command: `{meta['command']}` (whole run {meta['seconds']:.0f} s, {meta['n_datasets']} simulated datasets, "
        f"{_per_scenario(settings['n_per_scenario'])} per scenario, "
        f"{settings['jobs']} process(es))",
        f"- bootstrap: {settings['n_boot']} resamples for the intervals compare() computes (the library default is "
        "1000); the leakage gap and the curve step use the library's fixed counts; 95 % intervals everywhere",
        "- truth: " + TRUTH_TEXT.format(truth_clips=settings["truth_clips"], curve_repeats=settings["curve_repeats"],
                                        expected_repeats=settings["expected_repeats"],
                                        rising=curves.RISING_PER_DOUBLING),
        f"- rates are shown as `rate [95 % Clopper–Pearson interval] (k/n)`: the bracket is the Monte-Carlo error. Goals: "
        f"false-claim rate ≤ {_pct(GOAL_FALSE_CLAIM, 0)} (PASS while the interval reaches {_pct(GOAL_FALSE_CLAIM, 0)}), "
        f"coverage {_pct(GOAL_COVERAGE[0], 0)}–{_pct(GOAL_COVERAGE[1], 0)} for nominal 95 % (PASS while the "
        "interval overlaps the goal).",
        f"- sanity: refitted fold models reproduce compare()'s out-of-fold predictions on ≥ "
        f"{_pct(summary['checks']['min_oof_agreement'])} of clips in every dataset.",
        "", "### False claims where the truth is null", "",
        "| claim | scenario | n clips | classes | groups | false-claim rate | verdicts | result |", "|---|---|---|---|---|---|---|---|"]
    for row in summary["claims"]:
        if row["truth"] != "null":
            continue
        s = by_name.get(row["scenario"])
        pooled = "its null scenarios" if row["scenario"] == "all" else row["scenario"].split(": ", 1)[-1]
        where = (f"**pooled: {pooled}**", "", "", "") if s is None else (
            row["scenario"], str(s.n_clips), str(s.n_classes), str(s.n_groups or "—"))
        lines.append(f"| {row['kind']} | {' | '.join(where)} | {_rate_text(row)} | "
                     f"{_verdicts(row.get('verdicts'))} | {_false_claim_result(row)} |")
    lines += ["", "### Power where the truth is a difference", "",
              "| claim | scenario | n clips | classes | groups | simulated | mean true effect | claimed (power) | verdicts |",
              "|---|---|---|---|---|---|---|---|---|"]
    for row in summary["claims"]:
        s = by_name.get(row["scenario"])
        if row["truth"] != "effect" or s is None:
            continue
        lines.append(f"| {row['kind']} | {row['scenario']} | {s.n_clips} | {s.n_classes} | {s.n_groups or '—'} | "
                     f"{row['design']} | {_effect(row)} | {_rate_text(row)} | {_verdicts(row['verdicts'])} |")
    lines += ["", "### Coverage of nominal 95 % intervals", "",
              "| interval | data | coverage (truth: fold models) | result | truth: one model on all n | "
              "truth: expected over training sets | zero-width | mean width |", "|---|---|---|---|---|---|---|---|"]
    for row in summary["coverage"]:
        all_n = _rate_text(row["coverage_all_n"]) if row["coverage_all_n"] else "—"
        expected = _rate_text(row["coverage_expected"]) if row["coverage_expected"] else "—"
        lines.append(f"| {INTERVALS[row['kind']]} | {row['condition']} | {_rate_text(row['coverage'])} | "
                     f"{_coverage_result(row['coverage'])} | {all_n} | {expected} | {row['zero_width']} | "
                     f"{row['mean_width']:.3f} |")
    kinds = [k for k in INTERVALS if any(row["kind"] == k for row in summary["coverage_by_scenario"])]
    lines += ["", "### Coverage by scenario (truth: fold models; intervals that cover / intervals)", "",
              "| scenario | data | " + " | ".join(INTERVALS[k].split(" — ")[0].replace("reference, used by no rule: ",
                                                                                    "ref: ") for k in kinds) + " |",
              "|---|---|" + "---|" * len(kinds)]
    cells = {(row["scenario"], row["kind"]): row for row in summary["coverage_by_scenario"]}
    for s in scenarios:
        if not any((s.name, k) in cells for k in kinds):
            continue
        shown = [f"{_pct(cells[(s.name, k)]['rate'], 0)} ({cells[(s.name, k)]['n']})" if (s.name, k) in cells else ""
                 for k in kinds]
        lines.append(f"| {s.name} | {s.condition} | " + " | ".join(shown) + " |")
    lines += ["", "### Possibly mislabelled (cleanlab on the most accurate rung; a flag on a clean label is false)", "",
              "| scenario | injected label noise | precision | recall | share of clips flagged | datasets with candidates |",
              "|---|---|---|---|---|---|"]
    for row in summary["label_issues"]:
        lines.append(f"| {row['scenario']} | {_pct(row['label_noise'], 0)} | {_rate_text(row['precision'])} | "
                     f"{_rate_text(row['recall'])} | {_pct(row['flagged_share'])} | "
                     f"{row['datasets_with_candidates']}/{row['datasets']} |")
    lines += ["", "### The pair rule's two halves (McNemar p < 0.05 with B ahead; bootstrap CI above 0)", "",
              "| scenario | truth | McNemar half | CI half | both (verdict yes) | halves disagree |", "|---|---|---|---|---|---|"]
    for row in summary["pair_rule_halves"]:
        lines.append(f"| {row['scenario']} | {'null' if row['null'] else 'difference'} | {_rate_text(row['mcnemar'])} | "
                     f"{_rate_text(row['ci'])} | {_rate_text(row['both_yes'])} | {_rate_text(row['disagree'])} |")
    curve_rows = [(name, t) for name, t in meta["truths"].items() if "curve" in t]
    if curve_rows:
        lines += ["", "### Expected learning curves (truth of the curve scenarios)", "",
                  "| scenario | expected accuracy by clips per class | saturates at (gain < +0.02/doubling) | rule compares "
                  "| true slope/doubling | truth |", "|---|---|---|---|---|---|"]
        for name, t in curve_rows:
            points = ", ".join(f"{k}: {v:.3f}" for k, v in t["curve"].items())
            lines.append(f"| {name} | {points} | {t['saturates_at_per_class'] or '> 200'} per class | {t['cap']} vs "
                         f"{t['full_per_class']:.0f} per class | {t['slope']:+.4f} | {t['trend']} |")
    return "\n".join(lines) + "\n"


def _per_scenario(counts: int | dict) -> str:
    if isinstance(counts, int):
        return str(counts)
    low, high = min(counts.values()), max(counts.values())
    return str(low) if low == high else f"{low}–{high}"


def _verdicts(counts: dict | None) -> str:
    return "" if not counts else ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _effect(row: dict) -> str:
    effect = row.get("mean_true_effect")
    return "—" if effect is None else f"{effect:+.3f}"


def write_block(path: Path, block: str) -> None:
    """Put `block` between the calibration markers of `path`: replaced where they are, appended at the end where
    they are not (the file is created if needed)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    wrapped = f"{BLOCK_START}\n{block.rstrip()}\n{BLOCK_END}"
    if BLOCK_START in text and BLOCK_END in text:
        head, rest = text.split(BLOCK_START, 1)
        text = head + wrapped + rest.split(BLOCK_END, 1)[1]
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + wrapped + "\n"
    path.write_text(text, encoding="utf-8")


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if value != value else float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def calibrate(*, smoke: bool = False, n_datasets: int = N_DATASETS, jobs: int = 1, n_boot: int | None = None,
              scenarios: Sequence[Scenario] = SCENARIOS, command: str = "", progress=None) -> dict:
    """Run the grid (or its smoke version) and summarise: {"summary", "markdown", "meta", "records"}."""
    start = time.perf_counter()
    if smoke:
        settings = {**SMOKE, "n_per_scenario": {s.name: SMOKE["n_per_scenario"] for s in scenarios}}
        if n_boot is not None:
            settings["n_boot"] = n_boot
    else:
        base = n_datasets / sum(s.weight for s in scenarios)
        settings = {"n_per_scenario": {s.name: max(1, math.ceil(base * s.weight)) for s in scenarios},
                    "n_boot": n_boot or N_BOOT,
                    "truth_clips": TRUTH_CLIPS, "curve_repeats": CURVE_TRUTH_REPEATS,
                    "expected_repeats": EXPECTED_TRUTH_REPEATS}
    result = run(scenarios, jobs=jobs, progress=progress, **settings)
    summary = summarise(result, scenarios)
    meta = {"date": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "machine": machine(),
            "command": command or "benchmarks.calibration.calibrate()", "seconds": time.perf_counter() - start,
            "n_datasets": len(result["records"]), "settings": result["settings"], "truths": result["truths"],
            "scenarios": [asdict(s) for s in scenarios], "smoke": smoke}
    return {"summary": summary, "markdown": render_markdown(summary, meta, scenarios), "meta": meta,
            "records": result["records"]}


def smoke_scenarios() -> tuple[Scenario, ...]:
    """The scenarios of the smoke run: one per claim kind, small."""
    wanted = ("pair-null-5c-300", "pair-large-10c-300", "perfect-2c-60", "groups-leak-4c-300-g20", "noise-10-5c-500",
              "curve-flat-4c-400")
    return tuple(s for s in SCENARIOS if s.name in wanted)


OUTPUT_OPTIONS = ("--results-md", "--results-json")  # where the results go does not change them: not shown


def shown_command(argv: Sequence[str]) -> str:
    """The command that reproduces the numbers: argv without the output options (their paths are this machine's).

    >>> shown_command(["--jobs", "1", "--results-md", "/x/RESULTS.md", "--with-records"])
    'python -m benchmarks.calibration --jobs 1'
    """
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in OUTPUT_OPTIONS:
            skip = True
        elif arg != "--with-records" and not arg.startswith(tuple(f"{o}=" for o in OUTPUT_OPTIONS)):
            kept.append(arg)
    return " ".join(["python -m benchmarks.calibration", *kept])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-datasets", type=int, default=N_DATASETS,
                        help=f"datasets across the whole grid, shared by the scenarios by weight (default {N_DATASETS})")
    parser.add_argument("--smoke", action="store_true", help="a few small datasets per claim kind (under a minute); "
                        "writes files only when --results-md / --results-json are given")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="processes (default: all cores)")
    parser.add_argument("--n-boot", type=int, default=None, help=f"bootstrap resamples (default {N_BOOT}; smoke "
                        f"{SMOKE['n_boot']})")
    parser.add_argument("--scenario", action="append", default=None, metavar="NAME",
                        help="run only this scenario (repeatable); names: " + ", ".join(s.name for s in SCENARIOS))
    parser.add_argument("--results-md", type=Path, default=None,
                        help=f"Markdown file whose {BLOCK_START} block is written (default {RESULTS_MD.name})")
    parser.add_argument("--results-json", type=Path, default=None,
                        help=f"JSON of every rate, the truths and the settings (default {RESULTS_JSON.name})")
    parser.add_argument("--with-records", action="store_true",
                        help="also put every dataset's record (each interval, truth and verdict) in the JSON")
    parser.add_argument("--render", type=Path, default=None, metavar="JSON",
                        help="simulate nothing: render the Markdown again from a results JSON this script wrote")
    args = parser.parse_args(argv)
    if args.render is not None:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        markdown = render_markdown(saved["summary"], saved["meta"],
                                   [Scenario(**s) for s in saved["meta"]["scenarios"]])
        print(markdown)
        if args.results_md is not None:
            write_block(args.results_md, markdown)
        return 0
    scenarios = smoke_scenarios() if args.smoke else SCENARIOS
    if args.scenario:
        unknown = sorted(set(args.scenario) - {s.name for s in SCENARIOS})
        if unknown:
            parser.error(f"unknown scenario(s) {', '.join(unknown)}; pick from {', '.join(s.name for s in SCENARIOS)}")
        scenarios = tuple(s for s in SCENARIOS if s.name in args.scenario)
    out = calibrate(smoke=args.smoke, n_datasets=args.n_datasets, jobs=args.jobs, n_boot=args.n_boot,
                    scenarios=scenarios, command=shown_command(argv if argv is not None else sys.argv[1:]),
                    progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(out["markdown"])
    md = args.results_md or (None if args.smoke else RESULTS_MD)
    js = args.results_json or (None if args.smoke else RESULTS_JSON)
    if md is not None:
        write_block(md, out["markdown"])
    if js is not None:
        content = {"meta": out["meta"], "summary": out["summary"]}
        if args.with_records:
            content["records"] = out["records"]
        js.write_text(json.dumps(_json_ready(content), indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
