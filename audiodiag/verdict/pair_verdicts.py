"""The pair verdicts: does an encoder beat the baseline, worded from its paired comparison with the numbers of the
rule that decided it (`PAIR_RULE`), as the note, the headline and the pages write it.
"""
from __future__ import annotations

from audiodiag.evaluation.evaluate import SIGNIFICANCE_LEVEL, PairedComparison, format_p, signed
from audiodiag.verdict.claims import Claim, Kind
from audiodiag.verdict.evidence import Rung

PAIR_RULE = (f"paired p < {SIGNIFICANCE_LEVEL:g} (Holm-adjusted over the encoders of the run) with the encoder ahead "
             "(yes); the 95 % CI of the accuracy difference at or below 0 (no); otherwise inconclusive. p and CI come "
             "from one statistic (Agresti–Min, clustered by speaker/source when groups are known)")


def p_text(pair: PairedComparison) -> str:
    """The p-value the verdict read: "paired p = 0.012", or with its Holm adjustment when several encoders were
    compared ("paired p = 0.012, Holm-adjusted over 3 encoders 0.036")."""
    text = f"paired p = {format_p(pair.p_value)}"
    if pair.p_adjusted is not None:
        text += f", Holm-adjusted over {pair.n_compared} encoders {format_p(pair.p_adjusted)}"
    return text


def why_undecided(pair: PairedComparison) -> str:
    """Why an inconclusive pair is inconclusive, with the numbers of the rule."""
    d = pair.difference
    ci = f"CI of the difference {signed(d.ci_low)} to {signed(d.ci_high)}"
    if d.ci_low > 0:  # only when the Holm adjustment for several encoders lifted p above the level
        return f"its {ci} lies above 0, but {p_text(pair)} is not below {SIGNIFICANCE_LEVEL:g}"
    return f"{p_text(pair)}, and the {ci} reaches 0"


def decided_by(pair: PairedComparison) -> str:
    """What decided the verdict, with its numbers."""
    d = pair.difference
    if pair.verdict == "yes":
        return f"{p_text(pair)}, below {SIGNIFICANCE_LEVEL:g}"
    if pair.verdict == "no":
        return f"the CI of the difference {signed(d.ci_low)} to {signed(d.ci_high)} is not above 0"
    return why_undecided(pair)


VERDICT_WORDS = {"yes": "beats", "no": "does not beat", "inconclusive": "is inconclusive against"}


def pair_headline(pair: PairedComparison) -> str:
    """The pair's verdict in one line, as the pages head it: who beats whom, the difference [95 % CI], p.

    >>> from audiodiag.evaluation.evaluate import Estimate
    >>> pair = PairedComparison("spectral baseline (MFCC/log-mel)", "whisper", 300, 0.5, 0.87, Estimate(0.37, 0.28, 0.46),
    ...                         2, 113, 1.234e-11, "yes", "")
    >>> pair_headline(pair)
    'whisper beats the baseline: accuracy +0.370 [+0.280, +0.460], paired p = 1.23e-11'
    """
    from audiodiag.represent.spaces import is_baseline

    other = "the baseline" if is_baseline(pair.name_a) else pair.name_a
    d = pair.difference
    return (f"{pair.name_b} {VERDICT_WORDS[pair.verdict]} {other}: accuracy {signed(d.value)} [{signed(d.ci_low)}, "
            f"{signed(d.ci_high)}], {p_text(pair)}")


def encoder_vs_baseline(pair: PairedComparison, rung: Rung) -> Claim:
    """Does this encoder beat the baseline: the pair's verdict, with the numbers of the rule that decided it (the
    scores themselves are the rung table's row)."""
    decided = f"{VERDICT_WORDS[pair.verdict]} the baseline"
    text = (f"{rung.space} {decided}: {decided_by(pair)}. It is right on {pair.only_b_right} clips the baseline "
            f"misses and wrong on {pair.only_a_right} the baseline gets right.")
    d = pair.difference
    return Claim(Kind.ENCODER_VS_BASELINE, (rung.space,), pair.verdict, text,
                 {"difference": vars(d), "p_value": pair.p_value, "only_encoder_right": pair.only_b_right,
                  "only_baseline_right": pair.only_a_right}, PAIR_RULE)
