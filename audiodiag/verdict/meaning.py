"""What each claim means: every claim kind, the rule that decides it and what is said when the evidence does not
decide. The README's table is `claims_table()` (tests/test_repo.py keeps them equal).

>>> claims_table().splitlines()[0]
'| claim | rule | when the evidence does not decide |'
"""
from __future__ import annotations

from audiodiag.evaluation.retrieval_comparison import BETTER_RULE
from audiodiag.verdict.models import MODEL_RULE
from audiodiag.verdict.leakage import ESTIMATED_LEAKAGE_RULE, LEAKAGE_RULE
from audiodiag.verdict.pair_verdicts import PAIR_RULE
from audiodiag.verdict.transcription import MIN_FINETUNE_AUDIO_MIN

# (claim, the rule that decides it, what is said when the evidence does not decide)
CLAIM_RULES = (
    ("an encoder beats the baseline", PAIR_RULE + ", on the same clips and folds",
     "inconclusive, with the p-value (and its Holm adjustment) and the CI"),
    ("the rung to use (headline)", "the most accurate encoder whose pair verdict is yes; encoders whose accuracy lies "
     "inside its 95 % CI tie with it and the cheapest per clip is recommended; the baseline when none wins",
     "undecided, when a pair is inconclusive and none is yes"),
    ("speaker/source leakage (present)", LEAKAGE_RULE, "absent when p ≥ 0.05; unmeasured (no groups, or the dataset's own 'fold' column used as "
     "given), ignored (--no-groups) or unmeasurable (every clip its own group); 'checked' is never said of it then"),
    ("speaker leakage estimated (present)", ESTIMATED_LEAKAGE_RULE, "absent when p ≥ 0.05; not estimated, with the "
     "reason: not speech, too few clips, one voice, voices that follow the labels, no audio (streamed); never said "
     "when a group column is given (leakage is measured then)"),
    ("learning curve rising / flat", "the last step's paired bootstrap 95 % CI against +0.02 accuracy per doubling: "
     "rising when the whole CI is at or above +0.02, flat when it is wholly below, saturated at ≥ 0.99 accuracy",
     "inconclusive (the CI straddles +0.02)"),
    ("fine-tuning justified", "readiness (audiodiag.evaluation.finetune.RULE), headroom ≥ 0.03, and a flat learning "
     "curve of the "
     "recommended rung", "not justified: label more clips and measure the curve again"),
    ("possibly mislabelled", "cleanlab confident learning on the out-of-fold probabilities of the most accurate rung",
     "not checked, with the reason"),
    ("advice on the data", "a data check that does not invalidate the comparison; a model is suggested only when "
     "this run did not measure it", "—"),
    ("a space retrieves better (similarity search)", BETTER_RULE + "; the headline names the space with the largest "
     "mAP gain among the better ones", "mixed (better on one metric, worse on another) or inconclusive"),
    ("transcription fine-tuning justified", f"at least {MIN_FINETUNE_AUDIO_MIN:g} minutes of transcribed audio with "
     "references", "not justified, with the minutes measured"),
    ("a model's licence (models used)", MODEL_RULE + "; flagged non-commercial when the stated licence forbids "
     "commercial use", "not stated (a Hugging Face model card without `license:`), or not known until the model is "
     "loaded"),
)


def claims_table() -> str:
    """CLAIM_RULES as a Markdown table."""
    rows = ["| claim | rule | when the evidence does not decide |", "|---|---|---|"]
    rows += [f"| {claim} | {rule} | {otherwise} |" for claim, rule, otherwise in CLAIM_RULES]
    return "\n".join(rows)
