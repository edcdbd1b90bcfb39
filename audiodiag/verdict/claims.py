"""A statement is data before it is text: what it is about, what it says, the numbers it rests on and the rule that
decided it. Renderers (the note's Markdown and JSON, the pages, the CLI) only format claims.

>>> claim = Claim(Kind.CURVE, ("baseline",), "flat", "baseline: the learning curve is flat.",
...               {"slope_per_doubling": 0.004}, "last step's CI below +0.02 per doubling")
>>> claim.to_dict()["verdict"]
'flat'
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """Every kind of statement a classification note makes; one rule per kind, run by `audiodiag.verdict.rules`."""

    DATA = "data"  # what was given: clips, classes
    FOLDS = "folds"
    LEAKAGE = "leakage"  # speaker/source leakage: measured present/absent, unmeasured, ignored, unmeasurable
    # speaker leakage on voices inferred by the speaker encoder (no group column): present / absent / not estimated
    LEAKAGE_ESTIMATED = "leakage_estimated"
    PADDING = "padding"
    BASELINE = "baseline"
    ENCODER_VS_BASELINE = "encoder_vs_baseline"  # does this encoder beat the baseline: yes / no / inconclusive
    RECOMMENDATION = "recommendation"  # the rung to use: the headline
    UNAVAILABLE = "unavailable"  # an encoder that could not run
    ERRORS = "errors"  # what the chosen rung still gets wrong
    LABEL_ISSUES = "label_issues"
    CURVE = "curve"  # would more labels help: rising / flat / saturated / inconclusive
    FINE_TUNING = "fine_tuning"  # justified / not justified / refused / measured
    PROBLEM = "problem"  # a finding that can invalidate the comparison
    CHECKED = "checked"  # "none detected": names only what was measured
    ADVICE = "advice"  # a finding that does not invalidate the comparison
    # the retrieval note (audiodiag.verdict.retrieval)
    GROUP_RULE = "group_rule"  # may a query's own speaker/source answer it: excluded / included / unmeasured
    RETRIEVAL_SCORES = "retrieval_scores"  # one space's leave-one-out retrieval scores
    RETRIEVAL_VS_BASELINE = "retrieval_vs_baseline"  # a space against the baseline: better / worse / mixed / undecided
    READING = "reading"  # what one space's neighbours follow: the group, the group rule, unscored queries
    # the transcription note (audiodiag.verdict.transcription)
    WER = "wer"  # one model's corpus WER with its CI: the headline
    WER_SCORES = "wer_scores"  # corpus and mean per-utterance WER, CER, edit counts
    # two run folders side by side (audiodiag.verdict.runs)
    RUNS_HEADLINE = "runs_headline"  # did the recommended rung change: changed / unchanged
    RUNS_RUNG = "runs_rung"  # one space's verdict against the baseline in each run: changed / unchanged / added / gone
    RUNS_FINDINGS = "runs_findings"  # findings added and gone
    RUNS_CLIPS = "runs_clips"  # clips in both runs, only in one, relabelled
    RUNS_PREDICTIONS = "runs_predictions"  # one space's out-of-fold predictions that changed
    RUNS_SETTINGS = "runs_settings"  # settings that differ
    # every note (audiodiag.verdict.models)
    MODEL = "model"  # a model the run used: its licence as its package states it (flagged non-commercial), weights


class Severity(str, Enum):
    INVALIDATES = "invalidates"  # the comparison itself may be wrong
    WARNING = "warning"
    ADVICE = "advice"
    INFO = "info"


@dataclass(frozen=True)
class Claim:
    """One statement, made by exactly one rule.

    subject: the spaces, files or columns it is about; verdict: its answer in a word ("yes", "flat", "measured");
    text: the sentences the renderers show (one line each, "\n" between); evidence: the numbers it rests on; rule: what decided it."""

    kind: Kind
    subject: tuple[str, ...]
    verdict: str
    text: str
    evidence: Mapping[str, object] = field(default_factory=dict)
    rule: str = ""
    severity: Severity = Severity.INFO

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "subject": list(self.subject), "verdict": self.verdict, "text": self.text,
                "evidence": dict(self.evidence), "rule": self.rule, "severity": self.severity.value}
