"""The decision note: which rung of the representation ladder this task needs, from measured results only.

Every sentence is derived from a number computed on the user's data (a comparison, a learning curve, an
audit, a fine-tuning run); templates only join them. `DecisionNote.to_markdown()` is what the Decide page
shows and the CLI writes; `to_dict()` carries every setting needed to reproduce it.

Not run as a doctest (it needs a comparison of real spaces; `decide.run_classification` builds the note with
curves, audit, findings and readiness from clips)::

    note = classification_note("my clips", comparison, curves=curves, audit=audit, findings=findings,
                               readiness=readiness)
    print(note.to_markdown())
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from audiodiag.audit import MetadataAudit
from audiodiag.compare import Comparison, Rung
from audiodiag.curves import LearningCurve
from audiodiag.evaluate import PairedComparison
from audiodiag.label_issues import LabelIssues
from audiodiag.types import Finding

HEADROOM_MIN = 0.03  # best accuracy within this of 1.0: no room for fine-tuning to show a gain
WORST_CLASSES = 3
LABEL_ISSUES_SHOWN = 5  # possibly mislabelled clips named in the note; its data lists every one


@dataclass(frozen=True)
class Readiness:
    """Whether the labelled data supports fine-tuning (from `audiodiag.finetune.finetune_readiness`)."""

    ok: bool
    reason: str


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DecisionNote:
    task: str
    dataset: str
    verdict: str  # one line: the rung to use
    rung: str  # "spectral baseline" | "frozen encoder" | "fine-tuning" | "undecided"
    fine_tuning: str  # "justified" | "not justified" | "refused" | "measured"
    sections: tuple[Section, ...]
    data: dict = field(default_factory=dict)  # every number and setting behind the note

    def to_markdown(self) -> str:
        out = [f"# Decision note: {self.task} on {self.dataset}", "", f"**{self.verdict}**", ""]
        for s in self.sections:
            out += [f"## {s.title}", "", *(f"- {line}" for line in s.lines), ""]
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {"task": self.task, "dataset": self.dataset, "verdict": self.verdict, "rung": self.rung,
                "fine_tuning": self.fine_tuning,
                "sections": [{"title": s.title, "lines": list(s.lines)} for s in self.sections], "data": self.data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_jsonable)


MAX_LISTED = 10  # files named in a note line; the rest are counted


def with_input_problems(note: DecisionNote, problems: Sequence[str]) -> DecisionNote:
    """The note with a section naming every input that was not used (files that failed to load, table rows
    that name no file, references that match no clip), so nothing the user gave vanishes without a word."""
    if not problems:
        return note
    lines = tuple(problems[:MAX_LISTED]) + ((f"... and {len(problems) - MAX_LISTED} more",)
                                            if len(problems) > MAX_LISTED else ())
    return _with_section(note, Section(f"Inputs not used ({len(problems)})", lines), "inputs_not_used",
                         list(problems))


def _with_section(note: DecisionNote, section: Section, key: str, value: object) -> DecisionNote:
    """The note with one more section at the end, and what it says under `key` in its data."""
    return replace(note, sections=(*note.sections, section), data={**note.data, key: value})


def _split_findings(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(warnings that could invalidate the comparison, warnings that are advice); info notes are in neither."""
    shown = [f for f in findings if f.severity in ("error", "warning")]
    return [f for f in shown if f.code in INVALIDATING], [f for f in shown if f.code not in INVALIDATING]


# findings that can make the comparison itself wrong (leakage, shortcuts, label noise); the rest is advice
INVALIDATING = frozenset({"duplicate_across_folds", "near_duplicate_across_folds", "group_across_folds",
                          "duration_shortcut", "duplicate_label_conflict"})


def _measured(finding: Finding, comparison: Comparison) -> str:
    """An advice line, with what the comparison measured where the finding predicts something about an encoder
    (a speech model on non-speech audio): the note never says 'wrong tool' next to a measured win."""
    if finding.code != "non_speech_for_speech_encoder":
        return finding.message
    from audiodiag.encoders import ALIASES

    said = []
    for pair in comparison.paired:
        if ALIASES.get(pair.name_b, pair.name_b) in finding.message or pair.name_b in finding.message:
            d = pair.difference
            said.append(f"{pair.name_b} beats the baseline here nevertheless ({d.value:+.3f}, 95 % CI "
                        f"{d.ci_low:+.3f} to {d.ci_high:+.3f}): its features do separate these sounds; a sound "
                        "encoder (aiSFX) is still worth a try" if pair.verdict == "yes" else
                        f"{pair.name_b} is not shown to beat the baseline here ({pair.verdict}): use a sound encoder "
                        "or the baseline")
    return finding.message + (". Measured: " + "; ".join(said) if said else "")


# how to change the group handling, named for where the note is read
GROUP_FIXES = {
    "cli": {"add": "add a group column (group, speaker, session, source, recording, device ...) to the labels CSV "
                   "or a groups.csv next to the class folders, or name the column with --group-column NAME",
            "use": "run again without --no-groups"},
    "app": {"add": "add a group column (group, speaker, session, source, recording, device ...) to the labels CSV "
                   "or a groups.csv next to the class folders, or pick the column under 'Group column' in the sidebar",
            "use": "tick 'Keep groups apart (group-aware folds)' on the Compare page"},
}


def leakage_lines(settings: dict, *, interface: str = "app") -> list[str]:
    """What the folds can and cannot say about speaker/source leakage, with the fix named for `interface`."""
    fixes = GROUP_FIXES["cli" if interface == "cli" else "app"]
    if settings.get("group_aware"):
        return ["Speaker/source leakage is measured: each group stays in one fold, and the random-fold accuracy "
                "is shown next to it."]
    if settings.get("groups_given") and not settings.get("group_aware_requested", True):
        return ["Groups were ignored on request: the folds are random, so clips of one speaker or source can sit "
                "in training and test, and every accuracy here is an upper bound. To measure the leakage, "
                f"{fixes['use']}."]
    return ["Speaker/source leakage is unmeasured: the clips have no group (speaker, session, source recording), so "
            "the folds are random and every accuracy here is an upper bound (clips of one speaker or source may sit "
            f"in training and test). To measure it, {fixes['add']}."]


def with_unavailable(note: DecisionNote, unavailable: Sequence[tuple[str, str]]) -> DecisionNote:
    """The note with one line per encoder that could not run (name: reason and fix); the others stand."""
    if not unavailable:
        return note
    return _with_section(note, Section("Encoders that could not run", tuple(f"{n}: {w}" for n, w in unavailable)),
                         "unavailable", [{"space": n, "reason": w} for n, w in unavailable])


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def best_rung(comparison: Comparison) -> tuple[Rung, PairedComparison | None]:
    """The baseline unless an encoder beats it (paired verdict "yes"); among those, the most accurate."""
    winners = [(comparison.rung(p.name_b), p) for p in comparison.paired if p.verdict == "yes"]
    if not winners:
        return comparison.rungs[0], None
    return max(winners, key=lambda rp: rp[0].metrics.accuracy.value)


def classification_note(
    dataset_name: str,
    comparison: Comparison,
    *,
    curves: Sequence[LearningCurve] = (),
    audit: MetadataAudit | None = None,
    findings: Sequence[Finding] = (),
    readiness: Readiness | None = None,
    finetune_gain: PairedComparison | None = None,
    interface: str = "app",
) -> DecisionNote:
    """The note for a classification dataset; `comparison.rungs[0]` must be the spectral baseline.

    interface: "cli" or "app": how-to-fix texts name the CLI's flags or the app's controls."""
    base = comparison.rungs[0]
    best, win = best_rung(comparison)
    curve_of = {c.name: c for c in curves}

    data_lines = [f"{len(comparison.labels)} labelled clips, {len(comparison.classes)} classes "
                  f"({_counts(comparison.class_counts)}).", f"Folds: {comparison.folds.note}",
                  *leakage_lines(comparison.settings, interface=interface),
                  f"Padding policy: {comparison.padding.label}."]
    invalidating, advisory = _split_findings(findings)
    warnings = [f.message for f in invalidating]
    advice = [_measured(f, comparison) for f in advisory] + _leakage_measured(comparison)

    baseline_lines = [f"{base.space}: accuracy {base.metrics.accuracy}, macro-F1 {base.metrics.macro_f1} "
                      f"(95 % bootstrap CIs), {base.embedding_size} features, "
                      f"{_ms(base.seconds_per_clip)} per clip."]
    frozen_lines = []
    for pair in comparison.paired:
        rung = comparison.rung(pair.name_b)
        frozen_lines.append(f"{rung.space}: accuracy {rung.metrics.accuracy}; beats the baseline: {pair.explanation} "
                            f"Cost: {_ms(rung.seconds_per_clip)} per clip, {rung.embedding_size}-d, "
                            f"{rung.model_mb:.0f} MB model.")
    if not comparison.paired:
        frozen_lines.append("No frozen encoder was compared: the baseline was not challenged.")

    error_lines = _error_lines(comparison, best)
    label_lines = _label_issue_lines(best.label_issues)
    ft_state, ft_lines = _fine_tuning(best, curve_of.get(best.space), readiness, finetune_gain)
    mistakes = _mistakes(warnings, audit, comparison)

    if win is None:
        rung_name = "spectral baseline"
        verdict = (f"Use the spectral baseline: no frozen encoder beat it on these clips "
                   f"(baseline accuracy {base.metrics.accuracy.value:.3f}).")
        if any(p.verdict == "inconclusive" for p in comparison.paired):
            rung_name = "undecided"
            verdict = ("Undecided between the baseline and a frozen encoder: the difference could be chance on "
                       f"{len(comparison.labels)} clips; label more clips or keep the cheaper baseline.")
    else:
        rung_name = "frozen encoder"
        verdict = (f"Use the frozen encoder {best.space}: it beats the spectral baseline "
                   f"({base.metrics.accuracy.value:.3f} → {best.metrics.accuracy.value:.3f}, "
                   f"gain {win.difference.value:+.3f}, 95 % CI {win.difference.ci_low:+.3f} to "
                   f"{win.difference.ci_high:+.3f}).")
    if ft_state == "measured" and finetune_gain is not None and finetune_gain.verdict == "yes":
        rung_name = "fine-tuning"
        verdict = (f"Fine-tune: the measured rung-3 gain over the frozen encoder is "
                   f"{finetune_gain.difference} ({finetune_gain.explanation})")
    if mistakes:
        verdict += " Caution: a data problem may invalidate this comparison (see below)."

    sections = (
        Section("Task and data", tuple(data_lines)),
        Section("Rung 1: spectral baseline", tuple(baseline_lines)),
        Section("Rung 2: frozen encoders", tuple(frozen_lines)),
        Section("Remaining errors", tuple(error_lines)),
        *((Section("Possible label errors", tuple(label_lines)),) if label_lines else ()),
        Section("Rung 3: is fine-tuning justified?", tuple(ft_lines)),
        Section("Problems that could invalidate the comparison",
                tuple(mistakes) or ("None detected: duplicates and groups across folds, duration and metadata "
                                    "shortcuts and group leakage were checked.",)),
        Section("Advice on the data (does not invalidate the comparison)",
                tuple(advice) or ("None: sample rates, speech/non-speech and padding fit the chosen encoders.",)),
    )
    data = {"comparison": comparison.settings, "rungs": [_rung_data(r) for r in comparison.rungs],
            "paired": [_paired_data(p) for p in comparison.paired],
            "curves": [{"name": c.name, "trend": c.trend, "slope_per_doubling": c.slope_per_doubling,
                        "points": [vars(p) for p in c.points]} for c in curves],
            "audit": None if audit is None else {"accuracy": vars(audit.accuracy), "chance": audit.chance,
                                                 "importances": audit.importances,
                                                 "best_single_feature": audit.best_feature,
                                                 "best_single_feature_accuracy": None if audit.best_feature_accuracy
                                                 is None else vars(audit.best_feature_accuracy),
                                                 "shortcut_suspected": audit.shortcut_suspected},
            "warnings": warnings, "advice": advice,
            "readiness": None if readiness is None else vars(readiness),
            "label_issues": [r.label_issues.to_dict() for r in _best_first(comparison, best)
                             if r.label_issues is not None]}
    return DecisionNote("classification", dataset_name, verdict, rung_name, ft_state, sections, data)


def _counts(counts: dict) -> str:
    items = list(counts.items())
    shown = ", ".join(f"{k}: {v}" for k, v in items[:8])
    return shown + (f", … {len(items) - 8} more" if len(items) > 8 else "")


def _ms(seconds: float) -> str:
    return "unknown time" if seconds != seconds else f"{seconds * 1e3:.1f} ms"


def _error_lines(comparison: Comparison, best: Rung) -> list[str]:
    lines = []
    if best.confused_pairs:
        pairs = "; ".join(f"{p.true_label} → {p.predicted_label} ({p.count})" for p in best.confused_pairs[:3])
        lines.append(f"Most confused with {best.space}: {pairs}.")
    else:
        lines.append(f"{best.space} makes no mistakes on the out-of-fold predictions.")
    worst = sorted(best.per_class_f1.items(), key=lambda kv: kv[1])[:WORST_CLASSES]
    lines.append("Lowest per-class F1: " + ", ".join(f"{k} {v:.2f}" for k, v in worst) + ".")
    return lines


def _label_issue_lines(found: LabelIssues | None) -> list[str]:
    """The clips whose labels the best rung's out-of-fold probabilities doubt: how many, how found, the most
    likely few; candidates to re-listen to, never called errors. [] when the rung has no such result."""
    if found is None:
        return []
    if found.unavailable is not None:
        return [f"Not checked for {found.space}: {found.unavailable}."]
    how = f"space {found.space}; {found.method}"
    if not found.issues:
        return [f"No clip stands out as possibly mislabelled ({how})."]
    shown = "; ".join(f"{i.name} given {i.given!r}, looks like {i.suggested!r} (p = {i.p_suggested:.2f})"
                      for i in found.issues[:LABEL_ISSUES_SHOWN])
    more = len(found.issues) - LABEL_ISSUES_SHOWN
    return [f"{len(found.issues)} of {found.n_clips} clips ({100 * found.share:.0f} %) may be mislabelled ({how}); most "
            f"likely: {shown}" + (f"; and {more} more." if more > 0 else "."),
            "These are candidates to re-listen to, not proven errors: an ambiguous or hard clip is flagged as well. "
            "Nothing was relabelled; a corrected label changes every score above, so re-run the comparison after "
            "fixing any."]


def _best_first(comparison: Comparison, best: Rung) -> list[Rung]:
    return [best, *(r for r in comparison.rungs if r is not best)]


def _fine_tuning(best: Rung, curve: LearningCurve | None, readiness: Readiness | None,
                 gain: PairedComparison | None) -> tuple[str, list[str]]:
    headroom = 1 - best.metrics.accuracy.value
    lines = [f"Best rung so far: {best.space}, accuracy {best.metrics.accuracy} (headroom {headroom:.3f})."]
    if curve is not None:
        lines.append(f"Learning curve: {curve.explanation}.")
    if gain is not None:
        lines.append(f"Measured fine-tuning vs frozen: {gain.explanation}")
        return "measured", lines
    if readiness is not None and not readiness.ok:
        lines.append(f"Not justified: {readiness.reason}")
        return "refused", lines
    if headroom < HEADROOM_MIN:
        lines.append(f"Not justified: the best rung is within {HEADROOM_MIN:g} of perfect accuracy; fine-tuning "
                     "cannot show a reliable gain on this data.")
        return "not justified", lines
    if curve is not None and curve.trend == "rising":
        lines.append("Label more clips first: the curve is still rising, so more labels are the cheaper gain; "
                     "re-check fine-tuning afterwards.")
        return "not justified", lines
    reason = readiness.reason if readiness is not None else "readiness not assessed"
    shape = ("the curve is flat below perfect accuracy, so the representation is the limit" if curve is None or
             curve.trend == "flat" else "the curve's last step is within noise (more labels might still help)")
    lines.append(f"Worth trying: {reason}; {shape}. Run rung 3 (partial fine-tuning) on the same folds and keep it "
                 "only if the paired test says it beats the frozen encoder.")
    return "justified", lines


def _mistakes(warnings: Sequence[str], audit: MetadataAudit | None, comparison: Comparison) -> list[str]:
    out = list(warnings)
    if audit is not None and audit.shortcut_suspected:
        out.append(f"Metadata shortcut: {audit.explanation}.")
    return out


def _leakage_measured(comparison: Comparison) -> list[str]:
    """Leakage that random folds would have caused: measured, and avoided, since the comparison keeps groups
    apart; advice for anyone reporting random-split scores, not a problem with this comparison."""
    return [f"Group leakage avoided ({rung.space}): {rung.split_check.explanation}; the scores above already use "
            "group-aware folds." for rung in comparison.rungs
            if rung.split_check is not None and rung.split_check.leakage_suspected]


def _rung_data(r: Rung) -> dict:
    return {"space": r.space, "accuracy": vars(r.metrics.accuracy), "balanced_accuracy": vars(r.metrics.balanced_accuracy),
            "macro_f1": vars(r.metrics.macro_f1), "seconds_per_clip": r.seconds_per_clip,
            "embedding_size": r.embedding_size, "model_mb": r.model_mb, "settings": r.settings,
            "per_class_f1": r.per_class_f1,
            "random_split_accuracy": None if r.split_check is None else r.split_check.random_accuracy}


def _paired_data(p: PairedComparison) -> dict:
    return {"a": p.name_a, "b": p.name_b, "verdict": p.verdict, "p_value": p.p_value,
            "difference": vars(p.difference), "only_a_right": p.only_a_right, "only_b_right": p.only_b_right}


# ---------------------------------------------------------------- retrieval

def retrieval_note(dataset_name: str, results: Sequence, *, findings: Sequence[Finding] = (),
                   settings: dict | None = None) -> DecisionNote:
    """The note for a similarity-search task from `audiodiag.retrieval.Retrieval` results (baseline first)."""
    from audiodiag.retrieval import reading

    from audiodiag.retrieval import paired_retrieval

    base, others = results[0], list(results[1:])
    paired = [paired_retrieval(base, r) for r in others if r.n_scored and base.n_scored]
    better = [p for p in paired if p.verdict == "better"]
    if better:
        best = max(better, key=lambda p: p.differences["mAP"].value)
        rung, verdict = "frozen encoder", (
            f"Search in the {best.space} space: it beats the spectral baseline on {', '.join(best.better)} (paired "
            f"95 % CIs above 0; decided by {best.deciding}: {best.differences[best.deciding].value:+.2f} "
            f"[{best.differences[best.deciding].ci_low:+.2f}, {best.differences[best.deciding].ci_high:+.2f}]).")
    elif paired and all(p.verdict == "worse" for p in paired):
        rung, verdict = "spectral baseline", (
            f"Search in the spectral baseline space: every frozen encoder retrieves worse (paired 95 % CIs below 0; "
            f"baseline mAP {base.mean_average_precision.value:.2f}, precision@1 {base.precision_at_1.value:.0%}).")
    elif any(p.verdict == "mixed" for p in paired):
        mixed = next(p for p in paired if p.verdict == "mixed")
        rung, verdict = "undecided", (
            f"Mixed: {mixed.space} is better than the spectral baseline on {', '.join(mixed.better)} but worse on "
            f"{', '.join(mixed.worse)} (paired 95 % CIs); choose by what the search is for (mAP: the whole ranking; "
            "precision@1: the top hit).")
    elif others:
        rung, verdict = "undecided", (
            "Undecided: every metric's paired 95 % CI between the frozen encoders and the spectral baseline "
            "includes 0 on these clips; keep the cheaper baseline or label more clips to tell them apart.")
    else:
        rung, verdict = "spectral baseline", "Only the spectral baseline was measured: the baseline was not challenged."
    invalidating, advisory = _split_findings(findings)
    warnings, advice = [f.message for f in invalidating], [f.message for f in advisory]
    if warnings:
        verdict += " Caution: a data problem may invalidate this comparison (see below)."
    rows = [f"{r.space}: precision@1 {r.precision_at_1}, precision@5 {r.precision_at_5}, mAP "
            f"{r.mean_average_precision}, kNN accuracy {r.knn_accuracy}, label silhouette {r.silhouette:.2f}"
            + (" (same-group neighbours excluded)" if r.exclude_same_group else "") for r in results]
    sections = (
        Section("Task and data", (f"Similarity search over {base.n_clips} clips; relevant = same label; leave-one-out "
                                  "with cosine similarity on standardised vectors; 95 % bootstrap CIs over queries.",)),
        Section("Retrieval quality per space", tuple(rows)),
        Section("Reading", tuple(reading(results)) or ("One space only: nothing to compare.",)),
        Section("Rung 3: is fine-tuning justified?", (
            "Not assessed: audiodiag fine-tunes classifiers only. If the best space is still weak, a metric-"
            "learning fine-tune is the next rung; measure it against these numbers on the same clips.",)),
        Section("Data problems that could invalidate the comparison",
                tuple(warnings) or ("None detected: exact and near duplicates and groups split across folds were "
                                    "checked.",)),
        Section("Advice on the data (does not invalidate the comparison)",
                tuple(advice) or ("None: sample rates, speech/non-speech and padding fit the chosen encoders.",)),
    )
    data = {"settings": settings or {}, "warnings": warnings, "advice": advice,
            "spaces": [{"space": r.space, "precision_at_1": vars(r.precision_at_1),
                        "precision_at_5": vars(r.precision_at_5), "map": vars(r.mean_average_precision),
                        "knn_accuracy": vars(r.knn_accuracy), "silhouette": r.silhouette,
                        "group_silhouette": r.group_silhouette, "exclude_same_group": r.exclude_same_group,
                        "n_scored": r.n_scored} for r in results],
            "paired": [{"space": p.space, "verdict": p.verdict, "deciding": p.deciding, "n_queries": p.n_queries,
                        "differences": {k: vars(v) for k, v in p.differences.items()}} for p in paired]}
    return DecisionNote("retrieval", dataset_name, verdict, rung, "not assessed", sections, data)


# ---------------------------------------------------------------- transcription

MIN_FINETUNE_AUDIO_MIN = 60.0  # transcribed audio below this cannot support fine-tuning an ASR model


TOP_SUBSTITUTIONS = 5  # substitutions named in the note's "Remaining errors"
NO_DATA_PROBLEMS = ("Nothing found: hallucinations on silent/non-speech clips, decoding loops and empty references "
                    "were checked.")
DATA_PROBLEMS_TITLE = "Data problems that could invalidate the score"


def transcription_note(dataset_name: str, model: str, scores, *, audio_minutes: float, flags: Sequence = (),
                       slices: Sequence[str] = (), settings: dict | None = None,
                       transcript_findings: Sequence[Finding] = ()) -> DecisionNote:
    """The note for a transcription task from `audiodiag.wer.Scores` of one model.

    transcript_findings: checks on the reference transcripts (`audiodiag.transcript_checks.char_rate_findings`),
    listed under the data problems."""
    from audiodiag import word_errors

    w = scores.corpus_wer
    verdict = (f"{model}: corpus WER {w.value:.1%} (95 % CI {w.ci_low:.1%} to {w.ci_high:.1%}) on "
               f"{sum(1 for u in scores.utterances if u.reference_words)} utterances, '{scores.normalisation}' "
               "normalisation.")
    worst = sorted((u for u in scores.utterances if u.reference_words), key=lambda u: -u.wer)[:3]
    tables = word_errors.error_tables(scores)
    if audio_minutes < MIN_FINETUNE_AUDIO_MIN:
        ft_state, ft = "not justified", (f"Not justified: {audio_minutes:.1f} minutes of transcribed audio; "
                                         f"fine-tuning an ASR model needs at least {MIN_FINETUNE_AUDIO_MIN:g} "
                                         "minutes to be measurable. Fix normalisation and data problems first.")
    else:
        ft_state, ft = "justified", (f"{audio_minutes:.0f} minutes of transcribed audio: enough to try fine-tuning "
                                     "and measure it against this corpus WER with a paired bootstrap.")
    sections = (
        Section("Task and data", (f"Transcription, {audio_minutes:.1f} minutes of audio with references; WER = "
                                  "(substitutions + deletions + insertions) / reference words over all utterances.",)),
        Section("Scores", (f"Corpus WER {w.value:.1%} (95 % CI {w.ci_low:.1%} to {w.ci_high:.1%}); mean "
                           f"per-utterance WER {scores.mean_utterance_wer:.1%} (a different number); CER "
                           f"{scores.cer:.1%}; {scores.substitutions} substitutions, {scores.deletions} "
                           f"deletions, {scores.insertions} insertions of {scores.reference_words} words.",)),
        Section("Remaining errors", tuple(f"WER {u.wer:.1%}: '{u.reference}' → '{u.hypothesis}'" for u in worst)
                + _error_table_lines(tables) + tuple(slices)),
        Section("Rung 3: is fine-tuning justified?", (ft,)),
        Section(DATA_PROBLEMS_TITLE,
                tuple(f"{name}: {why}" for name, why in flags)
                + tuple(f"utterance {i + 1}: empty reference, not scored" for i in scores.empty_references)
                or (NO_DATA_PROBLEMS,)),
    )
    data = {"model": model, "settings": settings or {}, "corpus_wer": vars(w),
            "mean_utterance_wer": scores.mean_utterance_wer, "cer": scores.cer,
            "substitutions": scores.substitutions, "deletions": scores.deletions, "insertions": scores.insertions,
            "reference_words": scores.reference_words,
            "utterances": [{"reference": u.reference, "hypothesis": u.hypothesis, "wer": u.wer}
                           for u in scores.utterances],
            "error_tables": _error_table_data(tables)}
    note = DecisionNote("transcription", dataset_name, verdict, "pretrained ASR", ft_state, sections, data)
    return with_transcript_findings(note, transcript_findings)


def _error_table_lines(tables) -> tuple[str, ...]:
    """The most frequent substitutions and the number-formatting count, for "Remaining errors"."""
    lines = []
    if tables.substitutions:
        lines.append("Most frequent substitutions (reference → hypothesis): " + ", ".join(
            f"{r.reference} → {r.hypothesis} ({r.count})" for r in tables.substitutions[:TOP_SUBSTITUTIONS]) + ".")
    if tables.formatting:
        regions, edits = sum(r.count for r in tables.formatting), sum(r.edits for r in tables.formatting)
        lines.append(f"Number formatting: {regions} place(s) where reference and hypothesis say the same number in "
                     f"digits vs words ({edits} word edits, e.g. '{tables.formatting[0].reference}' → "
                     f"'{tables.formatting[0].hypothesis}'); counted here, not as substitutions, deletions or "
                     "insertions.")
    return tuple(lines)


def _error_table_data(tables) -> dict:
    def rows(table):
        return [{"reference": r.reference, "hypothesis": r.hypothesis, "count": r.count, "edits": r.edits,
                 "examples": list(r.examples)} for r in table[:TOP_SUBSTITUTIONS]]

    return {"top_substitutions": rows(tables.substitutions), "top_deletions": rows(tables.deletions),
            "top_insertions": rows(tables.insertions), "top_formatting": rows(tables.formatting),
            "formatting_count": sum(r.count for r in tables.formatting),
            "formatting_edits": sum(r.edits for r in tables.formatting)}


def with_transcript_findings(note: DecisionNote, findings: Sequence[Finding]) -> DecisionNote:
    """The transcription note with checks on the reference transcripts (empty, far too fast or slow for the
    speech) added to its data problems, and under "transcript_findings" in its data. The same path
    `transcription_note(transcript_findings=...)` takes, for a caller holding a note already."""
    if not findings:
        return note
    lines = tuple(f.message for f in findings)
    sections = tuple(replace(s, lines=tuple(line for line in s.lines if line != NO_DATA_PROBLEMS) + lines)
                     if s.title == DATA_PROBLEMS_TITLE else s for s in note.sections)
    listed = [{"code": f.code, "severity": f.severity, "message": f.message, "files": list(f.files)}
              for f in findings]
    return replace(note, sections=sections,
                   data={**note.data, "transcript_findings": note.data.get("transcript_findings", []) + listed})
