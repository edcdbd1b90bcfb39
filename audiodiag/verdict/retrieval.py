"""The retrieval note's claims: one rule per kind, from `RetrievalEvidence` (the leave-one-out results of each space,
their paired comparisons with the baseline, and the data findings). `retrieval_claims` runs them in the note's order.

"Better" and "worse" follow `audiodiag.evaluation.retrieval_comparison.BETTER_RULE`; the reading lines are those
of `audiodiag.evaluation.retrieval_comparison.reading`, so the Sounds page and the note say the same sentence.

>>> from audiodiag.evaluation.bootstrap import Estimate
>>> difference_text(Estimate(0.035, 0.005, 0.067))
'+0.035 [+0.005, +0.067]'
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from audiodiag import findings, fixes
from audiodiag.evaluation.evaluate import signed
from audiodiag.findings import Code
from audiodiag.types import Finding
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.data_findings import names_encoder, sound_encoder_measured, without_measured_suggestion

# retrieval has no folds: a copy hurts wherever it is (each copy is the other's nearest neighbour)
RETRIEVAL_INVALIDATING = findings.invalidating(findings.RETRIEVE)
RETRIEVAL_SHOWN_INFO = frozenset({Code.DUPLICATE_CLIPS, Code.NEAR_DUPLICATES})  # info findings that matter to retrieval
# the rung a headline verdict leaves the task at (DecisionNote.rung)
RUNG = {"better": "frozen encoder", "worse": "spectral baseline", "baseline only": "spectral baseline",
        "mixed": "undecided", "inconclusive": "undecided", "unscored": "undecided"}
CHECKED_DUPLICATES = "exact and near duplicates"
CHECKED_ADVICE = ("sample rates", "speech/non-speech", "padding")
HEADLINE_RULE = ("the space with the largest mAP gain among those better than the baseline (BETTER_RULE); the "
                 "baseline when every space is worse; mixed or inconclusive otherwise")
SEARCH_METHOD = ("leave-one-out with cosine similarity on standardised vectors; 95 % bootstrap CIs over queries")


@dataclass(frozen=True)
class RetrievalEvidence:
    """Everything a retrieval run measured: the only input of the rules below."""

    results: tuple  # audiodiag.evaluation.retrieval.Retrieval per space, the spectral baseline first
    paired: tuple  # evaluation.retrieval_comparison.PairedRetrieval: each scored space against the baseline, same queries
    problems: tuple[Finding, ...] = ()  # findings that could invalidate the scores
    advice: tuple[Finding, ...] = ()  # findings that do not
    settings: Mapping = field(default_factory=dict)

    @property
    def baseline(self):
        return self.results[0]

    @property
    def measured_spaces(self) -> tuple[str, ...]:
        return tuple(r.space for r in self.results)


def split_findings(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings that could invalidate the retrieval scores, advice); info findings other than duplicates are
    dropped."""
    shown = [f for f in findings if f.severity in ("error", "warning") or f.code in RETRIEVAL_SHOWN_INFO]
    return ([f for f in shown if f.code in RETRIEVAL_INVALIDATING],
            [f for f in shown if f.code not in RETRIEVAL_INVALIDATING])


def retrieval_evidence(results: Sequence, *, findings: Sequence[Finding] = (),
                       settings: Mapping | None = None) -> RetrievalEvidence:
    """The evidence of one retrieval run from `audiodiag.evaluation.retrieval.Retrieval` results (baseline first)."""
    from audiodiag.evaluation.retrieval_comparison import paired_retrieval

    base = results[0]
    paired = tuple(paired_retrieval(base, r) for r in results[1:] if r.n_scored and base.n_scored)
    problems, advice = split_findings(findings)
    return RetrievalEvidence(tuple(results), paired, tuple(problems), tuple(advice), dict(settings or {}))


def difference_text(d) -> str:
    """A paired difference as the reading's summary writes it: value [CI low, CI high], signed."""
    return f"{signed(d.value)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"


def task_and_data(evidence: RetrievalEvidence) -> Claim:
    from audiodiag.evaluation.retrieval_comparison import BETTER_RULE

    lines = [f"Similarity search over {evidence.baseline.n_clips} clips; relevant = same label; {SEARCH_METHOD}."]
    if len(evidence.results) > 1:
        lines.append(f"Between two spaces: {BETTER_RULE}.")
    return Claim(Kind.DATA, (), "given", "\n".join(lines), {"n_clips": evidence.baseline.n_clips})


def _groups_measured(evidence: RetrievalEvidence) -> bool:
    return all(np.isfinite(r.same_group_chance) for r in evidence.results)


def group_rule(evidence: RetrievalEvidence) -> Claim:
    """Whether a query's own speaker/source could answer it: "excluded" (the default with groups), "included" (on
    request) or "unmeasured" (no groups). Retrieval has no folds, so this is its speaker/source question."""
    facts = {"exclude_same_group": [bool(r.exclude_same_group) for r in evidence.results]}
    if not _groups_measured(evidence):
        return Claim(Kind.GROUP_RULE, (), "unmeasured", (
            "Same speaker/source: unmeasured. The clips have no group, so another take of one speaker or source "
            "counts as a match, and the scores are an upper bound for new speakers or sources; to score across "
            f"groups, {fixes.ADD_GROUPS}."), facts, "no groups", Severity.WARNING)
    if all(r.exclude_same_group for r in evidence.results):
        return Claim(Kind.GROUP_RULE, (), "excluded", (
            "Scored without same-group neighbours (the default): a query's own speaker or source is not a candidate, "
            "so the scores say how well a space finds the class in other groups; precision@1 with them is shown next "
            "to each space."), facts, "a query's own group is removed from its candidates")
    return Claim(Kind.GROUP_RULE, (), "included", (
        "Scored with same-group neighbours as candidates, on request: another take of one speaker or source counts "
        "as a match; precision@1 without them is shown next to each space."), facts,
        "a query's own group stays among its candidates (asked for)", Severity.WARNING)


def group_pull(evidence: RetrievalEvidence) -> Claim | None:
    """The data problem same-group candidates leave: spaces whose nearest clip is from the query's own group far
    more often than chance, counted as matches. None unless same-group neighbours were candidates."""
    from audiodiag.evaluation.retrieval import GROUP_PULL

    if not _groups_measured(evidence) or all(r.exclude_same_group for r in evidence.results):
        return None
    pulled = [r for r in evidence.results if r.same_group_at_1 > GROUP_PULL * r.same_group_chance]
    if not pulled:
        return None
    return Claim(Kind.PROBLEM, tuple(r.space for r in pulled), "same_group_match", (
        f"{', '.join(r.space for r in pulled)}: the nearest clip is from the query's own group for "
        + ", ".join(f"{100 * r.same_group_at_1:.0f} %" for r in pulled)
        + f" of queries (a random clip: {100 * pulled[0].same_group_chance:.0f} %), and it counts as a match here, so "
          f"these scores flatter retrieval across speakers or sources. Fix: {fixes.EXCLUDE_SAME_GROUP}."),
        {r.space: {"same_group_at_1": r.same_group_at_1, "chance": r.same_group_chance} for r in pulled},
        f"own-group nearest neighbour more than {GROUP_PULL:g} × as often as a random clip", Severity.INVALIDATES)


def space_scores(r) -> Claim:
    """One space's scores; precision@1 under the other group rule next to the headline's."""
    other = r.other_precision_at_1
    p1 = f"precision@1 {r.precision_at_1}"
    if other is not None:
        p1 += (f" (same-group neighbours excluded; with them: {other[1]})" if r.exclude_same_group else
               f" (same-group neighbours included; without them: {other[1]})")
    return Claim(Kind.RETRIEVAL_SCORES, (r.space,), "measured", (
        f"{r.space}: {p1}, precision@5 {r.precision_at_5}, mAP {r.mean_average_precision}, kNN accuracy "
        f"{r.knn_accuracy}, label silhouette {r.silhouette:.2f}"),
        {"precision_at_1": vars(r.precision_at_1), "map": vars(r.mean_average_precision), "n_scored": r.n_scored},
        "leave-one-out retrieval, 95 % bootstrap CIs over queries")


def against_baseline(evidence: RetrievalEvidence) -> list[Claim]:
    """Each space against the baseline on the same queries: the reading's sentence, with the paired verdict."""
    from audiodiag.evaluation.retrieval_comparison import BETTER_RULE, reading

    by_space = {r.space: r for r in evidence.results}
    return [Claim(Kind.RETRIEVAL_VS_BASELINE, (p.space,), p.verdict,
                  reading([evidence.baseline, by_space[p.space]])[0],  # both scored: its first line is the pair's
                  {"differences": {k: vars(v) for k, v in p.differences.items()}, "better": list(p.better),
                   "worse": list(p.worse), "deciding": p.deciding, "n_queries": p.n_queries}, BETTER_RULE)
            for p in evidence.paired]


def space_reading(evidence: RetrievalEvidence) -> list[Claim]:
    """What each space's neighbours follow (group more than label, the group rule, unscored queries); a single
    space with nothing to read says so."""
    from audiodiag.evaluation.retrieval_comparison import reading

    out = []
    for r in evidence.results:
        lines = reading([r])  # one space: no pair line, only its own
        if lines:
            out.append(Claim(Kind.READING, (r.space,), "read", "\n".join(lines),
                             {"silhouette": r.silhouette, "group_silhouette": r.group_silhouette,
                              "same_group_at_1": r.same_group_at_1, "unscored": len(r.unscored)}))
    if not out and not evidence.paired:
        out.append(Claim(Kind.READING, (), "nothing to compare", "One space only: nothing to compare."))
    return out


def recommendation(evidence: RetrievalEvidence, *, invalidated: bool) -> Claim:
    """The headline, from the paired verdicts alone: the best space that is better, the baseline when every space is
    worse, else mixed or inconclusive."""
    base, paired = evidence.baseline, evidence.paired
    better = [p for p in paired if p.verdict == "better"]
    mixed = [p for p in paired if p.verdict == "mixed"]
    undecided = [p for p in paired if p.verdict == "undecided"]
    if better:
        best = max(better, key=lambda p: p.differences["mAP"].value)
        subject, verdict, text = (best.space,), "better", (
            f"Search in the {best.space} space: it retrieves better than the spectral baseline on "
            f"{', '.join(best.better)} (paired 95 % CIs above 0; decided by {best.deciding}: "
            f"{difference_text(best.differences[best.deciding])}).")
    elif paired and all(p.verdict == "worse" for p in paired):
        subject, verdict, text = (base.space,), "worse", (
            f"Search in the spectral baseline space: every frozen encoder retrieves worse (paired 95 % CIs below 0; "
            f"baseline mAP {base.mean_average_precision.value:.3f}, precision@1 {base.precision_at_1.value:.3f}).")
    elif mixed:
        subject, verdict, text = (mixed[0].space,), "mixed", (
            f"Mixed: {mixed[0].space} is better than the spectral baseline on {', '.join(mixed[0].better)} but worse "
            f"on {', '.join(mixed[0].worse)} (paired 95 % CIs); choose by what the search is for (mAP: the whole "
            "ranking; precision@1: the top hit).")
    elif undecided:
        worse = [p.space for p in paired if p.verdict == "worse"]
        subject, verdict = tuple(p.space for p in undecided), "inconclusive"
        text = ("Inconclusive: every metric's paired 95 % CI between the frozen encoders and the spectral baseline "
                "includes 0 on these clips; keep the cheaper baseline or label more clips to tell them apart."
                if not worse else
                f"Inconclusive: no frozen encoder retrieves better than the spectral baseline; for "
                f"{', '.join(subject)} every metric's paired 95 % CI includes 0 on these clips, and "
                f"{', '.join(worse)} retrieve{'s' if len(worse) == 1 else ''} worse; keep the cheaper baseline or "
                "label more clips to tell them apart.")
    elif len(evidence.results) > 1:
        subject, verdict, text = (), "unscored", (
            "Not compared: no query has a relevant candidate (another clip of its label"
            + (" outside its group" if base.exclude_same_group else "")
            + "), so no space could be scored; add clips so every label has at least two.")
    else:
        subject, verdict, text = (base.space,), "baseline only", (
            "Only the spectral baseline was measured: the baseline was not challenged.")
    if invalidated:
        text += " Caution: a data problem may invalidate this comparison (see below)."
    return Claim(Kind.RECOMMENDATION, subject, verdict, text,
                 {"pairs": {p.space: p.verdict for p in paired}, "cautioned": invalidated}, HEADLINE_RULE,
                 Severity.WARNING if invalidated else Severity.INFO)


def fine_tuning(evidence: RetrievalEvidence) -> Claim:
    return Claim(Kind.FINE_TUNING, (), "not assessed", (
        "Not assessed: audiodiag fine-tunes classifiers only. If the best space is still weak, a metric-learning "
        "fine-tune is the next rung; measure it against these numbers on the same clips."), {},
        "fine-tuning is measured for classification only")


def problems(evidence: RetrievalEvidence) -> list[Claim]:
    """Findings that could invalidate the scores, the group rule's problem, or — when none — what was checked."""
    out = [Claim(Kind.PROBLEM, tuple(f.files), f.code, f.message, {}, "data check", Severity.INVALIDATES)
           for f in evidence.problems]
    pull = group_pull(evidence)
    if pull is not None:
        out.append(pull)
    if not out:
        out.append(Claim(Kind.CHECKED, (CHECKED_DUPLICATES,), "none", (
            f"Nothing detected: {CHECKED_DUPLICATES} were checked (a copy would be its twin's nearest neighbour)."),
            {"checked": [CHECKED_DUPLICATES], "covers": "problems"}))
    return out


def advice(finding: Finding, evidence: RetrievalEvidence) -> Claim:
    """A finding that does not invalidate the scores, with what the comparison measured where the finding predicts
    something about an encoder (a speech model on non-speech audio): never 'wrong tool' alone next to a measured
    win, and never advice to try a model this run measured."""
    text, suggests = finding.message, []
    if finding.code == Code.NON_SPEECH_FOR_SPEECH_ENCODER:
        from audiodiag.measure.dataset import SOUND_ENCODER_ADVICE
        from audiodiag.represent.encoders import AISFX

        measured = evidence.measured_spaces
        text = without_measured_suggestion(text, measured)
        said = []
        for p in evidence.paired:
            if not names_encoder(finding, p.space):
                continue
            if p.verdict == "better":
                said.append(f"{p.space} retrieves better than the baseline here nevertheless, on "
                            f"{', '.join(p.better)} ({p.deciding} {difference_text(p.differences[p.deciding])}): its "
                            "features do separate these sounds")
            elif p.verdict == "worse":
                said.append(f"{p.space} retrieves worse than the baseline here, on {', '.join(p.worse)} "
                            f"({p.deciding} {difference_text(p.differences[p.deciding])})")
            else:
                said.append(f"{p.space} is not shown to retrieve better than the baseline here "
                            f"({'mixed' if p.verdict == 'mixed' else 'inconclusive'}: mAP "
                            f"{difference_text(p.differences['mAP'])})")
        if sound_encoder_measured(measured):
            said.append(f"the sound encoder {AISFX} was measured too (its row above)")
        elif SOUND_ENCODER_ADVICE in text:
            suggests.append(AISFX)
        text += ". Measured: " + "; ".join(said) if said else ""
    return Claim(Kind.ADVICE, tuple(finding.files), finding.code, text, {"suggests": suggests}, "data check",
                 Severity.ADVICE)


def all_advice(evidence: RetrievalEvidence) -> list[Claim]:
    """Every advice finding, or — when none — the checks that found nothing to advise."""
    out = [advice(f, evidence) for f in evidence.advice]
    return out or [Claim(Kind.CHECKED, CHECKED_ADVICE, "none", (
        "Nothing to advise: sample rates, speech/non-speech and padding fit the compared encoders."),
        {"checked": list(CHECKED_ADVICE), "covers": "advice"})]


def retrieval_claims(evidence: RetrievalEvidence) -> list[Claim]:
    """Every claim of a retrieval note, each from its one rule, in the note's order."""
    found = problems(evidence)
    invalidated = any(c.severity is Severity.INVALIDATES for c in found)
    return [recommendation(evidence, invalidated=invalidated), task_and_data(evidence), group_rule(evidence),
            *(space_scores(r) for r in evidence.results), *against_baseline(evidence), *space_reading(evidence),
            fine_tuning(evidence), *found, *all_advice(evidence)]
