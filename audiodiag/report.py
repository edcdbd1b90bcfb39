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

from audiodiag import verdict
from audiodiag.audit import MetadataAudit
from audiodiag.compare import Comparison, Rung
from audiodiag.curves import LearningCurve
from audiodiag.evaluate import PairedComparison, signed
from audiodiag.types import Finding
from audiodiag.verdict.evidence import Readiness
from audiodiag.verdict.rules import GROUP_FIXES, INVALIDATING

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
    """The rung the note recommends (`verdict.rules.recommended`) and its pair against the baseline (None for the
    baseline itself): the baseline unless an encoder beats it."""
    evidence = verdict.classification_evidence(comparison)
    space = verdict.rules.recommended(evidence).space
    return comparison.rung(space), next((p for p in comparison.paired if p.name_b == space), None)


def leakage_line(comparison: Comparison, *, interface: str = "app") -> str:
    """What the note says about speaker/source leakage for this comparison (the same claim, for the pages)."""
    evidence = verdict.classification_evidence(comparison, interface=interface)
    return verdict.rules.leakage(evidence.groups, evidence.rungs, interface=interface).text


def classification_note(
    dataset_name: str,
    comparison: Comparison,
    *,
    curves: Sequence[LearningCurve] = (),
    audit: MetadataAudit | None = None,
    findings: Sequence[Finding] = (),
    readiness: Readiness | None = None,
    finetune_gain: PairedComparison | None = None,
    unavailable: Sequence[tuple[str, str]] = (),
    interface: str = "app",
) -> DecisionNote:
    """The note for a classification dataset; `comparison.rungs[0]` must be the spectral baseline.

    Every line is a claim from `audiodiag.verdict.rules`, checked for contradictions first; this function only
    places the claims into sections. interface: "cli" or "app": how-to-fix texts name the CLI's flags or the app's
    controls."""
    evidence = verdict.classification_evidence(comparison, curves=curves, audit=audit, findings=findings,
                                               readiness=readiness, finetune_gain=finetune_gain,
                                               unavailable=unavailable, interface=interface)
    claims = verdict.classification_claims(evidence)
    verdict.enforce(claims)
    of = {kind: [c for c in claims if c.kind is kind] for kind in verdict.Kind}
    (headline,), (fine_tuning,) = of[verdict.Kind.RECOMMENDATION], of[verdict.Kind.FINE_TUNING]

    def lines(*kinds: verdict.Kind) -> tuple[str, ...]:
        return tuple(line for kind in kinds for c in of[kind] for line in c.text.split("\n"))

    picked_curve = tuple(line for c in of[verdict.Kind.CURVE] if c.subject == fine_tuning.subject
                         for line in c.text.split("\n"))
    sections = (
        Section("Task and data", lines(verdict.Kind.DATA, verdict.Kind.FOLDS, verdict.Kind.LEAKAGE,
                                       verdict.Kind.PADDING)),
        Section("Rung 1: spectral baseline", lines(verdict.Kind.BASELINE)),
        Section("Rung 2: frozen encoders", lines(verdict.Kind.ENCODER_VS_BASELINE)
                or ("No frozen encoder was compared: the baseline was not challenged.",)),
        Section("Remaining errors", lines(verdict.Kind.ERRORS)),
        *((Section("Possible label errors", lines(verdict.Kind.LABEL_ISSUES)),) if of[verdict.Kind.LABEL_ISSUES]
          else ()),
        Section("Rung 3: is fine-tuning justified?", (*fine_tuning.text.split("\n")[:1], *picked_curve,
                                                      *fine_tuning.text.split("\n")[1:])),
        Section("Problems that could invalidate the comparison", lines(verdict.Kind.PROBLEM, verdict.Kind.CHECKED)),
        Section("Advice on the data (does not invalidate the comparison)", lines(verdict.Kind.ADVICE)
                or (verdict.rules.no_advice(evidence),)),
        *((Section("Encoders that could not run", lines(verdict.Kind.UNAVAILABLE)),) if unavailable else ()),
    )
    best = comparison.rung(verdict.rules.most_accurate(evidence).space)
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
            "warnings": list(lines(verdict.Kind.PROBLEM)), "advice": list(lines(verdict.Kind.ADVICE)),
            "readiness": None if readiness is None else vars(readiness),
            "label_issues": [r.label_issues.to_dict() for r in _best_first(comparison, best)
                             if r.label_issues is not None],
            **({"unavailable": [{"space": n, "reason": w} for n, w in unavailable]} if unavailable else {}),
            "claims": [c.to_dict() for c in claims]}
    return DecisionNote("classification", dataset_name, headline.text, headline.verdict, fine_tuning.verdict,
                        sections, data)


def _best_first(comparison: Comparison, best: Rung) -> list[Rung]:
    return [best, *(r for r in comparison.rungs if r is not best)]


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
                   settings: dict | None = None, interface: str = "app") -> DecisionNote:
    """The note for a similarity-search task from `audiodiag.retrieval.Retrieval` results (baseline first).

    "Better" and "worse" follow `retrieval.BETTER_RULE` (paired 95 % CI of the difference above or below 0);
    the group rule each space was scored under is stated, with precision@1 under the other rule next to it."""
    from audiodiag.retrieval import BETTER_RULE, paired_retrieval, reading

    base, others = results[0], list(results[1:])
    paired = [paired_retrieval(base, r) for r in others if r.n_scored and base.n_scored]
    better = [p for p in paired if p.verdict == "better"]
    if better:
        best = max(better, key=lambda p: p.differences["mAP"].value)
        rung, verdict = "frozen encoder", (
            f"Search in the {best.space} space: it retrieves better than the spectral baseline on "
            f"{', '.join(best.better)} (paired 95 % CIs above 0; decided by {best.deciding}: "
            f"{_difference(best.differences[best.deciding])}).")
    elif paired and all(p.verdict == "worse" for p in paired):
        rung, verdict = "spectral baseline", (
            f"Search in the spectral baseline space: every frozen encoder retrieves worse (paired 95 % CIs below 0; "
            f"baseline mAP {base.mean_average_precision.value:.3f}, precision@1 {base.precision_at_1.value:.3f}).")
    elif any(p.verdict == "mixed" for p in paired):
        mixed = next(p for p in paired if p.verdict == "mixed")
        rung, verdict = "undecided", (
            f"Mixed: {mixed.space} is better than the spectral baseline on {', '.join(mixed.better)} but worse on "
            f"{', '.join(mixed.worse)} (paired 95 % CIs); choose by what the search is for (mAP: the whole ranking; "
            "precision@1: the top hit).")
    elif others:
        rung, verdict = "undecided", (
            "Inconclusive: every metric's paired 95 % CI between the frozen encoders and the spectral baseline "
            "includes 0 on these clips; keep the cheaper baseline or label more clips to tell them apart.")
    else:
        rung, verdict = "spectral baseline", "Only the spectral baseline was measured: the baseline was not challenged."
    invalidating, advisory = _retrieval_findings(findings)
    group_rule, group_problem = _group_rule_lines(results, interface=interface)
    warnings = [f.message for f in invalidating] + group_problem
    advice = [_retrieval_measured(f, paired, results) for f in advisory]
    if warnings:
        verdict += " Caution: a data problem may invalidate this comparison (see below)."
    sections = (
        Section("Task and data", (f"Similarity search over {base.n_clips} clips; relevant = same label; leave-one-out "
                                  "with cosine similarity on standardised vectors; 95 % bootstrap CIs over queries.",
                                  group_rule, f"Between two spaces: {BETTER_RULE}.")),
        Section("Retrieval quality per space", tuple(_retrieval_row(r) for r in results)),
        Section("Reading", tuple(reading(results)) or ("One space only: nothing to compare.",)),
        Section("Rung 3: is fine-tuning justified?", (
            "Not assessed: audiodiag fine-tunes classifiers only. If the best space is still weak, a metric-"
            "learning fine-tune is the next rung; measure it against these numbers on the same clips.",)),
        Section("Data problems that could invalidate the comparison",
                tuple(warnings) or ("Nothing detected: exact and near duplicates were checked (a copy would be its "
                                    "twin's nearest neighbour).",)),
        Section("Advice on the data (does not invalidate the comparison)",
                tuple(advice) or ("Nothing to advise: sample rates, speech/non-speech and padding fit the compared "
                                  "encoders.",)),
    )
    data = {"settings": settings or {}, "warnings": warnings, "advice": advice, "group_rule": group_rule,
            "spaces": [{"space": r.space, "precision_at_1": vars(r.precision_at_1),
                        "precision_at_5": vars(r.precision_at_5), "map": vars(r.mean_average_precision),
                        "knn_accuracy": vars(r.knn_accuracy), "silhouette": r.silhouette,
                        "group_silhouette": r.group_silhouette, "exclude_same_group": r.exclude_same_group,
                        "precision_at_1_same_group_included": vars(r.precision_at_1_same_group_included),
                        "precision_at_1_same_group_excluded": vars(r.precision_at_1_same_group_excluded),
                        "same_group_at_1": r.same_group_at_1, "same_group_chance": r.same_group_chance,
                        "n_scored": r.n_scored} for r in results],
            "paired": [{"space": p.space, "verdict": p.verdict, "deciding": p.deciding, "n_queries": p.n_queries,
                        "differences": {k: vars(v) for k, v in p.differences.items()}} for p in paired]}
    return DecisionNote("retrieval", dataset_name, verdict, rung, "not assessed", sections, data)


# retrieval has no folds: a copy hurts wherever it is (each copy is the other's nearest neighbour)
RETRIEVAL_INVALIDATING = frozenset({"duplicate_clips", "duplicate_label_conflict", "duration_shortcut"})
RETRIEVAL_SHOWN_INFO = frozenset({"duplicate_clips", "near_duplicates"})  # info findings that matter to retrieval


def _retrieval_findings(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings that could invalidate the retrieval scores, advice) for a retrieval note; other info is dropped."""
    shown = [f for f in findings if f.severity in ("error", "warning") or f.code in RETRIEVAL_SHOWN_INFO]
    return ([f for f in shown if f.code in RETRIEVAL_INVALIDATING],
            [f for f in shown if f.code not in RETRIEVAL_INVALIDATING])


def _difference(d) -> str:
    """A paired difference as the reading's summary writes it."""
    return f"{signed(d.value)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"


def _retrieval_row(r) -> str:
    """One space's scores; precision@1 under the other group rule next to the headline's."""
    other = r.other_precision_at_1
    p1 = f"precision@1 {r.precision_at_1}"
    if other is not None:
        p1 += (f" (same-group neighbours excluded; with them: {other[1]})" if r.exclude_same_group else
               f" (same-group neighbours included; without them: {other[1]})")
    return (f"{r.space}: {p1}, precision@5 {r.precision_at_5}, mAP {r.mean_average_precision}, kNN accuracy "
            f"{r.knn_accuracy}, label silhouette {r.silhouette:.2f}")


def _group_rule_lines(results: Sequence, *, interface: str) -> tuple[str, list[str]]:
    """(the group rule the scores were computed under, in one sentence; the data problem it leaves, if any).

    Retrieval has no folds, so the speaker/source question is whether a query's own group may answer it."""
    from audiodiag.retrieval import GROUP_PULL

    fixes = GROUP_FIXES["cli" if interface == "cli" else "app"]
    if not all(np.isfinite(r.same_group_chance) for r in results):
        return ("Same speaker/source: unmeasured. The clips have no group, so another take of one speaker or source "
                "counts as a match, and the scores are an upper bound for new speakers or sources; to score across "
                f"groups, {fixes['add']}.", [])
    if all(r.exclude_same_group for r in results):
        return ("Scored without same-group neighbours (the default): a query's own speaker or source is not a "
                "candidate, so the scores say how well a space finds the class in other groups; precision@1 with "
                "them is shown next to each space.", [])
    pulled = [r for r in results if r.same_group_at_1 > GROUP_PULL * r.same_group_chance]
    undo = ("run again without --no-exclude-same-group" if interface == "cli" else
            "tick 'A query's own group (speaker/source) does not count as a match'")
    problem = [f"{', '.join(r.space for r in pulled)}: the nearest clip is from the query's own group for "
               + ", ".join(f"{100 * r.same_group_at_1:.0f} %" for r in pulled)
               + f" of queries (a random clip: {100 * pulled[0].same_group_chance:.0f} %), and it counts as a match "
                 f"here, so these scores flatter retrieval across speakers or sources. Fix: {undo}."] if pulled else []
    return ("Scored with same-group neighbours as candidates, on request: another take of one speaker or source "
            "counts as a match; precision@1 without them is shown next to each space.", problem)


def _retrieval_measured(finding: Finding, paired: Sequence, results: Sequence) -> str:
    """An advice line, with what the retrieval comparison measured where the finding predicts something about an
    encoder (a speech model on non-speech audio): never 'wrong tool' alone next to a measured win, and no advice
    to try a sound encoder the run has just measured."""
    if finding.code != "non_speech_for_speech_encoder":
        return finding.message
    message = verdict.rules.without_measured_suggestion(finding.message, [r.space for r in results])
    said = []
    for p in paired:
        if not verdict.rules.names_encoder(finding, p.space):
            continue
        if p.verdict == "better":
            said.append(f"{p.space} retrieves better than the baseline here nevertheless, on {', '.join(p.better)} "
                        f"({p.deciding} {_difference(p.differences[p.deciding])}): its features do separate these "
                        "sounds")
        elif p.verdict == "worse":
            said.append(f"{p.space} retrieves worse than the baseline here, on {', '.join(p.worse)} "
                        f"({p.deciding} {_difference(p.differences[p.deciding])})")
        else:
            said.append(f"{p.space} is not shown to retrieve better than the baseline here "
                        f"({'mixed' if p.verdict == 'mixed' else 'inconclusive'}: mAP "
                        f"{_difference(p.differences['mAP'])})")
    return message + (". Measured: " + "; ".join(said) if said else "")


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
    from audiodiag.wer import format_rate as rate  # the one way a WER or CER is written

    w = scores.corpus_wer
    verdict = (f"{model}: corpus WER {rate(w.value)} (95 % CI {rate(w.ci_low)} to {rate(w.ci_high)}) on "
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
        Section("Scores", (f"Corpus WER {rate(w.value)} (95 % CI {rate(w.ci_low)} to {rate(w.ci_high)}); mean "
                           f"per-utterance WER {rate(scores.mean_utterance_wer)} (a different number); CER "
                           f"{rate(scores.cer)}; {scores.substitutions} substitutions, {scores.deletions} "
                           f"deletions, {scores.insertions} insertions of {scores.reference_words} words.",)),
        Section("Remaining errors", tuple(f"WER {rate(u.wer)}: '{u.reference}' → '{u.hypothesis}'" for u in worst)
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
                     f"'{tables.formatting[0].hypothesis}'). They are part of the substitutions, deletions and "
                     "insertions counted above and of the WER, but listed here instead of among the most frequent "
                     "substitutions.")
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
