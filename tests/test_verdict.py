"""The verdict engine: each claim rule on evidence with a known answer (one test per class of false sentence the
issue lists), the consistency check, and random evidence that must never yield contradicting claims."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiodiag import cli, fixes
from audiodiag.data import sources
from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.evaluation.evaluate import PairedComparison, SplitComparison
from audiodiag.represent import encoders
from audiodiag.settings import ComparisonSettings
from audiodiag.types import Finding, Readiness
from audiodiag.verdict import Claim, Kind, check_consistency, classification_claims, decide, enforce
from audiodiag.verdict.consistency import ConsistencyError
from audiodiag.verdict.data_findings import CHECKED_LEAKAGE
from audiodiag.verdict.evidence import ClassificationEvidence, Curve, Groups, Rung
from pages import _fixes as wording
from tests.helpers import long_sentences

BASE, ENC, SOUND = "spectral baseline", "whisper", encoders.AISFX


def rung(space: str, accuracy: float, *, low: float | None = None, high: float | None = None, ms: float = 1.0,
         split: SplitComparison | None = None, issues=None, f1: dict | None = None) -> Rung:
    a = Estimate(accuracy, accuracy - 0.05 if low is None else low, min(1.0, accuracy + 0.05) if high is None else high)
    return Rung(space, a, a, ms / 1e3, 8, 1.0, f1 or {"a": accuracy, "b": accuracy},
                (("a", "b", 2),) if accuracy < 1 else (), split, issues)


def pair(b: str, verdict: str, *, d: tuple = (0.1, 0.02, 0.2), p: float = 0.01) -> PairedComparison:
    return PairedComparison(BASE, b, 60, 0.8, 0.9, Estimate(*d), 2, 8, p, verdict, f"{verdict}: ...")


def evidence(rungs, pairs=(), *, groups: Groups | None = None, curves=None, readiness=Readiness(True, "enough."),
             findings=(), **kw) -> ClassificationEvidence:
    return ClassificationEvidence(
        n_clips=60, class_counts={"a": 30, "b": 30}, folds_note="5-fold", n_splits=5,
        groups=groups or Groups(given=False, used=False, requested=True, n_groups=None, n_clips=60),
        padding_label="none", rungs=tuple(rungs), pairs=tuple(pairs), curves=curves or {}, readiness=readiness,
        findings=tuple(findings), audited=True, **kw)


def of(claims: list[Claim], kind: Kind) -> list[Claim]:
    return [c for c in claims if c.kind is kind]


# ---------------------------------------------------------------- 1. leakage

def test_without_groups_nothing_says_leakage_was_checked():
    claims = classification_claims(evidence([rung(BASE, 0.8)]))
    (leak,) = of(claims, Kind.LEAKAGE)
    (checked,) = of(claims, Kind.CHECKED)
    assert leak.verdict == "unmeasured" and "unmeasured" in leak.text
    assert CHECKED_LEAKAGE not in checked.subject and "leakage was not" in checked.text
    assert check_consistency(claims) == []


def test_groups_ignored_on_request_are_said_to_be_ignored():
    ignored = Groups(given=True, used=False, requested=False, n_groups=6, n_clips=60)
    (leak,) = of(classification_claims(evidence([rung(BASE, 0.8)], groups=ignored)), Kind.LEAKAGE)
    assert leak.verdict == "ignored" and fixes.USE_GROUPS in leak.text
    assert "run again without --no-groups" in fixes.render(leak.text, cli.CLI)


def test_every_clip_its_own_group_cannot_measure_leakage():
    alone = Groups(given=True, used=True, requested=True, n_groups=60, n_clips=60)
    split = SplitComparison(0.9, 0.8, "", "", False, "random folds 0.900, group-aware folds 0.800", (-0.1, 0.3))
    claims = classification_claims(evidence([rung(BASE, 0.8, split=split)], groups=alone))
    (leak,) = of(claims, Kind.LEAKAGE)
    assert leak.verdict == "unmeasurable" and "its own group" in leak.text
    assert CHECKED_LEAKAGE not in of(claims, Kind.CHECKED)[0].subject


def test_a_gap_inside_its_ci_is_no_leakage_and_one_outside_is():
    groups = Groups(given=True, used=True, requested=True, n_groups=6, n_clips=60)
    inside = SplitComparison(0.767, 0.667, "", "", False, "gap +0.100 (95 % CI -0.033 to +0.233)", (-0.033, 0.233))
    (leak,) = of(classification_claims(evidence([rung(BASE, 0.667, split=inside)], groups=groups)), Kind.LEAKAGE)
    assert leak.verdict == "absent" and "inflate" not in leak.text
    outside = replace(inside, leakage_suspected=True, gap_ci=(0.05, 0.2))
    (leak,) = of(classification_claims(evidence([rung(BASE, 0.667, split=outside)], groups=groups)), Kind.LEAKAGE)
    assert leak.verdict == "present" and "inflate" in leak.text


# ---------------------------------------------------------------- 2. the verdict's statistics

def test_undecided_says_why_with_the_numbers_that_decided():
    """A CI above 0 whose p the Holm adjustment lifts to 0.0755 is inconclusive; the headline says so, and does not
    say the CI reaches 0."""
    p = replace(pair(ENC, "inconclusive", d=(0.167, 0.017, 0.317), p=0.03), p_adjusted=0.0755, n_compared=2)
    claims = classification_claims(evidence([rung(BASE, 0.7), rung(ENC, 0.867), rung(SOUND, 0.7)],
                                            [p, pair(SOUND, "no", d=(0.0, -0.1, 0.0), p=1.0)]))
    (head,) = of(claims, Kind.RECOMMENDATION)
    assert head.verdict == "undecided"
    assert "lies above 0, but paired p = 0.03, Holm-adjusted over 2 encoders 0.0755 is not below 0.05" in head.text
    assert "reaches 0" not in head.text.split(ENC)[1].split(";")[0] and "could be chance" not in head.text
    single = pair(ENC, "inconclusive", d=(0.1, -0.01, 0.21), p=0.08)  # one encoder: p and CI agree
    (head,) = of(classification_claims(evidence([rung(BASE, 0.7), rung(ENC, 0.8)], [single])), Kind.RECOMMENDATION)
    assert "paired p = 0.08, and the CI of the difference -0.010 to +0.210 reaches 0" in head.text


def test_tied_winners_are_named_and_the_cheaper_is_recommended():
    claims = classification_claims(evidence(
        [rung(BASE, 0.8), rung(ENC, 1.0, low=0.94, ms=10), rung(SOUND, 1.0, low=0.94, ms=80)],
        [pair(ENC, "yes"), pair(SOUND, "yes")]))
    (head,) = of(claims, Kind.RECOMMENDATION)
    assert head.subject == (ENC,) and f"ties with {SOUND}" in head.text and "cheapest" in head.text


def test_the_best_rung_line_names_a_higher_but_unproven_encoder():
    claims = classification_claims(evidence([rung(BASE, 0.960), rung(ENC, 0.977)],
                                            [pair(ENC, "inconclusive", d=(0.017, -0.02, 0.05), p=0.4)]))
    (ft,) = of(claims, Kind.FINE_TUNING)
    assert "Best rung so far: spectral baseline" in ft.text and f"{ENC} scored 0.977" in ft.text


# ---------------------------------------------------------------- 3. learning curves

@pytest.mark.parametrize("trend, state", [("flat", "justified"), ("inconclusive", "not justified"),
                                          ("rising", "not justified"), (None, "not justified")])
def test_fine_tuning_follows_the_curve_claim(trend, state):
    curves = {} if trend is None else {ENC: Curve(ENC, trend, 0.018, (0.007, 0.031), ((6, 0.8), (12, 0.82)))}
    claims = classification_claims(evidence([rung(BASE, 0.7), rung(ENC, 0.85)], [pair(ENC, "yes")], curves=curves))
    (ft,) = of(claims, Kind.FINE_TUNING)
    assert ft.verdict == state and ft.evidence["curve_trend"] == trend
    assert ("flat below perfect accuracy" in ft.text) == (trend == "flat")
    assert check_consistency(claims) == []


# ---------------------------------------------------------------- 4. advice that ignores what was measured

def test_no_advice_to_try_a_sound_encoder_that_was_measured():
    from audiodiag.measure.dataset import SOUND_ENCODER_ADVICE

    finding = Finding("non_speech_for_speech_encoder", "warning", f"{ENC} is a speech model ...{SOUND_ENCODER_ADVICE}")
    measured = evidence([rung(BASE, 0.8), rung(ENC, 0.9), rung(SOUND, 0.9)],
                        [pair(ENC, "yes"), pair(SOUND, "inconclusive", d=(0.05, -0.01, 0.1), p=0.2)],
                        findings=[finding])
    (advice,) = of(classification_claims(measured), Kind.ADVICE)
    assert "natural first try" not in advice.text and not advice.evidence["suggests"]
    only_speech = evidence([rung(BASE, 0.8), rung(ENC, 0.9)], [pair(ENC, "yes")], findings=[finding])
    (advice,) = of(classification_claims(only_speech), Kind.ADVICE)
    assert "natural first try" in advice.text and advice.evidence["suggests"] == [SOUND]


def test_a_refusal_does_not_advise_the_frozen_encoder_when_the_baseline_is_recommended():
    from audiodiag.evaluation import finetune

    reason = finetune.finetune_readiness(["a"] * 5 + ["b"] * 5, ).reason
    assert "linear probe" not in reason and "frozen" not in reason


# ---------------------------------------------------------------- 6. label issues from the right rung

def test_label_issues_come_from_the_most_accurate_rung():
    weak = SimpleNamespace(space=BASE, unavailable=None, issues=(), n_clips=60, share=0.0, method="m")
    strong = SimpleNamespace(space=ENC, unavailable=None, issues=(), n_clips=60, share=0.0, method="m")
    claims = classification_claims(evidence([rung(BASE, 0.7, issues=weak), rung(ENC, 0.9, issues=strong)],
                                            [pair(ENC, "inconclusive", d=(0.2, -0.01, 0.3), p=0.06)]))
    (issues,) = of(claims, Kind.LABEL_ISSUES)
    assert issues.subject == (ENC,) and "the most accurate" in issues.text


# ---------------------------------------------------------------- 7. numbers that disagree

def test_perfect_classes_are_not_listed_as_the_lowest_f1():
    (errors,) = of(classification_claims(evidence([rung(BASE, 1.0, f1={"bell": 1.0, "engine": 1.0})])), Kind.ERRORS)
    assert "Lowest per-class F1" not in errors.text
    (errors,) = of(classification_claims(evidence([rung(BASE, 0.9, f1={"bell": 1.0, "engine": 0.8})])), Kind.ERRORS)
    assert "Lowest per-class F1: engine 0.80." in errors.text and "bell" not in errors.text


# ---------------------------------------------------------------- the consistency check

def test_the_check_finds_each_kind_of_contradiction():
    claims = [Claim(Kind.RECOMMENDATION, (ENC,), "frozen encoder", ""),
              Claim(Kind.ENCODER_VS_BASELINE, (ENC,), "inconclusive", ""),
              Claim(Kind.LEAKAGE, (), "unmeasured", ""),
              Claim(Kind.CHECKED, (CHECKED_LEAKAGE,), "none", "None detected: leakage checked."),
              Claim(Kind.BASELINE, (SOUND,), "measured", ""),
              Claim(Kind.ADVICE, (), "x", "", {"suggests": [SOUND]}),
              Claim(Kind.CURVE, (ENC,), "inconclusive", ""),
              Claim(Kind.FINE_TUNING, (ENC,), "justified", "", {"curve_trend": "inconclusive"})]
    found = " | ".join(check_consistency(claims))
    for expected in ("recommends whisper, whose pair verdict is 'inconclusive'", "says leakage was checked",
                     "which this run measured", "justified with a 'inconclusive' learning curve"):
        assert expected in found
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUDIODIAG_STRICT_CLAIMS", "1")
        with pytest.raises(ConsistencyError, match="contradicting claims"):
            enforce(claims)


VERDICTS = st.sampled_from(["yes", "no", "inconclusive"])
TRENDS = st.sampled_from(["rising", "flat", "saturated", "inconclusive", None])


@st.composite
def random_evidence(draw) -> ClassificationEvidence:
    """Evidence of any shape a run can produce: 0-3 encoders with any verdicts, accuracies, costs, curves, groups,
    readiness and findings."""
    n_enc = draw(st.integers(0, 3))
    names = [f"enc{i}" for i in range(n_enc)]
    acc = st.floats(0.3, 1.0)
    rungs = [rung(BASE, draw(acc))] + [rung(n, draw(acc), ms=draw(st.floats(0.1, 100))) for n in names]
    pairs = []
    for n in names:
        v = draw(VERDICTS)
        low = draw(st.floats(-0.3, 0.3))
        pairs.append(pair(n, v, d=(low + 0.05, low, low + 0.1), p=draw(st.floats(1e-6, 1.0))))
    curves = {}
    for r in rungs:
        trend = draw(TRENDS)
        if trend is not None:
            curves[r.space] = Curve(r.space, trend, 0.01, (-0.01, 0.03), ((6, 0.8), (12, 0.81)))
    given, used = draw(st.booleans()), draw(st.booleans())
    n_groups = draw(st.sampled_from([None, 3, 60]))
    groups = Groups(given=given, used=given and used, requested=draw(st.booleans()), n_groups=n_groups if given
                    else None, n_clips=60)
    findings = draw(st.lists(st.sampled_from([
        Finding("duplicate_across_folds", "warning", "dup", ("a.wav",)),
        Finding("sample_rate_mismatch", "warning", "rate", ()),
        Finding("non_speech_for_speech_encoder", "warning", "enc0 is a speech model"), ]), max_size=2))
    readiness = draw(st.sampled_from([None, Readiness(True, "enough."), Readiness(False, "too few.")]))
    return evidence(rungs, pairs, groups=groups, curves=curves, readiness=readiness, findings=findings)


@settings(max_examples=300, deadline=None)
@given(random_evidence())
def test_random_evidence_never_yields_contradicting_claims(e):
    claims = classification_claims(e)
    assert check_consistency(claims) == []
    assert sum(c.kind is Kind.RECOMMENDATION for c in claims) == 1
    assert all("-0.000" not in c.text and "−0.000" not in c.text for c in claims)
    for reader in (cli.CLI, wording.APP, fixes.LIBRARY):  # writing: no sentence over 35 words, in every reader's words
        assert [s for c in claims for s in long_sentences(fixes.render(c.text, reader))] == []


@pytest.mark.parametrize("name", ["sounds", "spoken_digits"])
def test_notes_on_the_bundled_sets_have_no_sentence_over_35_words(name):
    _, clips, _ = sources.load(name)
    note = decide.run_classification(clips, ComparisonSettings(encoders=()), dataset_name=name).note
    assert [s for section in note.sections for line in section.lines for s in long_sentences(line)] == []


def test_advice_about_an_encoder_states_what_was_measured_for_it():
    """Class 4: "the model sees an empty band from 4000 to 8000 Hz" next to that encoder winning must say so."""
    upsampled = Finding("sample_rate_mismatch", "warning",
                        "120 clips at 8000 Hz will be resampled to 16000 Hz for enc0. The model sees an empty band.")
    e = evidence([rung(BASE, 0.86), rung("enc0", 0.99)], [pair("enc0", "yes", d=(0.13, 0.075, 0.184))],
                 findings=[upsampled])
    (said,) = [c for c in classification_claims(e) if c.kind is Kind.ADVICE]
    assert said.text.endswith("Measured: enc0 beats the baseline here (+0.130, 95 % CI +0.075 to +0.184).")
    other = Finding("mixed_sample_rates", "warning", "Clips come at 8000 and 16000 Hz.")
    (plain,) = [c for c in classification_claims(replace(e, findings=(other,))) if c.kind is Kind.ADVICE]
    assert plain.text == other.message  # names no encoder: nothing appended
