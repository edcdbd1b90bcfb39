"""The note's numbers per rung: the rung table (scores, the paired difference against the baseline, its verdict
and cost) and the ladder chart's rows, each number formatted here once.
"""
from __future__ import annotations

from audiodiag.evaluation.evaluate import signed
from audiodiag.verdict.evidence import ClassificationEvidence, Rung
from audiodiag.verdict.recommendation import recommendation, recommended


def ms_per_clip(seconds: float) -> str:
    """Extraction time per clip, as every note, table and page writes it.

    >>> ms_per_clip(0.02083), ms_per_clip(float("nan"))
    ('20.8 ms', 'not measured')
    """
    return "not measured" if seconds != seconds else f"{seconds * 1e3:.1f} ms"


RUNG_TABLE_HEADER = ("rung", "space", "accuracy [95 % CI]", "macro-F1 [95 % CI]", "vs baseline [95 % CI]",
                     "beats the baseline", "right where the other is wrong", "cost per clip")


def _cost(rung: Rung) -> str:
    return f"{ms_per_clip(rung.seconds_per_clip)}, {rung.embedding_size}-d" + (
        f", {rung.model_mb:.0f} MB model" if rung.model_mb > 0 else "")


def rung_table(evidence: ClassificationEvidence) -> tuple[tuple[str, ...], ...]:
    """The note's numbers, a row per rung (header first): scores, the paired difference against the baseline, its
    verdict and cost. The claims say what the rows mean; the numbers are formatted here, once."""
    base = evidence.rungs[0]
    rows = [RUNG_TABLE_HEADER, ("1", base.space, str(base.accuracy), str(base.macro_f1), "—", "(the reference)", "—",
                                _cost(base))]
    for pair in evidence.pairs:
        rung, d = evidence.rung(pair.name_b), pair.difference
        rows.append(("2", rung.space, str(rung.accuracy), str(rung.macro_f1),
                     f"{signed(d.value)} [{signed(d.ci_low)}, {signed(d.ci_high)}]", pair.verdict,
                     f"{pair.only_b_right} vs {pair.only_a_right}", _cost(rung)))
    return tuple(rows)


LADDER_BASELINE, LADDER_FROZEN, LADDER_FINETUNED = "baseline", "frozen encoder", "fine-tuned"  # a ladder row's rung
LADDER_REFERENCE = "reference"  # the baseline's mark: every difference is against it
LADDER_MARKS = {LADDER_FROZEN: {"yes": "beats baseline", "no": "does not beat baseline",
                                "inconclusive": "inconclusive"},
                LADDER_FINETUNED: {"yes": "beats the frozen encoder", "no": "does not beat the frozen encoder",
                                   "inconclusive": "inconclusive"}}
LADDER_RECOMMENDED = "recommended"


def difference_text(difference) -> str:
    """A paired difference with its CI as the rung table writes it (an `Estimate`, or its dict from note.json).

    >>> difference_text({"value": 0.1, "ci_low": -0.0001, "ci_high": 0.2})
    '+0.100 [+0.000, +0.200]'
    """
    d = difference if isinstance(difference, dict) else vars(difference)
    return f"{signed(d['value'])} [{signed(d['ci_low'])}, {signed(d['ci_high'])}]"


def ladder(evidence: ClassificationEvidence) -> list[dict]:
    """The ladder chart's rows, plain numbers (note.json's data.ladder): the baseline, each frozen encoder, and the
    fine-tuned model when one was measured, in that order.

    Each row: rung (baseline / frozen encoder / fine-tuned), space, accuracy {value, ci_low, ci_high} and its
    interval_unit, difference {value, ci_low, ci_high} against `versus` (None for the baseline; the fine-tuned
    model is compared with its frozen encoder, the only pair it was measured in), verdict ("yes" / "no" /
    "inconclusive"; None for the baseline), mark (the verdict's label), seconds_per_clip (None: not measured) and
    recommended: the rung the headline (`recommendation`) names: `recommended`, the fine-tuned model when the
    headline says fine-tune, none when it is undecided.
    The fine-tuned accuracy's CI is Wilson's over the clips its paired test used (that test has no other)."""
    from audiodiag.evaluation.intervals import wilson

    base = evidence.rungs[0]
    gain = evidence.finetune_gain
    headline = recommendation(evidence, invalidated=False).verdict
    pick = (None if headline == "undecided" else gain.name_b if headline == "fine-tuning" and gain is not None
            else recommended(evidence).space)

    def seconds(value: float) -> float | None:
        return None if value != value else float(value)

    rows = [{"rung": LADDER_BASELINE, "space": base.space, "accuracy": dict(vars(base.accuracy)),
             "interval_unit": evidence.interval_unit, "difference": None, "versus": None, "verdict": None,
             "mark": LADDER_REFERENCE, "seconds_per_clip": seconds(base.seconds_per_clip),
             "recommended": base.space == pick}]
    for pair in evidence.pairs:
        rung = evidence.rung(pair.name_b)
        rows.append({"rung": LADDER_FROZEN, "space": rung.space, "accuracy": dict(vars(rung.accuracy)),
                     "interval_unit": evidence.interval_unit, "difference": dict(vars(pair.difference)),
                     "versus": pair.name_a, "verdict": pair.verdict, "mark": LADDER_MARKS[LADDER_FROZEN][pair.verdict],
                     "seconds_per_clip": seconds(rung.seconds_per_clip), "recommended": rung.space == pick})
    if gain is not None:
        low, high = wilson(round(gain.accuracy_b * gain.n_clips), gain.n_clips)
        rows.append({"rung": LADDER_FINETUNED, "space": gain.name_b,
                     "accuracy": {"value": gain.accuracy_b, "ci_low": float(low), "ci_high": float(high)},
                     "interval_unit": "clips", "difference": dict(vars(gain.difference)), "versus": gain.name_a,
                     "verdict": gain.verdict, "mark": LADDER_MARKS[LADDER_FINETUNED][gain.verdict],
                     "seconds_per_clip": None, "recommended": gain.name_b == pick})
    return rows
