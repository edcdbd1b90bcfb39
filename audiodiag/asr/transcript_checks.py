"""Sanity checks on reference transcripts before they score anything: characters per second of speech.

Read speech runs at about 12-16 characters per second (spaces included). A reference far faster than that
usually belongs to another clip or goes with audio that was cut; one far slower is partial or misplaced; an
empty one on a clip with speech scores nothing. Each finding names the file, the value, what was expected and
the fix. Speech seconds come from voice activity detection where measured, else the clip duration.

>>> char_rate_findings(["a.wav"], ["x" * 60], speech_s=[1.5], duration_s=[2.0])[0].code
'transcript_too_fast'
"""
from __future__ import annotations

from collections.abc import Sequence

from audiodiag.errors import BadParameterError
from audiodiag.findings import Code
from audiodiag.types import Finding

MIN_CHARS_PER_S = 5.0  # slower than this: a partial transcript, or one that belongs to a longer clip
MAX_CHARS_PER_S = 25.0  # faster than this: text for another clip, or audio cut short
MIN_JUDGED_S = 1.0  # clips with less speech than this are not judged: VAD edges alone move the rate a lot


def speech_seconds(speech_fractions: Sequence[float | None], duration_s: Sequence[float]) -> list[float | None]:
    """Seconds of detected speech per clip (speech fraction × duration); None where VAD measured nothing.

    >>> speech_seconds([0.5, None], [4.0, 3.0])
    [2.0, None]
    """
    _same_length(speech_fractions=speech_fractions, duration_s=duration_s)
    return [None if f is None else f * d for f, d in zip(speech_fractions, duration_s, strict=True)]


def reference_chars(reference: str) -> int:
    """Characters of a reference as spoken text: whitespace collapsed to single spaces, punctuation kept."""
    return len(" ".join(reference.split()))


def chars_per_second(references: Sequence[str | None], *, speech_s: Sequence[float | None],
                     duration_s: Sequence[float]) -> list[float | None]:
    """Characters of each reference per second of speech (VAD speech seconds where given, else the duration);
    None where the clip is not judged (no reference, or less than MIN_JUDGED_S of speech).

    >>> chars_per_second(["x" * 30, None], speech_s=[2.0, 2.0], duration_s=[3.0, 3.0])
    [15.0, None]
    """
    _same_length(references=references, speech_s=speech_s, duration_s=duration_s)
    rates = []
    for ref, seconds in zip(references, _judged_seconds(speech_s, duration_s), strict=True):
        rates.append(None if ref is None or seconds < MIN_JUDGED_S else reference_chars(ref) / seconds)
    return rates


def char_rate_findings(names: Sequence[str], references: Sequence[str | None], *, speech_s: Sequence[float | None],
                       duration_s: Sequence[float]) -> list[Finding]:
    """Warnings for empty references on clips with speech ("empty_transcript") and for references far too fast
    ("transcript_too_fast", above MAX_CHARS_PER_S) or too slow ("transcript_too_slow", below MIN_CHARS_PER_S) for
    the clip's speech. Missing references (None) and clips with less than MIN_JUDGED_S of speech are not judged.

    speech_s: seconds of detected speech per clip (None: not measured, the clip duration is used instead).
    duration_s: clip durations in seconds.
    """
    _same_length(names=names, references=references, speech_s=speech_s, duration_s=duration_s)
    findings = []
    for name, ref, speech, seconds, rate in zip(names, references, speech_s, _judged_seconds(speech_s, duration_s),
                                               chars_per_second(references, speech_s=speech_s,
                                                                duration_s=duration_s), strict=True):
        if rate is None:
            continue
        of = "detected speech" if speech is not None else "audio (no speech measurement; the whole clip counted)"
        expected = f"expected {MIN_CHARS_PER_S:g}–{MAX_CHARS_PER_S:g}"
        if not ref.strip():
            findings.append(Finding(Code.EMPTY_TRANSCRIPT, "warning", (
                f"{name}: the reference transcript is empty, but the clip has {seconds:.2f} s of {of} ({expected} "
                "characters per second). It cannot be scored (no WER). Fix: write the transcript or remove the clip"),
                (name,)))
        elif rate > MAX_CHARS_PER_S:
            findings.append(Finding(Code.TRANSCRIPT_TOO_FAST, "warning", (
                f"{name}: {rate:.1f} characters per second of speech ({reference_chars(ref)} characters over "
                f"{seconds:.2f} s of {of}; {expected}). The transcript may belong to another clip, or the audio is "
                "cut. Fix: check the pairing and that the file is complete"), (name,)))
        elif rate < MIN_CHARS_PER_S:
            findings.append(Finding(Code.TRANSCRIPT_TOO_SLOW, "warning", (
                f"{name}: {rate:.1f} characters per second of speech ({reference_chars(ref)} characters over "
                f"{seconds:.2f} s of {of}; {expected}). The transcript may be partial or belong to another clip. "
                "Fix: check that it covers everything said in this file"), (name,)))
    return findings


def reference_findings(names: Sequence[str], references: Sequence[str | None],
                       speech_fractions: Sequence[float | None], duration_s: Sequence[float]) -> list[Finding]:
    """`char_rate_findings` from what a measured dataset holds: speech fractions (VAD) and durations per clip."""
    return char_rate_findings(names, references, speech_s=speech_seconds(speech_fractions, duration_s),
                              duration_s=duration_s)


def _judged_seconds(speech_s: Sequence[float | None], duration_s: Sequence[float]) -> list[float]:
    return [duration if speech is None else speech for speech, duration in zip(speech_s, duration_s, strict=True)]


def _same_length(**sequences: Sequence) -> None:
    lengths = {name: len(values) for name, values in sequences.items()}
    if len(set(lengths.values())) > 1:
        raise BadParameterError("one value per clip is needed, but got " + ", ".join(
            f"{n} {name}" for name, n in lengths.items()) + "; pass lists that describe the same clips")
