"""The transcription note's claims: one rule per kind, from `TranscriptionEvidence` (one model's `wer.Scores`, its
word-level error tables, the hallucination flags and the checks on the references). `transcription_claims` runs
them in the note's order; every rate is written by `audiodiag.asr.wer.format_rate`.

>>> from audiodiag.asr.wer import score
>>> evidence = transcription_evidence("m", score(["the cat sat down"], ["the cat sat up"], n_boot=20),
...                                   audio_minutes=0.5)
>>> fine_tuning(evidence).verdict
'not justified'
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from audiodiag.asr.wer import format_rate as rate  # the one way a WER or CER is written
from audiodiag.types import Finding
from audiodiag.verdict.claims import Claim, Kind, Severity

MIN_FINETUNE_AUDIO_MIN = 60.0  # transcribed audio below this cannot support fine-tuning an ASR model
TOP_SUBSTITUTIONS = 5  # substitutions named in the note's "Remaining errors"
WORST_UTTERANCES = 3
CHECKED_PROBLEMS = ("hallucinations on silent/non-speech clips", "decoding loops", "empty references")
NO_DATA_PROBLEMS = ("Nothing found: hallucinations on silent/non-speech clips, decoding loops and empty references "
                    "were checked.")
WER_RULE = "(substitutions + deletions + insertions) / reference words over all utterances"


@dataclass(frozen=True)
class TranscriptionEvidence:
    """Everything a transcription run measured: the only input of the rules below."""

    model: str
    scores: object  # audiodiag.asr.wer.Scores
    audio_minutes: float  # transcribed audio with references
    tables: object  # audiodiag.asr.word_errors.ErrorTables of `scores`
    flags: tuple[tuple[str, str], ...] = ()  # (file, why): hallucination and decoding-loop flags
    slices: tuple[str, ...] = ()  # lines on slices and normalisations, written by audiodiag.verdict.transcribe
    transcript_findings: tuple[Finding, ...] = ()  # checks on the reference transcripts
    settings: Mapping = field(default_factory=dict)

    @property
    def n_scored(self) -> int:
        return sum(1 for u in self.scores.utterances if u.reference_words)


def transcription_evidence(model: str, scores, *, audio_minutes: float, flags: Sequence = (),
                           slices: Sequence[str] = (), settings: Mapping | None = None,
                           transcript_findings: Sequence[Finding] = ()) -> TranscriptionEvidence:
    """The evidence of one transcription run from `audiodiag.asr.wer.Scores` of one model."""
    from audiodiag.asr import word_errors

    return TranscriptionEvidence(model, scores, audio_minutes, word_errors.error_tables(scores),
                                 tuple(tuple(f) for f in flags), tuple(slices), tuple(transcript_findings),
                                 dict(settings or {}))


def corpus_wer(evidence: TranscriptionEvidence) -> Claim:
    """The headline: the model's corpus WER with its CI."""
    s, w = evidence.scores, evidence.scores.corpus_wer
    return Claim(Kind.WER, (evidence.model,), "measured", (
        f"{evidence.model}: corpus WER {rate(w.value)} (95 % CI {rate(w.ci_low)} to {rate(w.ci_high)}) on "
        f"{evidence.n_scored} utterances, '{s.normalisation}' normalisation."),
        {"corpus_wer": vars(w), "utterances": evidence.n_scored, "normalisation": s.normalisation},
        f"WER = {WER_RULE}; 95 % bootstrap CI over utterances")


def task_and_data(evidence: TranscriptionEvidence) -> Claim:
    return Claim(Kind.DATA, (), "given", (f"Transcription, {evidence.audio_minutes:.1f} minutes of audio with "
                                          f"references; WER = {WER_RULE}."),
                 {"audio_minutes": evidence.audio_minutes})


def scores_line(evidence: TranscriptionEvidence) -> Claim:
    s, w = evidence.scores, evidence.scores.corpus_wer
    return Claim(Kind.WER_SCORES, (evidence.model,), "measured", (
        f"Corpus WER {rate(w.value)} (95 % CI {rate(w.ci_low)} to {rate(w.ci_high)}); mean per-utterance WER "
        f"{rate(s.mean_utterance_wer)} (a different number); CER {rate(s.cer)}; {s.substitutions} substitutions, "
        f"{s.deletions} deletions, {s.insertions} insertions of {s.reference_words} words."),
        {"mean_utterance_wer": s.mean_utterance_wer, "cer": s.cer, "substitutions": s.substitutions,
         "deletions": s.deletions, "insertions": s.insertions, "reference_words": s.reference_words})


def remaining_errors(evidence: TranscriptionEvidence) -> list[Claim]:
    """The worst utterances, the most frequent substitutions, number formatting, and the slices' lines."""
    model, tables = (evidence.model,), evidence.tables
    wrong = sorted((u for u in evidence.scores.utterances if u.reference_words and u.wer > 0), key=lambda u: -u.wer)
    out = [Claim(Kind.ERRORS, model, "measured", "\n".join(
        f"WER {rate(u.wer)}: '{u.reference}' → '{u.hypothesis}'" for u in wrong[:WORST_UTTERANCES])
        if wrong else "No word errors: every scored utterance matches its reference after normalisation.",
        {"worst_wer": [u.wer for u in wrong[:WORST_UTTERANCES]]}, f"the {WORST_UTTERANCES} highest per-utterance WERs")]
    if tables.substitutions:
        out.append(Claim(Kind.ERRORS, model, "measured", "Most frequent substitutions (reference → hypothesis): "
                         + ", ".join(f"{r.reference} → {r.hypothesis} ({r.count})"
                                     for r in tables.substitutions[:TOP_SUBSTITUTIONS]) + ".",
                         {"substitutions": len(tables.substitutions)}, "word alignment (jiwer)"))
    if tables.formatting:
        regions, edits = sum(r.count for r in tables.formatting), sum(r.edits for r in tables.formatting)
        first = tables.formatting[0]
        out.append(Claim(Kind.ERRORS, model, "measured", (
            f"Number formatting: {regions} place(s) where reference and hypothesis say the same number in digits vs "
            f"words ({edits} word edits, e.g. '{first.reference}' → '{first.hypothesis}'). They are part of the "
            "substitutions, deletions and insertions counted above and of the WER, but listed here instead of among "
            "the most frequent substitutions."), {"formatting_count": regions, "formatting_edits": edits},
            "error regions saying one number in digits and in words"))
    if evidence.slices:
        out.append(Claim(Kind.ERRORS, model, "measured", "\n".join(evidence.slices)))
    return out


def fine_tuning(evidence: TranscriptionEvidence) -> Claim:
    """Worth fine-tuning only with at least MIN_FINETUNE_AUDIO_MIN minutes of transcribed audio."""
    minutes = evidence.audio_minutes
    facts = {"audio_minutes": minutes, "min_audio_minutes": MIN_FINETUNE_AUDIO_MIN}
    rule = f"at least {MIN_FINETUNE_AUDIO_MIN:g} minutes of transcribed audio"
    if minutes < MIN_FINETUNE_AUDIO_MIN:
        return Claim(Kind.FINE_TUNING, (evidence.model,), "not justified", (
            f"Not justified: {minutes:.1f} minutes of transcribed audio; fine-tuning an ASR model needs at least "
            f"{MIN_FINETUNE_AUDIO_MIN:g} minutes to be measurable. Fix normalisation and data problems first."),
            facts, rule)
    return Claim(Kind.FINE_TUNING, (evidence.model,), "justified", (
        f"{minutes:.0f} minutes of transcribed audio: enough to try fine-tuning and measure it against this corpus "
        "WER with a paired bootstrap."), facts, rule)


def transcript_problem(finding: Finding) -> Claim:
    """A check on a reference transcript (empty, far too fast or slow for the speech) as a data problem."""
    return Claim(Kind.PROBLEM, tuple(finding.files), finding.code, finding.message, {},
                 "characters per second of speech (audiodiag.asr.transcript_checks)", Severity.INVALIDATES)


def data_problems(evidence: TranscriptionEvidence) -> list[Claim]:
    """Hallucination and loop flags, empty references, checks on the references; or — when none — what was
    checked. Always the last claims of the note (`with_transcript_findings` relies on it)."""
    out = [Claim(Kind.PROBLEM, (name,), "hallucination_flag", f"{name}: {why}", {},
                 "voice activity and words per second of speech (audiodiag.asr.wer.hallucination_flags)",
                 Severity.INVALIDATES) for name, why in evidence.flags]
    out += [Claim(Kind.PROBLEM, (f"utterance {i + 1}",), "empty_reference",
                  f"utterance {i + 1}: empty reference, not scored", {}, "reference empty after normalisation",
                  Severity.INVALIDATES) for i in evidence.scores.empty_references]
    out += [transcript_problem(f) for f in evidence.transcript_findings]
    return out or [Claim(Kind.CHECKED, CHECKED_PROBLEMS, "none", NO_DATA_PROBLEMS,
                         {"checked": list(CHECKED_PROBLEMS), "covers": "problems"})]


def transcription_claims(evidence: TranscriptionEvidence) -> list[Claim]:
    """Every claim of a transcription note, each from its one rule, in the note's order."""
    return [corpus_wer(evidence), task_and_data(evidence), scores_line(evidence), *remaining_errors(evidence),
            fine_tuning(evidence), *data_problems(evidence)]


def with_transcript_findings(claims: Sequence[Claim], findings: Sequence[Finding]) -> list[Claim]:
    """`claims` with more checks on the references: the "nothing found" claim gives way to one PROBLEM claim per
    finding, at the end. Equal to `transcription_claims` of the evidence holding those findings as well."""
    if not findings:
        return list(claims)
    kept = [c for c in claims if not (c.kind is Kind.CHECKED and c.evidence.get("covers") == "problems")]
    return kept + [transcript_problem(f) for f in findings]


def claim_from_dict(d: Mapping) -> Claim:
    """The claim `Claim.to_dict` wrote (a note's data["claims"] entry).

    >>> claim = Claim(Kind.WER, ("m",), "measured", "m: corpus WER 10.0%.")
    >>> claim_from_dict(claim.to_dict()) == claim
    True
    """
    return Claim(Kind(d["kind"]), tuple(d["subject"]), d["verdict"], d["text"], d["evidence"], d["rule"],
                 Severity(d["severity"]))

