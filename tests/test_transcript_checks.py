"""Known answers for the characters-per-second check on reference transcripts: a normal rate passes, far too
fast or slow and empty references warn with file, value, expectation and fix; short or unreferenced clips are
not judged."""
from __future__ import annotations

import pytest

from audiodiag.asr import transcript_checks as tc
from audiodiag.errors import AudioDiagError


def _one(reference, *, speech_s, duration_s=10.0):
    return tc.char_rate_findings(["a.wav"], [reference], speech_s=[speech_s], duration_s=[duration_s])


def test_thirty_characters_over_two_seconds_is_fifteen_per_second_and_fine():
    reference = "the quick brown fox jumps over"  # 30 characters, spaces included
    assert tc.chars_per_second([reference], speech_s=[2.0], duration_s=[3.0]) == [15.0]
    assert _one(reference, speech_s=2.0) == []


def test_sixty_characters_over_one_and_a_half_seconds_is_too_fast():
    (finding,) = _one("x" * 60, speech_s=1.5)
    assert finding.code == "transcript_too_fast" and finding.severity == "warning" and finding.files == ("a.wav",)
    assert finding.message.startswith("a.wav: 40.0 characters per second of speech (60 characters over 1.50 s of "
                                      "detected speech; expected 5–25)")
    assert "check the pairing" in finding.message


def test_five_characters_over_four_seconds_is_too_slow():
    (finding,) = _one("hello", speech_s=4.0)
    assert finding.code == "transcript_too_slow" and "1.2 characters per second" in finding.message
    assert "partial" in finding.message


def test_whitespace_is_collapsed_before_counting():
    assert tc.reference_chars("  the   cat \n sat ") == len("the cat sat")


def test_empty_reference_on_a_clip_with_speech_warns():
    (finding,) = _one("   ", speech_s=3.0)
    assert finding.code == "empty_transcript" and "3.00 s of detected speech" in finding.message
    assert "write the transcript or remove the clip" in finding.message


def test_clip_shorter_than_the_judged_minimum_is_not_judged():
    short = tc.MIN_JUDGED_S / 2
    assert _one("x" * 200, speech_s=short) == [] and _one("", speech_s=short) == []
    assert tc.chars_per_second(["x" * 200], speech_s=[short], duration_s=[10.0]) == [None]


def test_missing_reference_is_not_judged():
    assert _one(None, speech_s=3.0) == []
    assert tc.chars_per_second([None], speech_s=[3.0], duration_s=[3.0]) == [None]


def test_without_a_speech_measurement_the_duration_is_used_and_said():
    (finding,) = _one("x" * 100, speech_s=None, duration_s=2.0)
    assert "50.0 characters per second" in finding.message and "no speech measurement" in finding.message


def test_speech_seconds_and_length_mismatch():
    assert tc.speech_seconds([0.5, None], [4.0, 3.0]) == [2.0, None]
    with pytest.raises(AudioDiagError, match="2 names, 1 references"):
        tc.char_rate_findings(["a.wav", "b.wav"], ["x"], speech_s=[1.0], duration_s=[1.0])


def test_findings_reach_the_notes_data_problems_in_place_of_nothing_found():
    from audiodiag.asr import wer
    from audiodiag.verdict import notes

    scores = wer.score(["the cat sat down"], ["the cat sat down"])
    plain = notes.transcription_note("toy", "model", scores, audio_minutes=1.0)
    assert notes.NO_DATA_PROBLEMS in plain.to_markdown() and "transcript_findings" not in plain.data
    findings = _one("x" * 60, speech_s=1.5)
    note = notes.transcription_note("toy", "model", scores, audio_minutes=1.0, transcript_findings=findings)
    (problems,) = [s for s in note.sections if s.title == notes.DATA_PROBLEMS_TITLE]
    assert problems.lines == (findings[0].message,)
    assert note.data["transcript_findings"][0]["code"] == "transcript_too_fast"
    assert notes.with_transcript_findings(plain, findings) == note  # the same note for a caller holding one
