"""The data checks' findings as claims: the problems that can invalidate the comparison (leakage, shortcuts,
label noise), what was checked when none was found, and advice, which never suggests a model the run measured.
"""
from __future__ import annotations

from collections.abc import Iterable

from audiodiag.evaluation.evaluate import signed
from audiodiag.findings import CLASSIFY, Code, invalidating
from audiodiag.types import Finding
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.evidence import ClassificationEvidence
from audiodiag.verdict.leakage import leakage

# findings that can make the comparison itself wrong (leakage, shortcuts, label noise); the rest is advice
INVALIDATING = invalidating(CLASSIFY)  # the registry's codes that can make a comparison wrong
# what the "none detected" line may name, each only when it was measured in this run
CHECKED_DUPLICATES = "exact and near duplicates across folds"
CHECKED_DURATION = "duration shortcuts"
CHECKED_METADATA = "metadata shortcuts"
CHECKED_LEAKAGE = "speaker/source leakage (random vs group-aware folds)"


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
