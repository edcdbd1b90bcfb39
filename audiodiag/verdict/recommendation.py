"""Which rung to use: the headline's rule (the most accurate encoder that beats the baseline, the cheapest among
those tied with it) and whether fine-tuning (rung 3) is worth running after it.
"""
from __future__ import annotations

from audiodiag.evaluation.evaluate import signed
from audiodiag.types import Readiness
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.evidence import ClassificationEvidence, Rung
from audiodiag.verdict.pair_verdicts import p_text, pair_headline, why_undecided

HEADROOM_MIN = 0.03  # best accuracy within this of 1.0: no room for fine-tuning to show a gain


def tied_winners(evidence: ClassificationEvidence) -> list[Rung]:
    """The encoders that beat the baseline, most accurate first; those whose accuracy lies inside the best one's
    95 % CI count as tied with it."""
    winners = sorted((evidence.rung(p.name_b) for p in evidence.pairs if p.verdict == "yes"),
                     key=lambda r: -r.accuracy.value)
    if not winners:
        return []
    top = winners[0].accuracy
    return [r for r in winners if r.accuracy.value >= top.ci_low]


def recommended(evidence: ClassificationEvidence) -> Rung:
    """The rung the note recommends: among the tied winners the cheapest per clip; the baseline when none won."""
    tied = tied_winners(evidence)
    if not tied:
        return evidence.rungs[0]
    return min(tied, key=lambda r: (r.seconds_per_clip if r.seconds_per_clip == r.seconds_per_clip else float("inf"),
                                    -r.accuracy.value))


def recommendation(evidence: ClassificationEvidence, *, invalidated: bool) -> Claim:
    """The headline: which rung to use, from the pair verdicts alone (one rule, the same the rung lines state)."""
    base = evidence.rungs[0]
    pick = recommended(evidence)
    tied = tied_winners(evidence)
    undecided = [p for p in evidence.pairs if p.verdict == "inconclusive"]
    gain = evidence.finetune_gain
    if gain is not None and gain.verdict == "yes":
        rung, text = "fine-tuning", (f"Fine-tune: the measured rung-3 gain over the frozen encoder is "
                                     f"{signed(gain.difference.value)} [{signed(gain.difference.ci_low)}, "
                                     f"{signed(gain.difference.ci_high)}] ({p_text(gain)}).")
    elif pick is not base:
        pair = next(p for p in evidence.pairs if p.name_b == pick.space)
        d = pair.difference
        others = [r.space for r in tied if r is not pick]
        tie = (f" It ties with {', '.join(others)} (inside its accuracy CI) and is the cheapest per clip."
               if others else "")
        rung, text = "frozen encoder", (
            f"Use the frozen encoder {pick.space}: it beats the spectral baseline ({base.accuracy.value:.3f} → "
            f"{pick.accuracy.value:.3f}, gain {signed(d.value)}, 95 % CI {signed(d.ci_low)} to {signed(d.ci_high)})."
            + tie)
    elif undecided:
        reasons = "; ".join(f"{p.name_b}: {why_undecided(p)}" for p in undecided)
        rung, text = "undecided", (f"Undecided between the baseline and a frozen encoder ({reasons}); label more "
                                   "clips to decide, or keep the cheaper baseline meanwhile.")
    elif evidence.pairs:
        rung, text = "spectral baseline", (f"Use the spectral baseline: no frozen encoder beat it on these clips "
                                           f"(baseline accuracy {base.accuracy.value:.3f}).")
    else:
        rung, text = "spectral baseline", (f"Use the spectral baseline: no frozen encoder was compared "
                                           f"(baseline accuracy {base.accuracy.value:.3f}).")
    if invalidated:
        text += " Caution: a data problem may invalidate this comparison (see below)."
    return Claim(Kind.RECOMMENDATION, (pick.space,), rung, text, {"tied": [r.space for r in tied]},
                 "the most accurate encoder whose pair verdict is yes (ties inside its CI: the cheapest)",
                 Severity.WARNING if invalidated else Severity.INFO)


def most_accurate(evidence: ClassificationEvidence) -> Rung:
    return max(evidence.rungs, key=lambda r: r.accuracy.value)


def fine_tuning(evidence: ClassificationEvidence, pick: Rung) -> Claim:
    """Is rung 3 worth running: from readiness (the data), headroom, and the recommended rung's curve claim."""
    headroom = 1 - pick.accuracy.value
    best = most_accurate(evidence)
    lines = [f"Best rung so far: {pick.space}, accuracy {pick.accuracy} (headroom {headroom:.3f})."]
    if best is not pick:
        lines.append(f"{best.space} scored {best.accuracy.value:.3f}, but its advantage is not established "
                     "(see its pair verdict above).")
    c = evidence.curves.get(pick.space)
    trend = None if c is None else c.trend
    readiness: Readiness | None = evidence.readiness
    gain = evidence.finetune_gain
    facts = {"curve_trend": trend, "headroom": headroom, "readiness_ok": None if readiness is None else readiness.ok}
    if gain is not None:
        lines.append(f"Measured: {pair_headline(gain)}.")
        state = "measured"
    elif readiness is not None and not readiness.ok:
        lines.append(f"Not justified: {readiness.reason}")
        state = "refused"
    elif headroom < HEADROOM_MIN:
        lines.append(f"Not justified: the best rung is within {HEADROOM_MIN:g} of perfect accuracy; fine-tuning "
                     "cannot show a reliable gain on this data.")
        state = "not justified"
    elif trend in ("rising", "saturated"):
        lines.append("Not justified yet: the learning curve is still rising, so more labels are the cheaper gain; "
                     "re-check fine-tuning afterwards." if trend == "rising" else
                     "Not justified: the learning curve is saturated.")
        state = "not justified"
    elif trend == "flat":
        reason = readiness.reason if readiness is not None else "readiness not assessed"
        lines.append(f"Worth trying: {reason} The learning curve is flat below perfect accuracy, so the frozen "
                     "representation is the limit. Run rung 3 (partial fine-tuning) on the same folds and keep it only "
                     "if the paired test says it beats the frozen encoder.")
        state = "justified"
    else:
        why = ("the learning curve cannot tell rising from flat" if trend == "inconclusive"
               else "the learning curve was not measured")
        lines.append(f"Not shown to be needed: {why}, so more labels may still be the cheaper gain; label more clips "
                     "and measure the curve again before fine-tuning.")
        state = "not justified"
    return Claim(Kind.FINE_TUNING, (pick.space,), state, "\n".join(lines), facts,
                 "readiness (audiodiag.evaluation.finetune.RULE), headroom ≥ 0.03, and the learning curve's trend: "
                 "only a flat "
                 "curve justifies rung 3")
