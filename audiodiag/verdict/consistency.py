"""Contradictions a claim set must not contain, checked before any note is rendered.

A violation is a bug in a rule: with AUDIODIAG_STRICT_CLAIMS=1 (the test suite sets it) `enforce` raises, otherwise
it logs an error and the note is still shown.

>>> from audiodiag.verdict.claims import Claim, Kind
>>> check_consistency([Claim(Kind.CURVE, ("x",), "flat", ""), Claim(Kind.CURVE, ("x",), "rising", "")])
["two claims about curve of ('x',) disagree: 'flat' vs 'rising'"]
"""
from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from audiodiag.errors import ConsistencyError
from audiodiag.verdict.claims import Claim, Kind, Severity

STRICT_ENV = "AUDIODIAG_STRICT_CLAIMS"
MEASURED = (Kind.BASELINE, Kind.ENCODER_VS_BASELINE, Kind.RETRIEVAL_SCORES, Kind.WER)  # subjects: what a run measured
RETRIEVAL_HEADLINES = ("better", "worse", "mixed", "inconclusive", "baseline only", "unscored")
log = logging.getLogger(__name__)


def _one(claims: Sequence[Claim], kind: Kind) -> Claim | None:
    return next((c for c in claims if c.kind is kind), None)


def check_consistency(claims: Sequence[Claim]) -> list[str]:
    """Every contradiction in `claims`, in words; [] when there is none."""
    out = []
    seen: dict[tuple, str] = {}
    for c in claims:  # one verdict per quantity
        if c.kind in (Kind.PROBLEM, Kind.ADVICE, Kind.UNAVAILABLE):
            continue
        key = (c.kind, c.subject)
        if key in seen and seen[key] != c.verdict:
            out.append(f"two claims about {c.kind.value} of {c.subject} disagree: {seen[key]!r} vs {c.verdict!r}")
        seen.setdefault(key, c.verdict)

    pairs = {c.subject[0]: c.verdict for c in claims if c.kind is Kind.ENCODER_VS_BASELINE}
    rec = _one(claims, Kind.RECOMMENDATION)
    if rec is not None:  # the headline follows the pair verdicts
        winners = {s for s, v in pairs.items() if v == "yes"}
        if rec.verdict == "frozen encoder" and rec.subject[0] not in winners:
            out.append(f"the note recommends {rec.subject[0]}, whose pair verdict is {pairs.get(rec.subject[0])!r}")
        if rec.verdict in ("spectral baseline", "undecided") and winners:
            out.append(f"the note recommends the {rec.verdict} although {sorted(winners)} beat the baseline")
        if rec.verdict == "undecided" and "inconclusive" not in pairs.values():
            out.append("the note is undecided but no pair verdict is inconclusive")
        if rec.verdict == "spectral baseline" and "inconclusive" in pairs.values():
            out.append("the note recommends the baseline outright while a pair verdict is inconclusive")

    leak = _one(claims, Kind.LEAKAGE)
    for c in claims:  # "checked" names only what was measured
        if c.kind is Kind.CHECKED and leak is not None and leak.verdict not in ("present", "absent") and any(
                "leakage" in item and "not" not in item for item in c.subject):
            out.append(f"'{c.text}' says leakage was checked, but it is {leak.verdict}")
    estimated = _one(claims, Kind.LEAKAGE_ESTIMATED)  # inferred voices are never presented beside known groups
    if estimated is not None and leak is not None and leak.verdict in ("present", "absent", "ignored", "unmeasurable"):
        out.append(f"leakage is measured ({leak.verdict}) on known groups and estimated ({estimated.verdict}) on "
                   "inferred voices in one note")

    measured = {s for c in claims if c.kind in MEASURED for s in c.subject}
    for c in claims:  # no advice to try what was measured
        tried = set(c.evidence.get("suggests", ())) & measured if c.kind is Kind.ADVICE else set()
        if tried:
            out.append(f"advice suggests {sorted(tried)}, which this run measured")

    curves = {c.subject[0]: c.verdict for c in claims if c.kind is Kind.CURVE}
    for c in claims:  # fine-tuning follows the curve claim of the same rung (retrieval and transcription read none)
        if c.kind is not Kind.FINE_TUNING or "curve_trend" not in c.evidence:
            continue
        trend = c.evidence.get("curve_trend")
        if c.subject[0] in curves and trend != curves[c.subject[0]]:
            out.append(f"fine-tuning reads the curve of {c.subject[0]} as {trend!r}, its curve claim says "
                       f"{curves[c.subject[0]]!r}")
        if c.verdict == "justified" and trend != "flat":
            out.append(f"fine-tuning is called justified with a {trend!r} learning curve (only a flat one justifies it)")
        if rec is not None and c.subject != rec.subject and rec.verdict != "fine-tuning":
            out.append(f"fine-tuning is judged for {c.subject[0]} but the note recommends {rec.subject[0]}")
    return out + _nothing_found_beside_a_finding(claims) + _retrieval_headline(claims, rec)


def _nothing_found_beside_a_finding(claims: Sequence[Claim]) -> list[str]:
    """A "nothing detected" claim and a finding of what it covers (problems, or advice) cannot stand in one note."""
    out = []
    for c in claims:
        if c.kind is not Kind.CHECKED:
            continue
        covers = c.evidence.get("covers", "problems")
        found = [f for f in claims if f.kind is (Kind.ADVICE if covers == "advice" else Kind.PROBLEM)]
        if found:
            out.append(f"'{c.text}' stands next to {len(found)} {covers} claim(s), e.g. {found[0].verdict!r}")
    return out


def _retrieval_headline(claims: Sequence[Claim], rec: Claim | None) -> list[str]:
    """A retrieval headline follows the paired verdicts of its spaces, and cautions exactly when a problem may
    invalidate the scores; a same-group problem needs same-group candidates."""
    out = []
    pairs = {c.subject[0]: c.verdict for c in claims if c.kind is Kind.RETRIEVAL_VS_BASELINE}
    verdicts = set(pairs.values())
    if rec is not None and rec.verdict in RETRIEVAL_HEADLINES:
        named = pairs.get(rec.subject[0]) if rec.subject else None
        if rec.verdict in ("better", "mixed") and named != rec.verdict:
            out.append(f"the headline calls {rec.subject[0]} {rec.verdict}, its paired verdict is {named!r}")
        if rec.verdict == "worse" and verdicts != {"worse"}:
            out.append(f"the headline says every space retrieves worse, the paired verdicts are {sorted(verdicts)}")
        if rec.verdict in ("mixed", "inconclusive") and "better" in verdicts:
            out.append(f"the headline is {rec.verdict} although a space retrieves better")
        if rec.verdict == "inconclusive" and "mixed" in verdicts:
            out.append("the headline is inconclusive although a space is better on one metric and worse on another")
        if rec.verdict == "inconclusive" and "undecided" not in verdicts:
            out.append("the headline is inconclusive but no paired verdict is undecided")
        if rec.verdict in ("baseline only", "unscored") and pairs:
            out.append(f"the headline says {rec.verdict!r}, but {sorted(pairs)} were compared with the baseline")
    invalidated = any(c.severity is Severity.INVALIDATES for c in claims)
    if rec is not None and "cautioned" in rec.evidence and rec.evidence["cautioned"] != invalidated:
        out.append("the headline " + ("cautions although no claim invalidates the comparison" if not invalidated
                                      else "does not caution although a problem may invalidate the comparison"))
    rule = next((c.verdict for c in claims if c.kind is Kind.GROUP_RULE), None)
    if rule != "included" and any(c.kind is Kind.PROBLEM and c.verdict == "same_group_match" for c in claims):
        out.append(f"same-group neighbours are called a problem, but the group rule is {rule!r}")
    return out


def enforce(claims: Sequence[Claim]) -> list[str]:
    """Check `claims`; raise ConsistencyError under AUDIODIAG_STRICT_CLAIMS=1, else log each violation."""
    problems = check_consistency(claims)
    if problems and os.environ.get(STRICT_ENV) == "1":
        raise ConsistencyError("contradicting claims: " + "; ".join(problems))
    for p in problems:
        log.error("contradicting claims: %s", p)
    return problems
