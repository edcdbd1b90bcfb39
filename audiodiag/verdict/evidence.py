"""Everything a classification run measured, in one object: the only input of the claim rules.

`classification_evidence` builds it from the library's results (a comparison, its learning curves, the audit,
the data findings); every entry point (pages, CLI, streamed runs) goes through it, so the rules see the same
numbers whatever asked for the note.

>>> groups = Groups(given=True, used=True, requested=True, n_groups=120, n_clips=120)
>>> groups.every_clip_alone
True
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.evaluation.evaluate import PairedComparison, SplitComparison
from audiodiag.types import Finding, Readiness


@dataclass(frozen=True)
class Groups:
    """Speaker/source groups: whether the clips have them, whether the folds kept them apart, and how many."""

    given: bool  # every clip has a group
    used: bool  # the folds keep each group in one fold
    requested: bool  # group-aware folds were asked for (False: --no-groups / the checkbox off)
    n_groups: int | None
    n_clips: int
    predefined_folds: bool = False  # the dataset's own folds (a `fold` column) were used as given

    @property
    def every_clip_alone(self) -> bool:
        """Each clip is its own group: grouping cannot keep anything apart, so leakage cannot be measured."""
        return self.given and self.n_groups == self.n_clips


@dataclass(frozen=True)
class InferredSpeakers:
    """Voices the speaker encoder inferred when no group column was given
    (`audiodiag.measure.speakers.SpeakerEstimate`):
    `status` says whether the leakage check ran on them ("estimated") or why not."""

    status: str
    n_voices: int
    n_clips: int
    speech_share: float | None = None
    label_ami: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class Rung:
    """One space's scores, as the rules need them."""

    space: str
    accuracy: Estimate
    macro_f1: Estimate
    seconds_per_clip: float
    embedding_size: int
    model_mb: float
    per_class_f1: Mapping[str, float]
    confused_pairs: tuple[tuple[str, str, int], ...]  # (true label, predicted label, clips), most frequent first
    split_check: SplitComparison | None = None  # random vs group-aware folds, when groups were used
    label_issues: object | None = None  # audiodiag.evaluation.label_issues.LabelIssues
    estimated_split_check: SplitComparison | None = None  # random vs inferred-voice folds (no group column)


@dataclass(frozen=True)
class Curve:
    """A learning curve's read-out: trend and the last step's slope with its CI."""

    space: str
    trend: str  # "rising" | "flat" | "saturated" | "inconclusive"
    slope_per_doubling: float
    slope_ci: tuple[float, float]
    points: tuple[tuple[int, float], ...] = ()  # (clips per class, accuracy), smallest first; the last uses all


@dataclass(frozen=True)
class ClassificationEvidence:
    n_clips: int
    class_counts: Mapping[str, int]
    folds_note: str
    n_splits: int
    groups: Groups
    padding_label: str
    rungs: tuple[Rung, ...]  # the spectral baseline first
    pairs: tuple[PairedComparison, ...]  # each encoder against the baseline, on the same clips and folds
    curves: Mapping[str, Curve] = field(default_factory=dict)  # by space
    shortcut: str | None = None  # the metadata audit's explanation when it suspects a shortcut
    audited: bool = False  # the metadata audit ran
    findings: tuple[Finding, ...] = ()
    readiness: Readiness | None = None
    finetune_gain: PairedComparison | None = None
    unavailable: tuple[tuple[str, str], ...] = ()  # (encoder, why it could not run)
    # what the intervals treat as independent: "clips" or "groups" (audiodiag.evaluation.intervals)
    interval_unit: str = "clips"
    speakers: InferredSpeakers | None = None  # inferred voices (None: not attempted, e.g. a comparison alone)

    def rung(self, space: str) -> Rung:
        return next(r for r in self.rungs if r.space == space)

    @property
    def measured_spaces(self) -> tuple[str, ...]:
        return tuple(r.space for r in self.rungs)


def curve_of(learning_curve) -> Curve:
    """The read-out of an `audiodiag.evaluation.curves.LearningCurve` (what the curve rule reads)."""
    c = learning_curve
    return Curve(c.name, c.trend, c.slope_per_doubling, tuple(c.slope_ci),
                 tuple((p.clips_per_class, p.accuracy_mean) for p in c.points))


def classification_evidence(comparison, *, curves: Sequence = (), audit=None, findings: Sequence[Finding] = (),
                            readiness: Readiness | None = None, finetune_gain: PairedComparison | None = None,
                            unavailable: Sequence[tuple[str, str]] = ()
                            ) -> ClassificationEvidence:
    """The evidence of one classification run from the library's results (`compare.Comparison`,
    `curves.LearningCurve`s, `audit.MetadataAudit`)."""
    settings = comparison.settings
    n_clips = len(comparison.labels)
    groups = Groups(given=bool(settings.get("groups_given")), used=bool(settings.get("group_aware")),
                    requested=bool(settings.get("group_aware_requested", True)), n_groups=settings.get("n_groups"),
                    n_clips=n_clips, predefined_folds=bool(settings.get("predefined_folds")))
    rungs = tuple(Rung(r.space, r.metrics.accuracy, r.metrics.macro_f1, r.seconds_per_clip, r.embedding_size,
                       r.model_mb, dict(r.per_class_f1),
                       tuple((p.true_label, p.predicted_label, p.count) for p in r.confused_pairs),
                       r.split_check, r.label_issues, r.estimated_split_check) for r in comparison.rungs)
    estimate = getattr(comparison, "speakers", None)
    speakers = None if estimate is None else InferredSpeakers(
        estimate.status, estimate.n_voices, estimate.n_clips, estimate.speech_share, estimate.label_ami,
        estimate.detail)
    return ClassificationEvidence(
        n_clips=n_clips, class_counts=dict(comparison.class_counts), folds_note=comparison.folds.note,
        n_splits=comparison.folds.n_splits, groups=groups,
        padding_label=settings.get("padding", comparison.padding.label), rungs=rungs,  # what each rung saw
        pairs=tuple(comparison.paired),
        curves={c.name: curve_of(c) for c in curves},
        shortcut=audit.explanation if audit is not None and audit.shortcut_suspected else None,
        audited=audit is not None, findings=tuple(findings), readiness=readiness, finetune_gain=finetune_gain,
        unavailable=tuple(unavailable),
        interval_unit=comparison.rungs[0].metrics.unit, speakers=speakers)
