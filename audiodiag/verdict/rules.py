"""One rule per claim kind: each small function turns the evidence into the claims of its kind, and nothing else
in the library writes those sentences. `classification_claims` runs them all in the note's order: the rules of the
data, the baseline, its errors and label issues are here; the others have a module each (`recommendation`,
`leakage`, `pair_verdicts`, `learning_curve`, `data_findings`), and `rung_table` formats the note's numbers.

>>> from types import SimpleNamespace
>>> padding(SimpleNamespace(padding_label="repeat to 1 s")).text
'Padding policy: repeat to 1 s.'
"""
from __future__ import annotations

from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.data_findings import findings
from audiodiag.verdict.evidence import ClassificationEvidence, Rung
from audiodiag.verdict.learning_curve import curve
from audiodiag.verdict.leakage import estimated_leakage, leakage
from audiodiag.verdict.pair_verdicts import encoder_vs_baseline
from audiodiag.verdict.recommendation import fine_tuning, most_accurate, recommendation, recommended

WORST_CLASSES = 3
LABEL_ISSUES_SHOWN = 5  # possibly mislabelled clips named in the note; its data lists every one


def _counts(counts: dict) -> str:
    items = list(counts.items())
    shown = ", ".join(f"{k}: {v}" for k, v in items[:8])
    return shown + (f", … {len(items) - 8} more" if len(items) > 8 else "")


def data(evidence: ClassificationEvidence) -> list[Claim]:
    return [Claim(Kind.DATA, (), "given", f"{evidence.n_clips} labelled clips, {len(evidence.class_counts)} classes "
                  f"({_counts(evidence.class_counts)}).", {"n_clips": evidence.n_clips}),
            Claim(Kind.FOLDS, (), str(evidence.n_splits), f"Folds: {evidence.folds_note}",
                  {"n_splits": evidence.n_splits})]


def padding(evidence: ClassificationEvidence) -> Claim:
    return Claim(Kind.PADDING, (), evidence.padding_label, f"Padding policy: {evidence.padding_label}.")


def interval_method(evidence: ClassificationEvidence) -> str:
    """How the note's 95 % CIs were computed, and what they treat as independent (`audiodiag.evaluation.intervals`)."""
    if evidence.interval_unit == "groups":
        return (f"95 % CIs clustered by the {evidence.groups.n_groups} speakers/sources, since clips of one are not "
                "independent")
    return "95 % CIs with clips as independent: Wilson for accuracy, Agresti–Min for differences"


def baseline(evidence: ClassificationEvidence) -> Claim:
    rung = evidence.rungs[0]
    return Claim(Kind.BASELINE, (rung.space,), "measured", (
        f"{rung.space} is the reference: every difference in the table is against its accuracy {rung.accuracy}. "
        f"All intervals are {interval_method(evidence)}."),
        {"accuracy": vars(rung.accuracy), "macro_f1": vars(rung.macro_f1), "interval_unit": evidence.interval_unit})


def errors(rung: Rung) -> Claim:
    """What the recommended rung still gets wrong; classes are named only where they fall short of F1 1."""
    lines = []
    if rung.confused_pairs:
        lines.append(f"Most confused with {rung.space}: "
                     + "; ".join(f"{t} → {p} ({n})" for t, p, n in rung.confused_pairs[:3]) + ".")
    else:
        lines.append(f"{rung.space} makes no mistakes on the out-of-fold predictions.")
    # classes below F1 1 as printed: 0.996 reads "1.00" and is not listed among the lowest
    short = sorted(((k, v) for k, v in rung.per_class_f1.items() if f"{v:.2f}" != "1.00"),
                   key=lambda kv: kv[1])[:WORST_CLASSES]
    if short:
        lines.append("Lowest per-class F1: " + ", ".join(f"{k} {v:.2f}" for k, v in short) + ".")
    return Claim(Kind.ERRORS, (rung.space,), "measured", "\n".join(lines), {"per_class_f1": dict(rung.per_class_f1)})


def label_issues(evidence: ClassificationEvidence) -> Claim | None:
    """Possibly mislabelled clips, from the most accurate rung's out-of-fold probabilities (a weaker rung's
    errors are its own, not the labels')."""
    rung = most_accurate(evidence)
    found = rung.label_issues
    if found is None:
        return None
    if found.unavailable is not None:
        return Claim(Kind.LABEL_ISSUES, (rung.space,), "unmeasured", f"Not checked for {found.space}: "
                     f"{found.unavailable}.")
    how = f"confident learning on the out-of-fold probabilities of {found.space}, the most accurate rung"
    if not found.issues:
        return Claim(Kind.LABEL_ISSUES, (rung.space,), "none", f"No clip stands out as possibly mislabelled ({how}).",
                     {"method": found.method})
    shown = "; ".join(f"{i.name} given {i.given!r}, looks like {i.suggested!r} (p = {i.p_suggested:.2f})"
                      for i in found.issues[:LABEL_ISSUES_SHOWN])
    more = len(found.issues) - LABEL_ISSUES_SHOWN
    return Claim(Kind.LABEL_ISSUES, (rung.space,), "candidates", (
        f"{len(found.issues)} of {found.n_clips} clips ({100 * found.share:.0f} %) may be mislabelled, by {how}. "
        f"Most likely: {shown}" + (f"; and {more} more." if more > 0 else ".")
        + "\nThese are candidates to re-listen to, not proven errors: an ambiguous or hard clip is flagged as well. "
        "Nothing was relabelled. A corrected label changes every score above, so re-run the comparison after fixing "
        "any."), {"n": len(found.issues), "space": rung.space, "method": found.method},
        "cleanlab confident learning, most accurate rung", Severity.ADVICE)


def unavailable(evidence: ClassificationEvidence) -> list[Claim]:
    return [Claim(Kind.UNAVAILABLE, (name,), "failed", f"{name}: {why}", {}, "", Severity.WARNING)
            for name, why in evidence.unavailable]


def classification_claims(evidence: ClassificationEvidence) -> list[Claim]:
    """Every claim of a classification note, each from its one rule, in the note's order."""
    pick = recommended(evidence)
    found = findings(evidence)
    invalidated = any(c.severity is Severity.INVALIDATES for c in found)
    claims = [recommendation(evidence, invalidated=invalidated), *data(evidence),
              leakage(evidence.groups, evidence.rungs)]
    estimated = estimated_leakage(evidence.speakers, evidence.rungs, evidence.groups)
    if estimated is not None:
        claims.append(estimated)
    claims += [padding(evidence), baseline(evidence)]
    claims += [encoder_vs_baseline(p, evidence.rung(p.name_b)) for p in evidence.pairs]
    claims.append(errors(pick))
    issues = label_issues(evidence)
    if issues is not None:
        claims.append(issues)
    claims += [curve(c) for c in evidence.curves.values()]
    claims.append(fine_tuning(evidence, pick))
    claims += found
    claims += unavailable(evidence)
    return claims
