"""One rule per claim kind: each small function turns the evidence into the claims of its kind, and nothing else
in the library writes those sentences. `classification_claims` runs them all in the note's order.

Example: a run without groups says leakage is unmeasured, and its "none detected" line does not say it was checked.

>>> from audiodiag.verdict.evidence import Groups
>>> leakage(Groups(given=False, used=False, requested=True, n_groups=None, n_clips=40), ()).verdict
'unmeasured'
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from audiodiag import fixes
from audiodiag.evaluation.curves import RISING_PER_DOUBLING
from audiodiag.evaluation.evaluate import SIGNIFICANCE_LEVEL, PairedComparison, format_p, signed
from audiodiag.findings import CLASSIFY, Code, invalidating
from audiodiag.measure import speakers as voices
from audiodiag.types import Finding, Readiness
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.evidence import ClassificationEvidence, Curve, Groups, InferredSpeakers, Rung

HEADROOM_MIN = 0.03  # best accuracy within this of 1.0: no room for fine-tuning to show a gain
WORST_CLASSES = 3
LABEL_ISSUES_SHOWN = 5  # possibly mislabelled clips named in the note; its data lists every one
# findings that can make the comparison itself wrong (leakage, shortcuts, label noise); the rest is advice
INVALIDATING = invalidating(CLASSIFY)  # the registry's codes that can make a comparison wrong
# what the "none detected" line may name, each only when it was measured in this run
CHECKED_DUPLICATES = "exact and near duplicates across folds"
CHECKED_DURATION = "duration shortcuts"
CHECKED_METADATA = "metadata shortcuts"
CHECKED_LEAKAGE = "speaker/source leakage (random vs group-aware folds)"
PAIR_RULE = (f"paired p < {SIGNIFICANCE_LEVEL:g} (Holm-adjusted over the encoders of the run) with the encoder ahead "
             "(yes); the 95 % CI of the accuracy difference at or below 0 (no); otherwise inconclusive. p and CI come "
             "from one statistic (Agresti–Min, clustered by speaker/source when groups are known)")
LEAKAGE_RULE = ("random-fold minus group-aware accuracy on the same clips: paired p < 0.05, Holm-adjusted over the "
                "rungs, with random folds ahead (the same paired statistic, clustered by speaker/source)")
ESTIMATED_LEAKAGE_RULE = ("without a group column, in speech: random-fold minus inferred-voice-fold accuracy, paired p < "
                          "0.05 (Holm over the rungs, clustered by inferred voice) with random folds ahead; voices are "
                          "the speaker encoder's, clustered at cosine distance "
                          f"{voices.VOICE_DISTANCE:g} ({voices.VOICE_LINKAGE} linkage): an estimate, not known speakers")



def ms_per_clip(seconds: float) -> str:
    """Extraction time per clip, as every note, table and page writes it.

    >>> ms_per_clip(0.02083), ms_per_clip(float("nan"))
    ('20.8 ms', 'not measured')
    """
    return "not measured" if seconds != seconds else f"{seconds * 1e3:.1f} ms"


def _counts(counts: dict) -> str:
    items = list(counts.items())
    shown = ", ".join(f"{k}: {v}" for k, v in items[:8])
    return shown + (f", … {len(items) - 8} more" if len(items) > 8 else "")


def data(evidence: ClassificationEvidence) -> list[Claim]:
    return [Claim(Kind.DATA, (), "given", f"{evidence.n_clips} labelled clips, {len(evidence.class_counts)} classes "
                  f"({_counts(evidence.class_counts)}).", {"n_clips": evidence.n_clips}),
            Claim(Kind.FOLDS, (), str(evidence.n_splits), f"Folds: {evidence.folds_note}",
                  {"n_splits": evidence.n_splits})]


def split_line(space: str, check) -> str:
    """One space's leakage check (an `evaluate.SplitComparison`) as the note and the pages write it."""
    low, high = check.gap_ci
    return (f"{space}: random folds {check.random_accuracy:.3f}, group-aware {check.group_accuracy:.3f}, gap "
            f"{signed(check.gap)}, 95 % CI {signed(low)} to {signed(high)}")


def leakage(groups: Groups, rungs: Sequence[Rung]) -> Claim:
    """Speaker/source leakage: "present" or "absent" only when random and group-aware folds were both scored; else
    "ignored" (groups given, random folds asked for), "unmeasurable" (every clip its own group) or "unmeasured"."""
    checks = [(r.space, r.split_check) for r in rungs if r.split_check is not None]
    if groups.predefined_folds:
        kept = (" Whether they keep each group apart is checked under Problems." if groups.given else
                f" To measure it, {fixes.ADD_GROUPS}.")
        return Claim(Kind.LEAKAGE, (), "unmeasured", (
            "The folds are the dataset's own ('fold' column), used as given. A fold column does not say which clips "
            "share a speaker or source, so speaker/source leakage is unmeasured here." + kept),
            {}, "predefined folds", Severity.INFO)
    if groups.used and groups.every_clip_alone:
        return Claim(Kind.LEAKAGE, (), "unmeasurable", (
            f"Speaker/source leakage cannot be measured: each of the {groups.n_clips} clips is its own group, so "
            "group-aware folds are random folds. If clips share speakers or sources, name that column instead."),
            {"n_groups": groups.n_groups}, "every clip in its own group", Severity.WARNING)
    if groups.used and checks:
        leaking = [(space, c) for space, c in checks if c.leakage_suspected]
        evidence = {space: {"random": c.random_accuracy, "group_aware": c.group_accuracy, "gap_ci": list(c.gap_ci)}
                    for space, c in checks}
        if leaking:
            return Claim(Kind.LEAKAGE, tuple(s for s, _ in leaking), "present", (
                "Speaker/source leakage is measured, and avoided: random folds would inflate the score, beyond "
                "chance (paired p < 0.05, Holm-adjusted over the rungs, clustered by group). " + "; ".join(split_line(s, c) for s, c in leaking)
                + ". The scores here keep each group in one fold."), evidence, LEAKAGE_RULE, Severity.INFO)
        return Claim(Kind.LEAKAGE, (), "absent", (
            "Speaker/source leakage is measured and not shown: random folds score no higher than group-aware folds "
            "beyond chance (paired p ≥ 0.05 after Holm, clustered by group). "
            + "; ".join(split_line(s, c) for s, c in checks) + "."), evidence, LEAKAGE_RULE)
    if groups.given and not groups.requested:
        return Claim(Kind.LEAKAGE, (), "ignored", (
            "Groups were ignored on request, so clips of one speaker or source can sit in training and test. Every "
            f"accuracy here is an upper bound. To measure the leakage, {fixes.USE_GROUPS}."),
            {}, "groups given, random folds requested", Severity.WARNING)
    return Claim(Kind.LEAKAGE, (), "unmeasured", (
        "Speaker/source leakage is unmeasured: the clips have no group (speaker, session, source recording), so the "
        "folds are random. Clips of one speaker or source may sit in training and test, so every accuracy here is an "
        f"upper bound. To measure it, {fixes.ADD_GROUPS}."), {}, "no groups", Severity.WARNING)


def estimated_split_line(space: str, check) -> str:
    """One space's check on inferred voices (an `evaluate.SplitComparison`), worded apart from `split_line`."""
    low, high = check.gap_ci
    return (f"{space}: random folds {check.random_accuracy:.3f}, estimated-speaker folds {check.group_accuracy:.3f}, "
            f"gap {signed(check.gap)}, 95 % CI {signed(low)} to {signed(high)}")


def estimated_leakage(speakers: InferredSpeakers | None, rungs: Sequence[Rung], groups: Groups) -> Claim | None:
    """Speaker leakage on inferred voices, for speech without a group column: "present" / "absent" when the check
    ran, else "not estimated" with the reason; None when it was not attempted or the clips have groups."""
    if speakers is None or speakers.status == voices.GROUPS_GIVEN or groups.given:
        return None
    checks = [(r.space, r.estimated_split_check) for r in rungs if r.estimated_split_check is not None]
    n = speakers.n_voices
    if speakers.status == voices.ESTIMATED and checks:
        evidence = {"n_voices": n, **{space: {"random": c.random_accuracy, "estimated_speaker": c.group_accuracy,
                                              "gap_ci": list(c.gap_ci)} for space, c in checks}}
        leaking = [(space, c) for space, c in checks if c.leakage_suspected]
        said = (f"Speaker leakage estimated, not measured: the clips have no speaker column, so the speaker encoder "
                f"inferred the speakers from their voices ({n} groups).")
        if leaking:
            return Claim(Kind.LEAKAGE_ESTIMATED, tuple(s for s, _ in leaking), "present", (
                f"{said} Random folds beat folds that keep each inferred voice apart, beyond chance (paired p < 0.05, "
                "Holm-adjusted). " + "; ".join(estimated_split_line(s, c) for s, c in leaking)
                + ". The scores here use random folds, so read them as upper bounds."), evidence,
                ESTIMATED_LEAKAGE_RULE, Severity.WARNING)
        return Claim(Kind.LEAKAGE_ESTIMATED, (), "absent", (
            f"{said} Random folds score no higher than folds that keep each inferred voice apart, beyond chance "
            "(paired p ≥ 0.05 after Holm). " + "; ".join(estimated_split_line(s, c) for s, c in checks) + "."),
            evidence, ESTIMATED_LEAKAGE_RULE)
    why = {
        voices.NOT_SPEECH: f"speech is {speakers.speech_share or 0.0:.0%} of the audio, and voices are inferred only "
                           f"from {voices.SPEECH_MAJORITY:.0%}",
        voices.TOO_FEW_CLIPS: f"{speakers.n_clips} clips are too few to infer voices from (at least "
                              f"{voices.SPEAKER_MIN_CLIPS})",
        voices.NO_AUDIO: "a streamed run keeps no audio to infer voices from",
        voices.UNAVAILABLE: f"the speaker encoder could not run ({speakers.detail.rstrip('.')})",
        voices.ONE_VOICE: f"the speaker encoder hears one voice in all {speakers.n_clips} clips, so none can be held out",
        voices.EVERY_CLIP_ALONE: f"the speaker encoder hears another voice in each of the {speakers.n_clips} clips",
        voices.FOLLOWS_LABELS: (f"the {n} inferred voices follow the labels (adjusted mutual information "
                                f"{speakers.label_ami or 0.0:.2f}, at least {voices.LABEL_AMI_MAX:g}). Either each "
                                "class has its own speakers, a shortcut to check, or the encoder hears the words"),
        voices.NO_FOLDS: (f"folds that keep the {n} inferred voices apart cannot be drawn "
                          f"({speakers.detail.split(';')[0]})"),
        voices.PREDEFINED_FOLDS: "the dataset's own folds are used as given",
    }.get(speakers.status, f"no rung was checked ({speakers.status})")
    return Claim(Kind.LEAKAGE_ESTIMATED, (), "not estimated", f"Speaker leakage was not estimated: {why}.",
                 {"status": speakers.status, "n_clips": speakers.n_clips}, ESTIMATED_LEAKAGE_RULE)


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


def most_accurate(evidence: ClassificationEvidence) -> Rung:
    return max(evidence.rungs, key=lambda r: r.accuracy.value)


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


def findings(evidence: ClassificationEvidence) -> list[Claim]:
    """Problems that can invalidate the comparison, advice, and — when no problem was found — what was checked."""
    shown = [f for f in evidence.findings if f.severity in ("error", "warning")]
    out = [Claim(Kind.PROBLEM, tuple(f.files), f.code, f.message, {}, "data check", Severity.INVALIDATES)
           for f in shown if f.code in INVALIDATING]
    if evidence.shortcut is not None:
        out.append(Claim(Kind.PROBLEM, (), "metadata_shortcut", f"Metadata shortcut: {evidence.shortcut}.", {},
                         "metadata audit", Severity.INVALIDATES))
    if not out:
        checked = [CHECKED_DUPLICATES, CHECKED_DURATION]
        if evidence.audited:
            checked.append(CHECKED_METADATA)
        leak = leakage(evidence.groups, evidence.rungs)
        if leak.verdict in ("present", "absent"):
            checked.append(CHECKED_LEAKAGE)
        out.append(Claim(Kind.CHECKED, tuple(checked), "none", "Nothing detected: " + ", ".join(checked)
                         + " were checked." + ("" if CHECKED_LEAKAGE in checked else
                                               " Speaker/source leakage was not (see Task and data)."),
                         {"checked": checked}))
    measured = set(evidence.measured_spaces)
    for f in shown:
        if f.code not in INVALIDATING:
            out.append(advice(f, evidence, measured))
    return out


def no_advice(evidence: ClassificationEvidence) -> str:
    """The advice section's line when the data checks found nothing to advise."""
    if len(evidence.rungs) < 2:
        return "Nothing to advise: no encoder was compared, so only the checks that need no model ran."
    return "Nothing to advise: sample rates, speech/non-speech and padding fit the compared encoders."


def names_encoder(finding: Finding, space: str) -> bool:
    """Whether the finding's message names this encoder, by its id or its display name."""
    from audiodiag.represent.encoders import ALIASES

    return ALIASES.get(space, space) in finding.message or space in finding.message


def sound_encoder_measured(spaces: Iterable[str]) -> bool:
    """Whether the sound encoder the non-speech finding suggests (aiSFX) is among the measured spaces."""
    from audiodiag.represent.encoders import AISFX, ALIASES

    return any(ALIASES.get(s, s) == AISFX for s in spaces)


def without_measured_suggestion(message: str, spaces: Iterable[str]) -> str:
    """The finding's message without its advice to try aiSFX when this run measured aiSFX itself."""
    from audiodiag.measure.dataset import SOUND_ENCODER_ADVICE

    return message.replace(SOUND_ENCODER_ADVICE, "") if sound_encoder_measured(spaces) else message


def advice(finding: Finding, evidence: ClassificationEvidence, measured: set[str]) -> Claim:
    """A finding that does not invalidate the comparison. Where it predicts something about an encoder this run
    measured (a speech model on non-speech, upsampled audio, padding), what the comparison measured follows it;
    it never advises trying a model this run measured."""
    from audiodiag.measure.dataset import SOUND_ENCODER_ADVICE
    from audiodiag.represent.encoders import AISFX

    text = without_measured_suggestion(finding.message, measured)
    suggests: list[str] = []
    said = []
    for pair in evidence.pairs:
        if names_encoder(finding, pair.name_b):
            d = pair.difference
            did = {"yes": "beats", "no": "does not beat"}.get(pair.verdict, "is not shown to beat")
            said.append(f"{pair.name_b} {did} the baseline here ({signed(d.value)}, 95 % CI {signed(d.ci_low)} to "
                        f"{signed(d.ci_high)})")
    if finding.code == Code.NON_SPEECH_FOR_SPEECH_ENCODER:
        if sound_encoder_measured(measured):
            said.append(f"the sound encoder {AISFX} was measured too (its row in the table)")
        elif SOUND_ENCODER_ADVICE in text:
            suggests.append(AISFX)
    text = text.rstrip(". ") + ". Measured: " + "; ".join(said) + "." if said else text
    return Claim(Kind.ADVICE, tuple(finding.files), finding.code, text, {"suggests": suggests}, "data check",
                 Severity.ADVICE)


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
