"""The leakage claims: speaker/source leakage measured on the dataset's groups (random against group-aware folds),
and estimated on the voices the speaker encoder infers when speech comes without a group column.

Example: a run without groups says leakage is unmeasured.

>>> from audiodiag.verdict.evidence import Groups
>>> leakage(Groups(given=False, used=False, requested=True, n_groups=None, n_clips=40), ()).verdict
'unmeasured'
"""
from __future__ import annotations

from collections.abc import Sequence

from audiodiag import fixes
from audiodiag.evaluation.evaluate import signed
from audiodiag.measure import speakers as voices
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.evidence import Groups, InferredSpeakers, Rung

LEAKAGE_RULE = ("random-fold minus group-aware accuracy on the same clips: paired p < 0.05, Holm-adjusted over the "
                "rungs, with random folds ahead (the same paired statistic, clustered by speaker/source)")
ESTIMATED_LEAKAGE_RULE = ("without a group column, in speech: random-fold minus inferred-voice-fold accuracy, paired p < "
                          "0.05 (Holm over the rungs, clustered by inferred voice) with random folds ahead; voices are "
                          "the speaker encoder's, clustered at cosine distance "
                          f"{voices.VOICE_DISTANCE:g} ({voices.VOICE_LINKAGE} linkage): an estimate, not known speakers")


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
