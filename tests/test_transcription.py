"""The transcription pipeline shared by the page and the CLI: formatting errors are named with the WER under both
normalisations, slices and flags reach the note, and unscored clips are still checked for hallucinations."""
from __future__ import annotations

import numpy as np

from audiodiag.asr import normalisers, wer
from audiodiag.verdict import transcribe
from tests.helpers import make_clip


def test_numbers_written_as_digits_are_named_as_formatting_with_both_wers():
    refs, hyps = ["there are twenty five students", "the lights are off"], ["there are 25 students", "the lights are off"]
    by_norm = {how: wer.score(refs, hyps, normalisation=how) for how in normalisers.names()}
    assert by_norm["basic"].corpus_wer.value == 2 / 9 and by_norm["english"].corpus_wer.value == 0.0
    line = transcribe.formatting_line(by_norm, "basic")
    assert line.startswith("2 of the 2 errors under 'basic' normalisation are formatting")
    assert "corpus WER 22.2% 'basic' vs 0.0% 'english'" in line
    assert transcribe.formatting_line(by_norm, "english") is None
    same = {how: wer.score(["a cat"], ["a dog"], normalisation=how) for how in normalisers.names()}
    assert transcribe.formatting_line(same, "basic") is None  # a real error is not formatting


def test_the_note_has_formatting_slices_and_flags_for_every_clip():
    clips = [make_clip(np.zeros(16_000, np.float32), name=f"{name}.wav", group=group)
             for name, group in (("a", "s1"), ("b", "s2"), ("silent", None))]
    note = transcribe.transcription_decision(
        "toy", "model", clips, ["there are twenty five students", "the lights are off", None],
        ["there are 25 students", "the lights are off", "thank you"], [0.9, 0.9, 0.0], normalisation="basic")
    text = note.to_markdown()
    assert "are formatting that the 'english' normaliser removes" in text
    assert "Corpus WER by normalisation: none" in text and "group / speaker = s1" in text
    assert "silent.wav" in text and "likely invented text" in text  # unscored clips are still checked
