"""Known answers for WER scoring: substitution counts, corpus vs mean WER, normalisation, empty references,
bootstrap and paired intervals, slices, hallucination flags (with real VAD on a silent clip), alignment view."""
from __future__ import annotations

import math

import numpy as np
import pytest

from audiodiag.asr import normalisers, wer
from audiodiag.data import decoding, sample_sets
from audiodiag.errors import AudioDiagError, BadParameterError
from audiodiag.evaluation import intervals
from audiodiag.measure import vad
from audiodiag.plots.wer import wer_histogram_figure
from tests.helpers import make_clip


def test_one_substitution_in_a_four_word_reference_is_a_quarter():
    result = wer.score(["the cat sat down"], ["the cat sat up"], normalisation="none")
    assert result.corpus_wer.value == 0.25
    u = result.utterances[0]
    assert (u.substitutions, u.deletions, u.insertions, u.reference_words) == (1, 0, 0, 4)
    assert u.alignment == (wer.Span("equal", "the cat sat", "the cat sat"), wer.Span("substitute", "down", "up"))


def test_deletion_and_insertion_counts_and_cer():
    result = wer.score(["a b c d", "e f"], ["a c d", "e f g h"], normalisation="none")
    assert (result.substitutions, result.deletions, result.insertions, result.reference_words) == (0, 1, 2, 6)
    assert result.corpus_wer.value == pytest.approx(3 / 6)
    assert [u.wer for u in result.utterances] == [0.25, 1.0]  # 2 insertions on a 2-word reference: 100 %
    assert result.cer == pytest.approx(6 / 10)  # 7 + 3 reference chars; "b " deleted, " g h" inserted


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
    assert wer.normalise("Don't  stop-now!", "basic") == "don't stop now"


def test_english_normalisation_maps_numbers_contractions_titles_and_spelling():
    assert wer.normalise("It's Mr. Smith", "english") == "it is mister smith"
    assert wer.normalise("twenty-one apples", "english") == "21 apples"
    assert wer.normalise("the colour I realised, um", "english") == "the color i realized"  # spelling map offline
    by_norm = {how: wer.score(["HE COUNSELLED TEN MEN"], ["He counseled 10 men."], normalisation=how).corpus_wer.value
               for how in normalisers.names()}
    assert by_norm == {"none": 1.0, "basic": 0.5, "english": 0.0}
    with pytest.raises(BadParameterError, match="'fancy'.*none, basic, english"):  # the caller's value, not the data
        wer.normalise("x", "fancy")


def test_a_registered_normalisation_is_scored_offered_and_validated_like_the_bundled_ones():
    import jiwer

    from audiodiag.settings import TranscriptionSettings

    normalisers.register("digits spelled", "basic, then 'ten' written as 10", *normalisers.get("basic").steps,
                         jiwer.SubstituteWords({"ten": "10"}))
    try:
        assert "digits spelled" in normalisers.names() and normalisers.names()[:3] == ("none", "basic", "english")
        assert wer.score(["Ten men"], ["10 men"], normalisation="digits spelled").corpus_wer.value == 0.0
        assert TranscriptionSettings(normalisation="digits spelled").normalisation == "digits spelled"
        with pytest.raises(BadParameterError, match="bundled"):
            normalisers.register("basic", "mine")
    finally:
        normalisers.unregister("digits spelled")
    assert "digits spelled" not in normalisers.names()


def test_empty_reference_is_flagged_not_scored_as_zero():
    result = wer.score(["", "one two", "  ...  "], ["something said", "one two", ""], normalisation="basic")
    assert result.empty_references == (0, 2)
    assert math.isnan(result.utterances[0].wer) and result.utterances[0].insertions == 2
    assert result.corpus_wer.value == 0.0 and result.reference_words == 2 and result.mean_utterance_wer == 0.0
    assert math.isnan(result.wers[2]) and "empty" in wer.alignment_html(result.utterances[2])
    with pytest.raises(AudioDiagError, match="every reference .* is empty"):
        wer.score([""], ["x"])
    with pytest.raises(AudioDiagError, match="2 references but 1 hypotheses"):
        wer.score(["a", "b"], ["a"])


def test_per_utterance_counts_from_one_alignment_equal_one_jiwer_call_each():
    import jiwer

    rng = np.random.default_rng(1)
    refs = [" ".join(rng.choice(list("abcdef"), size=rng.integers(1, 12))) for _ in range(200)]
    hyps = [" ".join(rng.choice(list("abcdefg"), size=rng.integers(0, 12))) for _ in range(200)]
    result = wer.score(refs, hyps, normalisation="none", n_boot=10)
    for r, h, u in zip(refs, hyps, result.utterances):
        one = jiwer.process_words(r, h)
        assert (u.substitutions, u.deletions, u.insertions) == (one.substitutions, one.deletions, one.insertions)
    assert result.corpus_wer.value == pytest.approx(jiwer.wer(refs, hyps))
    assert result.cer == pytest.approx(jiwer.cer(refs, hyps))


def test_every_utterance_at_one_rate_is_not_a_certain_rate_and_the_interval_is_seeded():
    same = wer.score(["a b c d"] * 20, ["a b c x"] * 20, normalisation="none")
    half = 1 - intervals.wilson(80, 80)[0]  # every resample agrees: Wilson's width for the 80 words, not zero
    assert (same.corpus_wer.ci_low, same.corpus_wer.value, same.corpus_wer.ci_high) == pytest.approx(
        (0.25 - half, 0.25, 0.25 + half))
    errors, words = np.array([0, 0, 0, 4.0]), np.array([4, 4, 4, 4.0])
    a, b = wer.ratio_ci(errors, words, seed=3), wer.ratio_ci(errors, words, seed=3)
    assert a == b and a.value == 0.25 and a.ci_low == 0.0 and 0.25 < a.ci_high <= 1.0


def test_paired_comparison_of_two_systems_on_the_same_utterances():
    refs = ["a b c d"] * 10
    a = wer.score(refs, ["a b c d"] * 10, normalisation="none")
    b = wer.score(refs, ["a b c x"] * 9 + ["a b c d"], normalisation="none")
    comparison = wer.compare_systems(a, b)
    assert comparison.difference.value == pytest.approx(9 / 40) and comparison.difference.ci_low > 0
    assert (comparison.b_better, comparison.b_worse, comparison.same) == (0, 9, 1)
    assert comparison.utterance_differences[0] == 0.25 and comparison.verdict.startswith("B is worse")
    assert wer.compare_systems(a, a).verdict.startswith("not distinguishable")
    with pytest.raises(AudioDiagError, match="same references"):
        wer.compare_systems(a, wer.score(["x y"] * 10, ["x y"] * 10, normalisation="none"))


def test_slices_give_each_groups_corpus_wer_in_numeric_order():
    result = wer.score(["a b", "c d", "e f g h", "i"], ["a b", "c x", "e f g h", "j"], normalisation="none")
    slices = wer.slice_scores(result, {"rate": ["16000", "8000", "16000", "8000"],
                                       "speaker": ["s1", "s1", "s2", "(no group)"]}, n_boot=50)
    table = {(s.slice, s.value): (s.utterances, s.reference_words, s.corpus_wer.value) for s in slices}
    assert table == {("rate", "16000"): (2, 6, 0.0), ("rate", "8000"): (2, 3, 2 / 3),
                     ("speaker", "s1"): (2, 4, 0.25), ("speaker", "s2"): (1, 4, 0.0), ("speaker", "(no group)"): (1, 1, 1.0)}
    assert [s.value for s in slices if s.slice == "rate"] == ["8000", "16000"]


def test_clip_slices_cover_group_folder_rate_and_duration():
    clips = [make_clip(np.zeros(8_000 * 3, np.float32), sample_rate_hz=8_000, name="a/x.wav", group="spk1"),
             make_clip(np.zeros(16_000, np.float32), name="y.wav")]
    assert wer.clip_slices(clips) == {"group / speaker": ["spk1", "(no group)"], "source folder": ["a", "(top level)"],
                                      "sample rate (Hz)": ["8000", "16000"], "duration": ["2–5 s", "0–2 s"]}
    assert wer.duration_bucket(45.0) == "≥ 30 s"


def test_silent_clip_with_text_is_flagged_by_real_voice_activity_detection():
    speech = decoding.load_clip(sample_sets.SAMPLE_ROOT / "utterances" / "utt07_ava.wav")
    silent = make_clip(np.zeros(32_000, np.float32), name="silent.wav")
    clips = [speech, silent]
    fractions = [vad.speech_fraction(r, duration_s=c.duration_s) for c, r in zip(clips, vad.speech_regions(clips))]
    assert fractions[0] > 0.5 and fractions[1] == 0.0
    flags = wer.hallucination_flags([c.name for c in clips], ["if the train is late again", "Thank you."], fractions,
                                    [c.duration_s for c in clips])
    assert flags == [("silent.wav", "2 word(s) transcribed but voice activity detection finds 0% speech (expected "
                                    ">= 10%): likely invented text")]
    assert wer.hallucination_flags(["silent.wav"], [""], [0.0]) == []  # silence transcribed as silence is fine


def test_decoding_loops_and_too_many_words_for_the_speech_are_flagged():
    assert wer.loop_ngram("Thank you. Thank you. Thank you. For watching") == "thank you"
    assert wer.loop_ngram("you you you you you you") == "you"
    assert wer.loop_ngram("i am here i am here i am here now") == "i am here"
    assert wer.loop_ngram("no no no") is None and wer.loop_ngram("very very good") is None
    assert wer.loop_ngram("the cat sat on the mat") is None
    text = " ".join(["word"] * 3 + [f"w{i}" for i in range(27)])  # 30 words
    flags = wer.hallucination_flags(["fast.wav"], [text], [0.5], [4.0])  # 2 s of speech: 15 words/s
    assert len(flags) == 1 and "30 words in 2.0 s of detected speech" in flags[0][1]
    assert wer.hallucination_flags(["ok.wav"], [text], [1.0], [10.0]) == []  # 3 words/s


def test_alignment_html_escapes_transcripts():
    result = wer.score(["<b>bold</b> word gone"], ["<script>x</script> word & more"], normalisation="none")
    markup = wer.alignment_html(result.utterances[0])
    assert "<script>" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in markup and "&amp;" in markup and "substitution" in markup


def test_wer_histogram_leaves_out_empty_references_and_marks_the_corpus_wer():
    figure = wer_histogram_figure([0.0, 0.25, float("nan"), 1.5], corpus_wer=0.3)
    assert list(figure.data[0].x) == [0.0, 0.25, 1.5] and figure.layout.shapes[0].x0 == 0.3
