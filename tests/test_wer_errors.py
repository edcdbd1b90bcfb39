"""Known answers for the word-level error tables: substitutions, deletions and insertions counted with example
utterances, numbers written as digits vs words grouped as formatting (and only there), the number parser, and
the edits of the four tables adding up to S + D + I."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from audiodiag.asr import wer, word_errors
from audiodiag.errors import AudioDiagError


def _row(table, reference, hypothesis=""):
    return next(r for r in table if (r.reference, r.hypothesis) == (reference, hypothesis))


def test_one_substitution():
    tables = word_errors.error_tables(wer.score(["the cat sat down"], ["the cat sat up"], normalisation="basic"))
    (row,) = tables.substitutions
    assert (row.reference, row.hypothesis, row.count, row.edits, row.examples) == ("down", "up", 1, 1,
                                                                                   ("utterance 1",))
    assert tables.deletions == tables.insertions == tables.formatting == ()


def test_repeated_substitutions_are_counted_across_utterances_with_examples_and_sorted():
    refs = ["the cat sat down", "sit down now", "down we go", "a big dog", "big red bus"]
    hyps = ["the cat sat up", "sit up now", "up we go", "a pig dog", "pig red bus"]
    names = [f"{c}.wav" for c in "abcde"]
    tables = word_errors.error_tables(wer.score(refs, hyps), names=names, max_examples=2)
    assert [(r.reference, r.hypothesis, r.count) for r in tables.substitutions] == [("down", "up", 3),
                                                                                     ("big", "pig", 2)]
    assert tables.substitutions[0].examples == ("a.wav", "b.wav")  # at most max_examples, in input order
    with pytest.raises(AudioDiagError, match="2 names for 5 scored utterances"):
        word_errors.error_tables(wer.score(refs, hyps), names=names[:2])


def test_deletions_and_insertions_with_multi_word_spans():
    refs = ["please turn the light off now", "hello there"]
    hyps = ["please light off now", "hello there my my friend"]
    tables = word_errors.error_tables(wer.score(refs, hyps))
    assert {(r.reference, r.count) for r in tables.deletions} == {("the", 1), ("turn", 1)}
    assert [(r.hypothesis, r.count, r.examples) for r in tables.insertions] == [
        ("my", 2, ("utterance 2",)), ("friend", 1, ("utterance 2",))]  # count first, then alphabetical
    assert tables.substitutions == ()


def test_digits_vs_number_words_are_formatting_not_substitutions():
    result = wer.score(["i have 21 apples", "i have twenty one apples"],
                       ["i have twenty one apples", "i have 21 apples"])
    tables = word_errors.error_tables(result)
    assert tables.substitutions == tables.deletions == tables.insertions == ()
    assert {(r.reference, r.hypothesis, r.count, r.edits) for r in tables.formatting} == {
        ("21", "twenty one", 1, 2), ("twenty one", "21", 1, 2)}  # one region each, two word edits each


def test_a_different_number_is_a_real_substitution():
    tables = word_errors.error_tables(wer.score(["i have 2 apples"], ["i have three apples"]))
    assert tables.formatting == () and _row(tables.substitutions, "2", "three").count == 1


def test_edits_of_the_four_tables_add_up_to_the_total_edits():
    refs = ["i have twenty one apples and 2 pears", "the cat sat down", "a b c d", "one thousand people came", "",
            "oh no"]
    hyps = ["i have 21 apples and three pears please", "the cat sat up up", "a c d", "1,000 people come", "noise",
            "0 no"]
    result = wer.score(refs, hyps, normalisation="none")
    tables = word_errors.error_tables(result)
    assert tables.total_edits == result.substitutions + result.deletions + result.insertions
    assert sum(r.count for k in ("substitution", "deletion", "insertion") for r in tables.tables()[k]) + sum(
        r.edits for r in tables.formatting) == result.substitutions + result.deletions + result.insertions
    assert {r.reference for r in tables.formatting} == {"twenty one", "one thousand", "oh"}  # "oh" alone is 0
    assert _row(tables.substitutions, "2", "three").count == 1 and _row(tables.substitutions, "came", "come")
    assert "noise" not in {r.hypothesis for r in tables.insertions}  # an empty reference has no WER: left out


@pytest.mark.parametrize("text, value", [
    ("twenty one", 21), ("twenty-one", 21), ("seven", 7), ("thirteen", 13), ("one hundred and five", 105),
    ("nine hundred ninety nine", 999), ("one thousand", 1000), ("one thousand and five", 1005),
    ("two million three hundred thousand", 2_300_000), ("twenty one thousand", 21_000), ("zero", 0), ("oh", 0),
    ("one two", None), ("hundred", None), ("apples", None), ("one and", None), ("", None)])
def test_words_to_number(text, value):
    assert word_errors.words_to_number(text) == value


def test_digits_to_number_reads_thousands_separators():
    assert [word_errors.digits_to_number(t) for t in ("21", "1,000", "1 000", "1 2", "12a")] == [21, 1000, 1000, None, None]
    assert word_errors.same_number("1,000", "one thousand") and word_errors.same_number("two", "2")
    assert not word_errors.same_number("2", "three") and not word_errors.same_number("two", "two")


def test_csv_export_is_a_tidy_table_of_every_row():
    tables = word_errors.error_tables(wer.score(["the cat sat down", "i have 21 apples"],
                                        ["the cat sat up", "i have twenty one apples"]), names=["a.wav", "b.wav"])
    frame = pd.read_csv(io.StringIO(tables.to_csv()), keep_default_na=False)
    assert list(frame.columns) == ["kind", "reference", "hypothesis", "count", "edits", "examples"]
    assert frame.to_dict("records") == [
        {"kind": "substitution", "reference": "down", "hypothesis": "up", "count": 1, "edits": 1, "examples": "a.wav"},
        {"kind": "formatting", "reference": "21", "hypothesis": "twenty one", "count": 1, "edits": 2,
         "examples": "b.wav"}]
    assert list(tables.to_frame("formatting")["kind"]) == ["formatting"]
    with pytest.raises(AudioDiagError, match="use one of substitution"):
        tables.to_frame("typos")


def test_the_transcription_note_names_top_substitutions_and_the_formatting_count():
    from audiodiag.verdict import notes

    result = wer.score(["the cat sat down", "sit down", "i have twenty one apples"],
                       ["the cat sat up", "sit up", "i have 21 apples"])
    note = notes.transcription_note("toy", "model", result, audio_minutes=1.0)
    (remaining,) = [s for s in note.sections if s.title == "Remaining errors"]
    assert "Most frequent substitutions (reference → hypothesis): down → up (2)." in remaining.lines
    assert any(line.startswith("Number formatting: 1 place(s)") for line in remaining.lines)
    data = note.to_dict()["data"]["error_tables"]
    assert data["top_substitutions"][0] == {"reference": "down", "hypothesis": "up", "count": 2, "edits": 2,
                                            "examples": ["utterance 1", "utterance 2"]}
    assert (data["formatting_count"], data["formatting_edits"]) == (1, 2)
