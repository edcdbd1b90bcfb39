"""Speakers from voices: who probably spoke each clip, when a dataset does not say (or to check what it says).

Every clip gets a 256-d voice vector from the bundled speaker encoder (`encoders.speaker`, cached on disk like any
encoder's rows). The vectors are centred on the dataset's mean (what every clip shares, the words included, is
taken out) and grouped by average-linkage agglomerative clustering on cosine distance, cut at VOICE_DISTANCE: the
number of inferred voices comes from the data. The cut was calibrated on the bundled synthetic digits (6 speakers)
and the real FSDD digits in ../shared (5 speakers); benchmarks/speakers.py measures the agreement (ARI,
purity) there.

What the inferred voices are used for:
- speech without a group column: the random-vs-group leakage check runs on them (`compare.compare`), and the note
  states an *estimated* leakage (verdict.leakage.estimated_leakage), never a measured one;
- a group column given: a labelled speaker whose clips fall into two inferred voices, or two labelled speakers that
  a nearest-centroid rule cannot tell apart, are findings;
- a `split` column (train / validation / test): speakers, labelled or inferred, with clips in more than one split.

>>> estimate = estimate_speakers([], speech_share=0.1)
>>> estimate.status
'not_speech'
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag.data.order import canonical_order
from audiodiag.errors import AudioDiagError
from audiodiag.findings import Code
from audiodiag.measure.levels import SPEECH_MAJORITY
from audiodiag.types import Finding

# Cosine distance (of centred voice vectors) below which average-linkage clustering joins clips into one voice.
# Calibrated on the bundled digits and the real FSDD digits (benchmarks/speakers.py sweeps it): 0.8 gives
# the best mean ARI over the two (0.46 and 0.95); at 0.85 the synthetic voices merge into 2 groups, at 0.75 the
# real speakers split into 8.
VOICE_DISTANCE = 0.8
VOICE_LINKAGE = "average"
SPEAKER_MIN_CLIPS = 20  # fewer clips: too few voices to centre and cluster
# Inferred voices that follow the labels (adjusted mutual information with them at or above this) cannot be told
# from the classes: clustering one speaker's digits gives AMI 0.54-0.90 with the digits; 5-6 speakers give < 0.
LABEL_AMI_MAX = 0.3
# A labelled speaker "sounds like two voices" when two inferred voices each hold at least this share of its clips
# (and SPLIT_MIN_CLIPS clips); on the bundled and real digits no speaker's second voice holds more than 20 %.
SPLIT_SHARE_MIN = 0.3
SPLIT_MIN_CLIPS = 3
ALIKE_SIGNIFICANCE = 0.05  # two labelled speakers are told apart when nearest-centroid accuracy beats 50 % at p < this
ALIKE_MIN_CLIPS = 3  # each of the two speakers compared needs this many clips

# why the leakage check did or did not run on inferred voices (verdict.leakage.estimated_leakage words each one)
ESTIMATED = "estimated"
GROUPS_GIVEN = "groups_given"
PREDEFINED_FOLDS = "predefined_folds"
NOT_SPEECH = "not_speech"
TOO_FEW_CLIPS = "too_few_clips"
NO_AUDIO = "no_audio"  # streamed runs keep no samples
UNAVAILABLE = "unavailable"  # the speaker encoder could not run
ONE_VOICE = "one_voice"
EVERY_CLIP_ALONE = "every_clip_alone"
FOLLOWS_LABELS = "follows_labels"
NO_FOLDS = "no_folds"  # group-aware folds cannot be drawn on the inferred voices (compare.compare sets it)


@dataclass(frozen=True)
class SpeakerEstimate:
    """Inferred voices of one dataset and what became of them: `status` is ESTIMATED when the leakage check can run
    on `voices`; otherwise it says why not (NOT_SPEECH, TOO_FEW_CLIPS, ...), and `detail` adds a message."""

    status: str
    n_clips: int
    speech_share: float | None = None
    voices: tuple[int, ...] | None = None  # inferred voice per clip (0 .. n_voices-1), in the clips' order
    label_ami: float | None = None  # adjusted mutual information between inferred voices and labels
    detail: str = ""
    findings: tuple[Finding, ...] = ()  # labelled speakers that sound like two or like one; speakers across splits
    distance: float = VOICE_DISTANCE

    @property
    def n_voices(self) -> int:
        return 0 if self.voices is None else len(set(self.voices))

    @property
    def groups(self) -> tuple[str, ...] | None:
        """One group name per clip ("voice 3") for group-aware folds; None unless the status is ESTIMATED."""
        if self.status != ESTIMATED or self.voices is None:
            return None
        return tuple(voice_name(v) for v in self.voices)

    def refused(self, status: str, detail: str) -> SpeakerEstimate:
        return replace(self, status=status, detail=detail)

    def to_dict(self) -> dict:
        """What the leakage estimate rests on, for a note's settings. With a group column no estimate is made, so
        the voices (checked against the column in memory, not in a streamed run) are left out: both notes agree."""
        if self.status == GROUPS_GIVEN:
            return {"status": self.status, "n_clips": self.n_clips, "speech_share": self.speech_share}
        return {"status": self.status, "n_clips": self.n_clips, "speech_share": self.speech_share,
                "n_voices": self.n_voices, "label_ami": self.label_ami, "detail": self.detail,
                "distance": self.distance, "linkage": VOICE_LINKAGE}


def voice_name(voice: int) -> str:
    return f"voice {voice + 1}"


@functools.lru_cache(maxsize=1)
def speaker_encoder():
    """The bundled speaker encoder, loaded once per process."""
    from audiodiag.represent.encoders.speaker import SpeakerEncoder

    return SpeakerEncoder()


def speaker_vectors(clips: Sequence, *, cache_dir=None, progress: Callable[[int, int], None] | None = None
                    ) -> np.ndarray:
    """(n, 256) voice vectors of `clips`, read from and stored in the embedding cache (`embedding_cache`)."""
    from audiodiag.represent.embedding_cache import cached_embed

    return cached_embed(speaker_encoder(), clips, cache_dir=cache_dir, progress=progress)


def cluster_voices(vectors: np.ndarray, *, distance: float = VOICE_DISTANCE) -> np.ndarray:
    """Inferred voice per row (0, 1, ... in order of first appearance): centred, cosine, average linkage, cut at
    `distance`. Rows in the same order give the same voices.

    >>> two = np.r_[np.tile([1.0, 0, 0], (5, 1)), np.tile([0, 1.0, 0], (5, 1))]  # two voices, five clips each
    >>> cluster_voices(two + np.random.default_rng(0).normal(0, 0.01, two.shape)).tolist()
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    from sklearn.cluster import AgglomerativeClustering

    x = np.asarray(vectors, np.float64)
    if len(x) < 2:
        return np.zeros(len(x), np.int64)
    centred = x - x.mean(axis=0)
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    raw = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                  linkage=VOICE_LINKAGE).fit_predict(centred)
    first = {c: k for k, c in enumerate(dict.fromkeys(raw.tolist()))}
    return np.asarray([first[c] for c in raw.tolist()], np.int64)


@dataclass(frozen=True)
class Agreement:
    """How well inferred voices match known speakers."""

    ari: float  # adjusted Rand index: 1 identical partitions, about 0 chance
    purity: float  # share of clips whose voice's most common speaker is theirs (1: no voice mixes speakers)
    inverse_purity: float  # share of clips in their speaker's most common voice (1: no speaker is split)
    n_speakers: int
    n_voices: int


def agreement(speakers: Sequence, voices: Sequence) -> Agreement:
    """Inferred `voices` against known `speakers`, clip by clip.

    >>> agreement(["a", "a", "b", "b"], [0, 0, 0, 1]).purity
    0.75
    """
    from sklearn.metrics import adjusted_rand_score
    from sklearn.metrics.cluster import contingency_matrix

    table = contingency_matrix(np.asarray(speakers, dtype=str), np.asarray(voices))
    n = table.sum()
    return Agreement(float(adjusted_rand_score(np.asarray(speakers, dtype=str), np.asarray(voices))),
                     float(table.max(axis=0).sum() / n), float(table.max(axis=1).sum() / n),
                     int(table.shape[0]), int(table.shape[1]))


def estimate_speakers(clips: Sequence, *, speech_share: float, vectors: np.ndarray | None = None,
                      distance: float = VOICE_DISTANCE) -> SpeakerEstimate:
    """Inferred voices for `clips` (Clips; `types.ClipInfo`s have no audio) and whether the leakage check may use
    them; the group-column and split-column findings come with them.

    speech_share: the dataset's VAD speech share (`dataset.speech_share`); voices are inferred only for speech
    (at least levels.SPEECH_MAJORITY). vectors: the clips' voice vectors when the caller has them (a page's cache);
    else they are computed here (`speaker_vectors`).
    """
    n = len(clips)
    groups = [c.group for c in clips]
    given = n > 0 and all(g is not None for g in groups)
    base = SpeakerEstimate(GROUPS_GIVEN if given else NOT_SPEECH, n, float(speech_share))
    labelled_splits = tuple(split_findings([c.name for c in clips], groups, _splits(clips))) if given else ()
    if speech_share < SPEECH_MAJORITY:
        return replace(base, findings=labelled_splits)
    if n < SPEAKER_MIN_CLIPS:
        return replace(base, status=base.status if given else TOO_FEW_CLIPS, findings=labelled_splits)
    if not given and all(getattr(c, "fold", None) is not None for c in clips):  # the folds are the dataset's own
        return replace(base, status=PREDEFINED_FOLDS)
    if any(getattr(c, "samples", None) is None for c in clips) and vectors is None:
        return replace(base, status=base.status if given else NO_AUDIO, findings=labelled_splits)
    if vectors is None:
        try:
            vectors = speaker_vectors(clips)
        except (AudioDiagError, ImportError, OSError) as e:
            return replace(base, status=base.status if given else UNAVAILABLE, detail=str(e),
                           findings=labelled_splits)
    order = canonical_order(clips)
    in_order = cluster_voices(np.asarray(vectors)[order], distance=distance)
    voices = np.empty(n, np.int64)
    voices[order] = in_order
    names = [c.name for c in clips]
    estimate = replace(base, status=ESTIMATED, voices=tuple(int(v) for v in voices),
                       label_ami=_label_ami([c.label for c in clips], voices))
    if given:
        found = (*labelled_group_findings(names, groups, voices, np.asarray(vectors)), *labelled_splits)
        return replace(estimate, status=GROUPS_GIVEN, findings=tuple(found))
    if estimate.n_voices < 2:
        return estimate.refused(ONE_VOICE, "")
    if estimate.n_voices == n:
        return estimate.refused(EVERY_CLIP_ALONE, "")
    if estimate.label_ami is not None and estimate.label_ami >= LABEL_AMI_MAX:
        return estimate.refused(FOLLOWS_LABELS, "")
    inferred = [voice_name(v) for v in voices]
    return replace(estimate, findings=tuple(split_findings(names, inferred, _splits(clips), inferred=True)))


def _splits(clips: Sequence) -> list[str | None]:
    return [getattr(c, "split", None) for c in clips]


def _label_ami(labels: Sequence, voices: np.ndarray) -> float | None:
    from sklearn.metrics import adjusted_mutual_info_score

    if any(label is None for label in labels) or len(set(labels)) < 2:
        return None
    return float(adjusted_mutual_info_score(np.asarray(labels, dtype=str), voices))


# ---------------------------------------------------------------- a group column, checked against the voices

def labelled_group_findings(names: Sequence[str], groups: Sequence[str], voices: np.ndarray,
                            vectors: np.ndarray) -> list[Finding]:
    """Labelled speakers whose clips fall into two inferred voices (SPLIT_SHARE_MIN each), and pairs of labelled
    speakers that nearest-centroid classification cannot tell apart (the same person under two ids?).

    Each speaker is compared with its nearest other speaker (by centroid), so the work grows with the speakers, not
    their pairs."""
    g = np.asarray(groups, dtype=str)
    out = []
    for speaker in sorted(set(g.tolist())):
        members = np.flatnonzero(g == speaker)
        counts = np.bincount(voices[members])
        top = np.argsort(counts)[::-1][:2]
        if len(top) == 2 and counts[top[1]] >= max(SPLIT_MIN_CLIPS, SPLIT_SHARE_MIN * len(members)):
            out.append(Finding(Code.SPEAKER_SOUNDS_LIKE_TWO, "warning", (
                f"Labelled speaker '{speaker}' sounds like two voices: the speaker encoder puts {counts[top[0]]} of "
                f"its {len(members)} clips in one inferred voice and {counts[top[1]]} in another. Listen to a few: "
                "two people may share this id, or the recording conditions changed."),
                tuple(names[i] for i in members)))
    out += _alike_findings(names, g, vectors)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _alike_findings(names: Sequence[str], g: np.ndarray, vectors: np.ndarray) -> list[Finding]:
    from scipy.stats import binomtest

    x = _unit(np.asarray(vectors, np.float64) - np.mean(vectors, axis=0))
    speakers = [s for s in sorted(set(g.tolist())) if np.sum(g == s) >= ALIKE_MIN_CLIPS]
    if len(speakers) < 2:
        return []
    centroids = _unit(np.stack([x[g == s].mean(axis=0) for s in speakers]))
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    pairs = sorted({tuple(sorted((a, int(np.argmax(similarity[a]))))) for a in range(len(speakers))})
    out = []
    for a, b in pairs:
        right, total = nearest_centroid_right(x[g == speakers[a]], x[g == speakers[b]])
        p = float(binomtest(right, total, 0.5, alternative="greater").pvalue)
        if p >= ALIKE_SIGNIFICANCE:
            files = [names[i] for i in np.flatnonzero((g == speakers[a]) | (g == speakers[b]))]
            out.append(Finding(Code.SPEAKERS_SOUND_ALIKE, "warning", (
                f"Labelled speakers '{speakers[a]}' and '{speakers[b]}' sound like one voice: nearest-centroid "
                f"assignment by the speaker encoder gets {right} of their {total} clips right (chance is half, "
                f"p = {p:.2f}). If one person has two ids, group-aware folds put that person in training and test."),
                tuple(files)))
    return out


def nearest_centroid_right(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """(clips assigned to their own speaker, clips) when each clip of `a` and `b` goes to the nearer of the two
    centroids, its own centroid computed without it (leave one out).

    >>> nearest_centroid_right(np.array([[1.0, 0.1], [1.0, -0.1]]), np.array([[-1.0, 0.1], [-1.0, -0.1]]))
    (4, 4)
    """
    sum_a, sum_b = a.sum(axis=0), b.sum(axis=0)
    own_a, other_a = _unit(sum_a - a), _unit(sum_b)
    own_b, other_b = _unit(sum_b - b), _unit(sum_a)
    right = int(np.sum(np.einsum("ij,ij->i", a, own_a) > a @ other_a))
    right += int(np.sum(np.einsum("ij,ij->i", b, own_b) > b @ other_b))
    return right, len(a) + len(b)


# ---------------------------------------------------------------- a split column

def split_findings(names: Sequence[str], speakers: Sequence[str | None], splits: Sequence[str | None], *,
                   inferred: bool = False) -> list[Finding]:
    """One finding naming the speakers (labelled, or inferred voices) whose clips sit in more than one split of
    the dataset's own `split` column (train / validation / test); [] without such a column.

    >>> split_findings(["a.wav", "b.wav", "c.wav"], ["ann", "ann", "bo"], ["train", "test", "test"])[0].files
    ('a.wav', 'b.wav')
    """
    if not splits or any(s is None for s in splits) or any(s is None for s in speakers):
        return []
    where: dict[str, dict[str, int]] = {}
    for speaker, split in zip(speakers, splits, strict=True):
        where.setdefault(str(speaker), {}).setdefault(str(split), 0)
        where[str(speaker)][str(split)] += 1
    crossing = {s: d for s, d in sorted(where.items()) if len(d) > 1}
    if not crossing:
        return []
    kind = "inferred voices" if inferred else "labelled speakers"
    shown = "; ".join(f"{s} ({', '.join(f'{k} {v}' for k, v in sorted(d.items()))})"
                      for s, d in list(crossing.items())[:5])
    more = f" and {len(crossing) - 5} more" if len(crossing) > 5 else ""
    files = [n for n, s in zip(names, speakers, strict=True) if str(s) in crossing]
    return [Finding(Code.SPEAKER_ACROSS_SPLITS, "warning", (
        f"{len(crossing)} of {len(where)} {kind} have clips in more than one split of the 'split' column: "
        f"{shown}{more}. A test split that shares speakers with training overstates how the model does on new "
        "speakers."), tuple(files))]
