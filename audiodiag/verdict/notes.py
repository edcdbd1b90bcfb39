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
from audiodiag.evaluation.audit import MetadataAudit
from audiodiag.evaluation.compare import Comparison, Rung
from audiodiag.evaluation.curves import LearningCurve
from audiodiag.evaluation.evaluate import PairedComparison
from audiodiag.types import Finding, Readiness
from audiodiag.verdict.models import MODELS_TITLE, model_claims
from audiodiag.verdict import leakage, recommendation, rung_table
from audiodiag.verdict.data_findings import INVALIDATING, no_advice


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]
    table: tuple[tuple[str, ...], ...] = ()  # the section's numbers, header row first; shown before the lines

    def table_markdown(self) -> list[str]:
        """The table as Markdown rows ([] without one)."""
        if not self.table:
            return []
        cells = [[cell.replace("|", "\\|") for cell in row] for row in self.table]
        return ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(cells[0]),
                *("| " + " | ".join(row) + " |" for row in cells[1:]), ""]


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
            out += [f"## {s.title}", "", *s.table_markdown(), *(f"- {line}" for line in s.lines), ""]
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {"task": self.task, "dataset": self.dataset, "verdict": self.verdict, "rung": self.rung,
                "fine_tuning": self.fine_tuning,
                "sections": [{"title": s.title, "lines": list(s.lines), **({"table": [list(r) for r in s.table]}
                                                                           if s.table else {})}
                             for s in self.sections], "data": self.data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_jsonable)

    def to_html(self) -> str:
        """The note as one self-contained HTML file (`audiodiag.verdict.note_html`): the ladder chart first, then the
        sections; it opens offline."""
        from audiodiag.verdict import note_html

        return note_html.render(self.to_dict())


MAX_LISTED = 10  # files named in a note line; the rest are counted
RUNGS_TITLE = "Rungs 1 and 2: spectral baseline and frozen encoders (same clips, same folds)"


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


def with_model_cards(note: DecisionNote, names: Sequence[str]) -> DecisionNote:
    """The note with a section naming each model among `names` (bundled, Hugging Face id or folder) by its card:
    package and version, licence as its package states it (flagged when non-commercial), weights' sha256; the full
    cards under "models" in its data. The spectral baseline and names without a card add nothing."""
    from audiodiag import model_cards

    cards = model_cards.cards_for(names)
    if not cards:
        return note
    claims = model_claims(cards)
    verdict.enforce(claims)
    return _with_section(note, Section(MODELS_TITLE, tuple(c.text for c in claims)), "models",
                         [c.to_dict() for c in cards])


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
    """The rung the note recommends (`verdict.recommendation.recommended`) and its pair against the baseline (None
    for the baseline itself): the baseline unless an encoder beats it."""
    evidence = verdict.classification_evidence(comparison)
    space = recommendation.recommended(evidence).space
    return comparison.rung(space), next((p for p in comparison.paired if p.name_b == space), None)


def leakage_line(comparison: Comparison) -> str:
    """What the note says about speaker/source leakage for this comparison (the same claims, for the pages): the
    measured claim, then the estimated one on inferred voices when there is one."""
    evidence = verdict.classification_evidence(comparison)
    estimated = leakage.estimated_leakage(evidence.speakers, evidence.rungs, evidence.groups)
    return leakage.leakage(evidence.groups, evidence.rungs).text + (
        "" if estimated is None else " " + estimated.text)


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
) -> DecisionNote:
    """The note for a classification dataset; `comparison.rungs[0]` must be the spectral baseline.

    Every line is a claim from `audiodiag.verdict.rules.classification_claims`, checked for contradictions first;
    this function only places the claims into sections. How-to-fix texts are tokens (`audiodiag.fixes`): whoever
    shows the note renders them in its own words (`fixes.rendered`)."""
    evidence = verdict.classification_evidence(comparison, curves=curves, audit=audit, findings=findings,
                                               readiness=readiness, finetune_gain=finetune_gain,
                                               unavailable=unavailable)
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
                                       verdict.Kind.LEAKAGE_ESTIMATED, verdict.Kind.PADDING)),
        Section(RUNGS_TITLE, lines(verdict.Kind.BASELINE, verdict.Kind.ENCODER_VS_BASELINE)
                + (() if evidence.pairs else ("No frozen encoder was compared: the baseline was not challenged.",)),
                rung_table.rung_table(evidence)),
        Section("Remaining errors", lines(verdict.Kind.ERRORS)),
        *((Section("Possible label errors", lines(verdict.Kind.LABEL_ISSUES)),) if of[verdict.Kind.LABEL_ISSUES]
          else ()),
        Section("Rung 3: is fine-tuning justified?", (*fine_tuning.text.split("\n")[:1], *picked_curve,
                                                      *fine_tuning.text.split("\n")[1:])),
        Section("Problems that could invalidate the comparison", lines(verdict.Kind.PROBLEM, verdict.Kind.CHECKED)),
        Section("Advice on the data (does not invalidate the comparison)", lines(verdict.Kind.ADVICE)
                or (no_advice(evidence),)),
        *((Section("Encoders that could not run", lines(verdict.Kind.UNAVAILABLE)),) if unavailable else ()),
    )
    best = comparison.rung(recommendation.most_accurate(evidence).space)
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
            "readiness": None if readiness is None else {"ok": readiness.ok, "reason": readiness.reason},
            "label_issues": [r.label_issues.to_dict() for r in _best_first(comparison, best)
                             if r.label_issues is not None],
            **({"unavailable": [{"space": n, "reason": w} for n, w in unavailable]} if unavailable else {}),
            "ladder": rung_table.ladder(evidence), "claims": [c.to_dict() for c in claims]}
    note = DecisionNote("classification", dataset_name, headline.text, headline.verdict, fine_tuning.verdict,
                        sections, data)
    return with_model_cards(note, [r.settings.get("encoder_id") or r.space for r in comparison.rungs])


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

# the rules that use these live in audiodiag.verdict.retrieval; kept here under their old names
RETRIEVAL_INVALIDATING = verdict.retrieval.RETRIEVAL_INVALIDATING
RETRIEVAL_SHOWN_INFO = verdict.retrieval.RETRIEVAL_SHOWN_INFO


def _of(claims: Sequence[verdict.Claim], *kinds: verdict.Kind) -> list[verdict.Claim]:
    return [c for kind in kinds for c in claims if c.kind is kind]


def _lines(claims: Sequence[verdict.Claim], *kinds: verdict.Kind) -> tuple[str, ...]:
    """The text lines of the claims of `kinds`, kind by kind, each kind in claim order."""
    return tuple(line for c in _of(claims, *kinds) for line in c.text.split("\n"))


def _findings_or_checked(claims: Sequence[verdict.Claim], kind: verdict.Kind, covers: str) -> tuple[str, ...]:
    """The lines of the claims of `kind`, then those of the "nothing detected" claim covering them."""
    return _lines(claims, kind) + tuple(line for c in _of(claims, verdict.Kind.CHECKED)
                                        if c.evidence.get("covers") == covers for line in c.text.split("\n"))


def retrieval_note(dataset_name: str, results: Sequence, *, findings: Sequence[Finding] = (),
                   settings: dict | None = None) -> DecisionNote:
    """The note for a similarity-search task from `audiodiag.evaluation.retrieval.Retrieval` results (baseline first).

    Every line is a claim from `audiodiag.verdict.retrieval`, checked for contradictions first; this function only
    places the claims into sections. "Better" and "worse" follow `retrieval_comparison.BETTER_RULE`; the group rule each space
    was scored under is stated, with precision@1 under the other rule next to it."""
    evidence = verdict.retrieval_evidence(results, findings=findings, settings=settings)
    claims = verdict.retrieval_claims(evidence)
    verdict.enforce(claims)
    kind = verdict.Kind
    (headline,), (fine_tuning,), (group_rule,) = (_of(claims, k) for k in (kind.RECOMMENDATION, kind.FINE_TUNING,
                                                                            kind.GROUP_RULE))
    sections = (
        Section("Task and data", _lines(claims, kind.DATA, kind.GROUP_RULE)),
        Section("Retrieval quality per space", _lines(claims, kind.RETRIEVAL_SCORES)),
        Section("Reading", _lines(claims, kind.RETRIEVAL_VS_BASELINE, kind.READING)),
        Section("Rung 3: is fine-tuning justified?", _lines(claims, kind.FINE_TUNING)),
        Section("Data problems that could invalidate the comparison",
                _findings_or_checked(claims, kind.PROBLEM, "problems")),
        Section("Advice on the data (does not invalidate the comparison)",
                _findings_or_checked(claims, kind.ADVICE, "advice")),
    )
    data = {"settings": settings or {}, "warnings": [c.text for c in _of(claims, kind.PROBLEM)],
            "advice": [c.text for c in _of(claims, kind.ADVICE)], "group_rule": group_rule.text,
            "spaces": [{"space": r.space, "precision_at_1": vars(r.precision_at_1),
                        "precision_at_5": vars(r.precision_at_5), "map": vars(r.mean_average_precision),
                        "knn_accuracy": vars(r.knn_accuracy), "silhouette": r.silhouette,
                        "group_silhouette": r.group_silhouette, "exclude_same_group": r.exclude_same_group,
                        "precision_at_1_same_group_included": vars(r.precision_at_1_same_group_included),
                        "precision_at_1_same_group_excluded": vars(r.precision_at_1_same_group_excluded),
                        "same_group_at_1": r.same_group_at_1, "same_group_chance": r.same_group_chance,
                        "n_scored": r.n_scored} for r in evidence.results],
            "paired": [{"space": p.space, "verdict": p.verdict, "deciding": p.deciding, "n_queries": p.n_queries,
                        "differences": {k: vars(v) for k, v in p.differences.items()}} for p in evidence.paired],
            "claims": [c.to_dict() for c in claims]}
    note = DecisionNote("retrieval", dataset_name, headline.text, verdict.retrieval.RUNG[headline.verdict],
                        fine_tuning.verdict, sections, data)
    return with_model_cards(note, [r.space for r in evidence.results])


# ---------------------------------------------------------------- transcription

# the rules that use these live in audiodiag.verdict.transcription; kept here under their old names
MIN_FINETUNE_AUDIO_MIN = verdict.transcription.MIN_FINETUNE_AUDIO_MIN
TOP_SUBSTITUTIONS = verdict.transcription.TOP_SUBSTITUTIONS
NO_DATA_PROBLEMS = verdict.transcription.NO_DATA_PROBLEMS
DATA_PROBLEMS_TITLE = "Data problems that could invalidate the score"


def transcription_note(dataset_name: str, model: str, scores, *, audio_minutes: float, flags: Sequence = (),
                       slices: Sequence[str] = (), settings: dict | None = None,
                       transcript_findings: Sequence[Finding] = ()) -> DecisionNote:
    """The note for a transcription task from `audiodiag.asr.wer.Scores` of one model.

    Every line is a claim from `audiodiag.verdict.transcription`, checked for contradictions first.
    transcript_findings: checks on the reference transcripts (`audiodiag.asr.transcript_checks.char_rate_findings`),
    listed under the data problems."""
    evidence = verdict.transcription_evidence(model, scores, audio_minutes=audio_minutes, flags=flags, slices=slices,
                                              settings=settings, transcript_findings=transcript_findings)
    data = {"model": model, "settings": settings or {}, "corpus_wer": vars(scores.corpus_wer),
            "mean_utterance_wer": scores.mean_utterance_wer, "cer": scores.cer,
            "substitutions": scores.substitutions, "deletions": scores.deletions, "insertions": scores.insertions,
            "reference_words": scores.reference_words,
            "utterances": [{"reference": u.reference, "hypothesis": u.hypothesis, "wer": u.wer}
                           for u in scores.utterances],
            "error_tables": _error_table_data(evidence.tables),
            **({"transcript_findings": _finding_data(transcript_findings)} if transcript_findings else {})}
    return _transcription_note(dataset_name, verdict.transcription_claims(evidence), data)


def _transcription_note(dataset_name: str, claims: list[verdict.Claim], data: dict) -> DecisionNote:
    """The transcription note that places `claims` into its sections, with `data` and the claims as its data."""
    verdict.enforce(claims)
    kind = verdict.Kind
    (headline,), (fine_tuning,) = _of(claims, kind.WER), _of(claims, kind.FINE_TUNING)
    sections = (
        Section("Task and data", _lines(claims, kind.DATA)),
        Section("Scores", _lines(claims, kind.WER_SCORES)),
        Section("Remaining errors", _lines(claims, kind.ERRORS)),
        Section("Rung 3: is fine-tuning justified?", _lines(claims, kind.FINE_TUNING)),
        Section(DATA_PROBLEMS_TITLE, _findings_or_checked(claims, kind.PROBLEM, "problems")),
    )
    note = DecisionNote("transcription", dataset_name, headline.text, "pretrained ASR", fine_tuning.verdict, sections,
                        {**data, "claims": [c.to_dict() for c in claims]})
    return with_model_cards(note, [str(data.get("model", ""))])


def _finding_data(findings: Sequence[Finding]) -> list[dict]:
    return [{"code": f.code, "severity": f.severity, "message": f.message, "files": list(f.files)} for f in findings]


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
    speech) added to its data problems, and under "transcript_findings" in its data: the note
    `transcription_note(transcript_findings=...)` gives, for a caller holding a note already (its claims are
    rebuilt from note.data["claims"] and checked again)."""
    if not findings:
        return note
    rules = verdict.transcription
    claims = rules.with_transcript_findings([rules.claim_from_dict(d) for d in note.data["claims"]], findings)
    data = {**note.data, "transcript_findings": note.data.get("transcript_findings", []) + _finding_data(findings)}
    return _transcription_note(note.dataset, claims, data)
