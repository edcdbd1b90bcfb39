"""The learning curve's claim: would more labelled clips help, read from the trend of accuracy per doubling of the
training set (`audiodiag.evaluation.curves`).
"""
from __future__ import annotations

from collections.abc import Sequence

from audiodiag.evaluation.curves import RISING_PER_DOUBLING
from audiodiag.evaluation.evaluate import signed
from audiodiag.verdict.claims import Claim, Kind
from audiodiag.verdict.evidence import Curve

TREND_WORDS = {"rising": "still rising, so more labelled clips would likely help",
               "flat": "flat, so more labels of this kind would add little: the representation is the limit",
               "saturated": "saturated: nearly every clip is right already, so more labels cannot show a gain",
               "inconclusive": "inconclusive: the last step is within noise, so it cannot tell rising from flat"}


def curve_text(space: str, trend: str, points: Sequence[tuple[int, float]], slope: float,
               slope_ci: tuple[float, float]) -> str:
    """The learning curve's sentences: its trend first, then the numbers the trend rule read.

    >>> curve_text("mfcc", "flat", [(5, 0.80), (12, 0.81)], 0.008, (-0.01, 0.015))
    'Learning curve of mfcc: flat, so more labels of this kind would add little: the representation is the limit. Accuracy 0.800 at ≤ 5 clips per class, 0.810 with all; last step +0.008 per doubling, 95 % CI -0.010 to +0.015 (rising: ≥ +0.02).'
    """
    if len(points) < 2 or slope != slope:
        return (f"Learning curve of {space}: inconclusive: too few clips per class to draw a smaller training set, so "
                "it cannot tell whether more labels would help.")
    (n0, a0), (_, a1) = points[-2], points[-1]
    return (f"Learning curve of {space}: {TREND_WORDS[trend]}. Accuracy {a0:.3f} at ≤ {n0} clips per class, {a1:.3f} "
            f"with all; last step {signed(slope)} per doubling, 95 % CI {signed(slope_ci[0])} to {signed(slope_ci[1])} "
            f"(rising: ≥ +{RISING_PER_DOUBLING:g}).")


def curve(c: Curve) -> Claim:
    return Claim(Kind.CURVE, (c.space,), c.trend, curve_text(c.space, c.trend, c.points, c.slope_per_doubling,
                                                            c.slope_ci),
                 {"slope_per_doubling": c.slope_per_doubling, "slope_ci": list(c.slope_ci)},
                 "last step's paired bootstrap CI against +0.02 accuracy per doubling")
