"""Known answers for WER scoring: substitution counts, corpus vs mean WER, normalisation, flags, alignment."""
from __future__ import annotations

import math

import pytest

from audiodiag import wer
from audiodiag.errors import AudioDiagError


def test_one_substitution_in_a_four_word_reference_is_a_quarter():
    result = wer.score(["the cat sat down"], ["the cat sat up"], normalisation="none")
    assert result.corpus_wer.value == 0.25
    u = result.utterances[0]
    assert (u.substitutions, u.deletions, u.insertions, u.reference_words) == (1, 0, 0, 4)
    assert ("substitute", "down", "up") in u.alignment


def test_corpus_wer_is_not_the_mean_of_utterance_wers():
    refs = ["a b c d e f g h i j", "yes"]  # 10 words right, then 1 word wrong
    hyps = ["a b c d e f g h i j", "no"]
    result = wer.score(refs, hyps, normalisation="none")
    assert result.corpus_wer.value == pytest.approx(1 / 11)
    assert result.mean_utterance_wer == pytest.approx(0.5)
    assert result.corpus_wer.ci_low <= result.corpus_wer.value <= result.corpus_wer.ci_high


def test_normalisation_turns_a_total_miss_into_a_match():
    assert wer.score(["Hello, World!"], ["hello world"], normalisation="none").corpus_wer.value == 1.0
    assert wer.score(["Hello, World!"], ["hello world"], normalisation="basic").corpus_wer.value == 0.0
    assert wer.normalise("It's Mr. Smith", "english") == "it is mister smith"


def test_empty_reference_is_flagged_not_scored_as_zero():
    result = wer.score(["", "one two"], ["something said", "one two"], normalisation="basic")
    assert result.empty_references == (0,)
    assert math.isnan(result.utterances[0].wer) and result.utterances[0].insertions == 2
    assert result.corpus_wer.value == 0.0 and result.reference_words == 2
    with pytest.raises(AudioDiagError, match="every reference is empty"):
        wer.score([""], ["x"])


def test_hallucination_flags_silence_and_loops():
    flags = wer.hallucination_flags(["silent.wav", "loop.wav", "fine.wav"],
                                    ["thank you", "i am here i am here i am here now", "hello there"],
                                    [0.0, 0.9, 0.8])
    assert [name for name, _ in flags] == ["silent.wav", "loop.wav"]
    assert "0% speech" in flags[0][1] and "'i am here' repeats" in flags[1][1]


def test_alignment_html_escapes_transcripts():
    result = wer.score(["<b>bold</b> word"], ["<script>x</script> word"], normalisation="none")
    markup = wer.alignment_html(result.utterances[0])
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "substitution" in markup


def test_paired_difference_of_two_systems_on_the_same_utterances():
    refs = ["a b c d"] * 10
    a = wer.score(refs, ["a b c d"] * 10, normalisation="none")
    b = wer.score(refs, ["a b c x"] * 10, normalisation="none")
    diff = wer.paired_difference(a, b)
    assert diff.value == pytest.approx(0.25) and diff.ci_low == pytest.approx(0.25)
