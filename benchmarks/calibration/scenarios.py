"""The grid's scenarios and the generator of their datasets: Gaussian classes per space, speakers, label noise.

A dataset is vectors per class drawn from N(separation·e_class, I) in a baseline space and one or more encoder
spaces; the separation of each space is set so the best possible classifier (Bayes) reaches a chosen accuracy,
so "no difference" is exact. Speakers add a shared offset to their clips (leakage across random folds, by a known
share of the variance), a share of the labels can be flipped, and extra noise dimensions slow the learning curve.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from audiodiag.represent.spaces import BASELINE
from benchmarks.calibration.settings import GROUPED_EFFECT, GROUPED_NULL, INDEPENDENT

NEW_GROUPS = 1_000  # speakers in the fresh "new speakers" population
MAX_DRAWS = 50  # a drawn dataset the folds cannot use (a class in one group) is drawn again, this often at most
NEAR_PERFECT_ACCURACY = 0.99  # a scenario whose Bayes accuracies reach this mostly scores 1.0


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
            return INDEPENDENT
        return GROUPED_EFFECT if self.speaker_share > 0 else GROUPED_NULL

    @property
    def near_perfect(self) -> bool:
        return min(self.baseline_accuracy, self.encoder_accuracy) >= NEAR_PERFECT_ACCURACY

    @property
    def spaces(self) -> tuple[str, ...]:
        return (BASELINE, *(f"encoder {i + 1}" for i in range(self.n_encoders)))


def _pair(name, k, n, base, enc, purpose, **kw) -> Scenario:
    return Scenario(name, purpose, n, k, base, enc, **kw)


SCENARIOS = (
    _pair("pair-null-2c-60", 2, 60, .80, .80, "no difference, tiny set", weight=2),
    _pair("pair-null-5c-300", 5, 300, .75, .75, "no difference (1 encoder of the Holm family table)", weight=3),
    _pair("pair-null-20c-800", 20, 800, .70, .70, "no difference, many classes", weight=2),
    _pair("pair-null-10c-3000", 10, 3000, .80, .80, "no difference, large set", weight=2),
    _pair("pair-null-3enc-5c-300", 5, 300, .75, .75, "3 encoders, none better: Holm over 3", n_encoders=3, weight=2),
    _pair("pair-null-6enc-5c-300", 5, 300, .75, .75, "6 encoders, none better: Holm over 6", n_encoders=6, weight=3),
    _pair("perfect-2c-60", 2, 60, .995, .995, "near-perfect scores (often 60/60)"),
    _pair("perfect-4c-200", 4, 200, .998, .998, "near-perfect scores, more clips"),
    _pair("perfect-groups-4c-200-g10", 4, 200, .998, .998, "near-perfect scores, 10 speakers with an effect",
          n_groups=10, speaker_share=.5),
    _pair("pair-small-5c-300", 5, 300, .75, .80, "small gap"),
    _pair("pair-small-5c-1000", 5, 1000, .75, .80, "small gap, more clips"),
    _pair("pair-large-2c-40", 2, 40, .70, .90, "large gap, tiny set"),
    _pair("pair-large-10c-300", 10, 300, .65, .85, "large gap"),
    _pair("groups-null-4c-300-g20", 4, 300, .75, .75, "groups, no speaker effect: no leakage", n_groups=20,
          weight=3),
    _pair("groups-leak-4c-300-g20", 4, 300, .75, .75, "speaker effect: leakage", n_groups=20, speaker_share=.5,
          weight=3),
    _pair("groups-leak-2c-90-g3", 2, 90, .80, .80, "3 speakers, speaker effect", n_groups=3, speaker_share=.5,
          weight=2),
    _pair("groups-leak-5c-1000-g50", 5, 1000, .75, .75, "50 speakers, speaker effect", n_groups=50,
          speaker_share=.3, weight=2),
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
SMOKE_SCENARIOS = ("pair-null-5c-300", "pair-null-6enc-5c-300", "pair-large-10c-300", "perfect-2c-60",
                   "groups-leak-4c-300-g20", "noise-10-5c-500", "curve-flat-4c-400")


def smoke_scenarios() -> tuple[Scenario, ...]:
    """The scenarios of the smoke run: one per claim kind (and the family of 6), small."""
    return tuple(s for s in SCENARIOS if s.name in SMOKE_SCENARIOS)


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


def world_of(scenario: Scenario) -> World:
    """The scenario's generator without speakers (they are drawn per dataset)."""
    s = scenario
    return World(s, (separation_for(s.baseline_accuracy, s.n_classes),
                     *[separation_for(s.encoder_accuracy, s.n_classes)] * s.n_encoders), None, None)


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
    world = world_of(s)
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
