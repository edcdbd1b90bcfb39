"""One pipeline from clips to a decision note, shared by the Decide page and the headless CLI.

The page passes in what its caches already hold (vectors, comparison, measurements); the CLI computes them
with the same library calls. Either way `classification_decision` makes the note, so both give the same
verdict for the same settings.

Not run as a doctest (measuring, encoding, learning curves and the audit take seconds even on a few clips)::

    settings = ComparisonSettings(encoders=("whisper-tiny.en-unpadded",))
    result = run_classification(clips, settings, dataset_name="my clips")
    print(result.note.to_markdown())
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from audiodiag import fixes, heap
from audiodiag.data.order import canonical_order, reorder_groups
from audiodiag.errors import BadParameterError
from audiodiag.evaluation import compare, curves, duplicates
from audiodiag.evaluation.audit import MetadataAudit, metadata_audit
from audiodiag.evaluation.folds import PREDEFINED
from audiodiag.findings import Code
from audiodiag.measure import dataset, speakers
from audiodiag.measure.per_clip import ClipStats
from audiodiag.represent import encoders, spaces
from audiodiag.settings import DEFAULT_ENCODERS, ComparisonSettings, RetrievalSettings, default_encoders
from audiodiag.types import Clip, Finding, Readiness, SpeechRegion
from audiodiag.verdict.notes import DecisionNote, classification_note, with_unavailable

__all__ = ["DEFAULT_ENCODERS", "Decision", "classification_decision", "classify", "decide_measured", "readiness_for",
           "retrieval_decision", "retrieve", "run_classification", "run_retrieval", "speakers_for", "specs_for"]
CURVES_SHARE, AUDIT_DONE = 0.75, 0.95  # progress: curves take about three quarters of the decision's time


@dataclass(frozen=True, eq=False)
class Decision:
    note: DecisionNote
    comparison: compare.Comparison
    curves: tuple[curves.LearningCurve, ...]
    audit: MetadataAudit
    findings: tuple[Finding, ...]
    readiness: Readiness

    def rendered(self, reader: str) -> Decision:
        """The decision with the note's and the findings' how-to-fix tokens in `reader`'s words (`audiodiag.fixes`)."""
        return replace(self, note=fixes.rendered(self.note, reader), findings=fixes.rendered(self.findings, reader))


def readiness_for(clips: Sequence[Clip], *, n_splits: int, group_aware: bool) -> Readiness:
    """Fine-tuning readiness from audiodiag.evaluation.finetune's documented rule, for the comparison's folds (the same
    check `finetune_cross_validated` makes before it trains)."""
    from audiodiag.evaluation import finetune

    groups = [c.group for c in clips] if group_aware else None
    # the reason is about the data only: what the learning curve says is the note's curve claim, made once
    return finetune.finetune_readiness([c.label for c in clips], groups, n_splits=n_splits)


def specs_for(space_names: Sequence[str]) -> list[encoders.EncoderSpec]:
    out = []
    for name in space_names:
        key = encoders.canonical_name(name)
        if key in encoders.CATALOGUE and not spaces.is_baseline(key):
            out.append(encoders.CATALOGUE[key])
    return out


def _duplicates(clips: Sequence[Clip], vectors: Sequence[spaces.SpaceVectors], *,
                exact: list[tuple[int, ...]] | None = None, near: dict | None = None) -> tuple[list, dict]:
    """The exact duplicates among `clips`, and per baseline space of `vectors` its near duplicates (near-identical
    spectra: the same recording); each computed unless given."""
    exact = duplicates.exact_duplicates(clips) if exact is None else exact
    if near is None:
        near = {v.space: duplicates.near_duplicates(v.vectors, space=v.space, exact=exact)
                for v in vectors if spaces.is_baseline(v.space)}
    return exact, near


def classification_decision(
    dataset_name: str,
    clips: Sequence[Clip],
    vectors: Sequence[spaces.SpaceVectors],
    comparison: compare.Comparison,
    stats: Sequence[ClipStats],
    speech: Sequence[Sequence[SpeechRegion]],
    *,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
    exact: Sequence[tuple[int, ...]] | None = None,
    unavailable: Sequence[tuple[str, str]] = (),
) -> Decision:
    """Learning curves, metadata audit, data warnings and readiness around an existing comparison → the note
    (its how-to-fix texts are `audiodiag.fixes` tokens: render the decision before showing it, `Decision.rendered`).

    clips may be `types.ClipInfo`s (no samples; audiodiag.runs.stream): then pass `exact`, the groups of identical
    audio (`duplicates.exact_duplicates` needs the samples), as the streamed run does from its audio hashes.

    The curves' last points are the comparison's own out-of-fold predictions (same model, folds and clips), not
    refitted. progress(fraction done, what is running) is called as curve fits finish and between stages.
    """
    say = progress or (lambda fraction, message: None)
    share = CURVES_SHARE / max(1, len(vectors))
    # every draw below (curve subsets, the audit's forest and shuffles, bootstrap resamples) is made on the clips
    # in canonical order, as compare.compare makes its own: the note does not depend on the order clips came in
    if not len(clips) == len(stats) == len(speech):
        raise BadParameterError(f"{len(clips)} clips but {len(stats)} measurements and {len(speech)} speech maps; "
                                "measure exactly these clips first (dataset.measure)")
    canonical = canonical_order(clips)
    clips, stats, speech = ([seq[i] for i in canonical] for seq in (clips, stats, speech))
    vectors = [replace(v, vectors=np.asarray(v.vectors)[canonical]) for v in vectors]
    labels, folds = comparison.labels[canonical], comparison.folds.take(canonical)
    exact = None if exact is None else reorder_groups(exact, canonical)
    by_name = sorted(range(len(clips)), key=lambda i: clips[i].name)  # files named in warnings: alphabetical

    def curve(i: int, v: spaces.SpaceVectors) -> curves.LearningCurve:
        def fitted(done: int, total: int) -> None:
            say((i + done / total) * share, f"Learning curve {i + 1}/{len(vectors)} ({v.space}): {done}/{total} fits")

        return curves.learning_curve(v.vectors, labels, folds, name=v.space, seed=seed,
                                     full_predictions=comparison.rung(v.space).predictions[canonical],
                                     progress=fitted)

    learning = tuple(curve(i, v) for i, v in enumerate(vectors))
    heap.release()  # each stage's working set grows with the clips: freed, it goes back before the next
    say(CURVES_SHARE, "Metadata audit: can recording conditions alone predict the labels? ...")
    audit = metadata_audit(clips, stats, folds, padding_length_s=comparison.padding.length_s, seed=seed)
    heap.release()
    say(AUDIT_DONE, "Duplicates, data warnings and the note ...")
    specs = specs_for([v.space for v in vectors])  # only the encoders this run used: no warning about another
    exact, near = _duplicates(clips, vectors, exact=exact)
    heap.release()
    # groups split by random folds are the note's leakage claim (verdict.leakage.leakage): said once, not twice; groups
    # split by the dataset's own folds are a problem of those folds, said here
    own_folds = comparison.folds.strategy == PREDEFINED
    findings = (*dataset.model_input_findings([stats[i] for i in by_name], [speech[i] for i in by_name], specs,
                                       padding=comparison.padding),
                *(f for f in duplicates.leakage_findings(clips, folds, exact=exact, near=near)
                  if own_folds or f.code != Code.GROUP_ACROSS_FOLDS),
                *(comparison.speakers.findings if comparison.speakers is not None else ()))
    readiness = readiness_for(clips, n_splits=comparison.folds.n_splits,
                              group_aware=comparison.folds.strategy == "StratifiedGroupKFold")
    note = classification_note(dataset_name, comparison, curves=learning, audit=audit, findings=findings,
                               readiness=readiness, unavailable=unavailable)
    return Decision(note, comparison, learning, audit, findings, readiness)


def run_classification(
    clips: Sequence[Clip],
    settings: ComparisonSettings = ComparisonSettings(),
    *,
    dataset_name: str = "dataset",
    progress: Callable[[str], None] | None = None,
    encoders_from_data: bool = False,
    measure: Callable[..., tuple[list, list]] = dataset.measure,
) -> Decision:
    """Everything from clips: measure, vectors per space (disk-cached), comparison, then the decision.

    encoders_from_data: nobody named an encoder; once the clips are measured, `settings.encoders` becomes
    `default_encoders` for their speech share (a sound encoder for sounds that are not speech).
    measure: `dataset.measure` or a stand-in with its results, e.g. `workers.measure` on several processes."""
    say = progress or (lambda message: None)
    compare.check_labels(clips)
    say(f"Measuring {len(clips)} clips (levels, silence, VAD) ...")
    stats, speech = measure(clips, progress=lambda done, total: say(f"  measured {done}/{total} clips"))
    if encoders_from_data:
        share = dataset.speech_share(stats)
        settings = replace(settings, encoders=default_encoders(dataset_speech=share))
        say(f"No encoder named: comparing {', '.join(settings.encoders)} (speech in {share:.0%} of the audio).")
    vectors, unavailable = _vectors(clips, settings, say=say)
    return decide_measured(dataset_name, clips, vectors, stats, speech, unavailable, settings, say=say)


def decide_measured(
    dataset_name: str,
    clips: Sequence,
    vectors: Sequence[spaces.SpaceVectors],
    stats: Sequence[ClipStats],
    speech: Sequence[Sequence[SpeechRegion]],
    unavailable: Sequence[tuple[str, str]],
    settings: ComparisonSettings,
    *,
    say: Callable[[str], None],
    exact: Sequence[tuple[int, ...]] | None = None,
) -> Decision:
    """From measured clips and their vectors (in memory or streamed): comparison, then the decision, with the
    encoders that could not run named in the note. In speech, voices are inferred (`speakers_for`): the estimated
    leakage check without a group column, the group column's check with one."""
    estimate = speakers_for(clips, stats, say=say)
    say("Cross-validating every space on the same folds ...")
    comparison = compare.compare(clips, vectors, n_splits=settings.n_splits, group_aware=settings.group_aware,
                                 padding=settings.padding, seed=settings.seed,
                                 progress=lambda fraction, message: say(f"  {message}"), speakers=estimate)
    heap.release()  # the folds' fits and the bootstrap, freed: see audiodiag.heap
    say("Learning curves, metadata audit, decision ...")
    return classification_decision(dataset_name, clips, vectors, comparison, stats, speech, seed=settings.seed,
                                   progress=lambda fraction, message: say(f"  {message}"),
                                   exact=exact, unavailable=unavailable)


def speakers_for(clips: Sequence, stats: Sequence[ClipStats], *,
                 say: Callable[[str], None] = lambda message: None) -> speakers.SpeakerEstimate:
    """Voices inferred from the clips' audio when the data is speech (`speakers.estimate_speakers`; voice vectors
    disk-cached), or why not."""
    share = dataset.speech_share(stats)
    if share >= speakers.SPEECH_MAJORITY and len(clips) >= speakers.SPEAKER_MIN_CLIPS:
        say("Voices: the speaker encoder's vectors, clustered into inferred speakers ...")
    return speakers.estimate_speakers(clips, speech_share=share)


def classify(clips: Sequence[Clip], settings: ComparisonSettings = ComparisonSettings(), **kwargs) -> Decision:
    """`audiodiag.classify`: `run_classification`, its how-to-fix texts worded for a notebook or script
    (`fixes.LIBRARY`)."""
    return run_classification(clips, settings, **kwargs).rendered(fixes.LIBRARY)


def retrieve(clips: Sequence[Clip], settings: RetrievalSettings = RetrievalSettings(), **kwargs) -> DecisionNote:
    """`audiodiag.retrieve`: `run_retrieval`, its how-to-fix texts worded for a notebook or script
    (`fixes.LIBRARY`)."""
    return fixes.rendered(run_retrieval(clips, settings, **kwargs), fixes.LIBRARY)


def run_retrieval(
    clips: Sequence[Clip],
    settings: RetrievalSettings = RetrievalSettings(),
    *,
    dataset_name: str = "dataset",
    progress: Callable[[str], None] | None = None,
) -> DecisionNote:
    """Retrieval quality per space (baseline first), duplicates and the group rule → the retrieval note.

    Same-group neighbours are excluded when the settings ask for it (the default) and every clip has a group."""
    from audiodiag.evaluation import retrieval

    say = progress or (lambda message: None)
    compare.check_labels(clips)
    clips = [clips[i] for i in canonical_order(clips)]  # queries resampled, ties broken, in one order for any input
    chosen = settings.comparison
    exclude_same_group, padding, seed = settings.exclude_same_group, chosen.padding, chosen.seed
    vectors, unavailable = _vectors(clips, chosen, say=say)
    labels, groups = [c.label for c in clips], [c.group for c in clips]
    has_groups = all(g is not None for g in groups)
    say("Retrieval metrics ...")
    results = [retrieval.retrieval_metrics(v.vectors, labels, groups=groups if has_groups else None,
                                           exclude_same_group=exclude_same_group and has_groups, seed=seed,
                                           space=v.space) for v in vectors]
    say(f"Measuring {len(clips)} clips (levels, silence, VAD) ...")
    stats, speech = dataset.measure(clips, progress=lambda done, total: say(f"  measured {done}/{total} clips"))
    note = retrieval_decision(dataset_name, clips, vectors, results, stats, speech, settings=settings.to_dict(),
                              padding=padding)
    return with_unavailable(note, unavailable)


def retrieval_decision(
    dataset_name: str,
    clips: Sequence[Clip],
    vectors: Sequence[spaces.SpaceVectors],
    results: Sequence,
    stats: Sequence[ClipStats],
    speech: Sequence[Sequence[SpeechRegion]],
    *,
    settings: dict,
    padding: spaces.PaddingPolicy = spaces.PaddingPolicy(),
    exact: Sequence[tuple[int, ...]] | None = None,
    near: dict | None = None,
) -> DecisionNote:
    """Findings (data checks, duplicates) around retrieval results → the retrieval note: the one place the
    Decide page and the CLI build it. `exact` / `near` may be passed in when already computed.

    Retrieval has no folds: duplicates are checked as pairs (a copy is its twin's nearest neighbour), and the
    speaker/source question is the group rule the results were scored under, which the note states."""
    from audiodiag.verdict.notes import retrieval_note

    exact, near = _duplicates(clips, vectors, exact=exact, near=near)
    specs = specs_for([v.space for v in vectors]) or [encoders.get_spec(encoders.DEFAULT_TARGET)]
    findings = [*dataset.model_input_findings(stats, speech, specs, padding=padding),
                *duplicates.leakage_findings(clips, None, exact=exact, near=near)]
    return retrieval_note(dataset_name, results, findings=findings, settings=settings)


def _vectors(clips: Sequence[Clip], settings: ComparisonSettings, *,
             say: Callable[[str], None]) -> tuple[list[spaces.SpaceVectors], list[tuple[str, str]]]:
    """Vectors per space, the baseline first; an encoder that cannot run (not installed, hub unreachable, a
    broken folder) becomes (name, reason) instead of ending the run, so the other encoders are still compared."""

    def compute(name: str) -> spaces.SpaceVectors:
        say(f"Vectors: {name} ...")
        return spaces.space_vectors(clips, name, padding=settings.padding,
                                    layer=None if spaces.is_baseline(name) else settings.layer,
                                    feature_settings=settings.features,
                                    progress=lambda done, total: say(f"  {name}: {done}/{total} clips"))

    return spaces.vectors_per_space(list(settings.spaces), compute,
                                    on_unavailable=lambda name, why: say(f"  {name}: could not run: {why}"))
