"""Issue 27 for the retrieval and transcription notes: each claim rule on evidence with a known answer, the notes
placing only claim texts (with the claims in their data), and the consistency check catching contradictions built
by hand; random paired verdicts never yield contradicting claims."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiodiag import cli, fixes
from audiodiag.asr import wer
from audiodiag.evaluation import retrieval
from audiodiag.evaluation.retrieval_comparison import PairedRetrieval, reading
from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.measure.dataset import SOUND_ENCODER_ADVICE
from audiodiag.represent import encoders
from audiodiag.types import Finding
from audiodiag.verdict import Claim, Kind, Severity, check_consistency, enforce, notes
from audiodiag.verdict import retrieval as rr
from audiodiag.verdict import transcription as tr
from audiodiag.verdict.consistency import ConsistencyError


def of(claims, kind: Kind) -> list[Claim]:
    return [c for c in claims if c.kind is kind]


def two_words(*, separation: float, n: int = 30, seed: int = 0, space: str = "") -> retrieval.Retrieval:
    """n clips of each of two labels, their centres `separation` apart in 8 dimensions of unit noise."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(["bell", "tap"], n)
    centre = np.where((labels == "bell")[:, None], separation / 2, -separation / 2)
    return retrieval.retrieval_metrics(centre + rng.normal(0, 1, (2 * n, 8)), labels, space=space)


@pytest.fixture(scope="module")
def spaces():
    """A weak baseline, a clearly separating encoder, and an exact copy of the baseline (under other names)."""
    base = two_words(separation=0.6, space="spectral")
    return {"base": base, "good": two_words(separation=6.0, space="talker"), "copy": replace(base, space="copy")}


def speakers(*, exclude_same_group: bool | None = None, space: str = "base") -> retrieval.Retrieval:
    """4 speakers × 2 words × 3 takes; a speaker's takes of one word nearly coincide (test_decide's example)."""
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, 8) + rng.normal(0, 0.01, (3, 8)) for _ in range(8)])
    labels = [w for _ in range(4) for w in ("yes", "no") for _ in range(3)]
    groups = [f"s{s}" for s in range(4) for _ in range(6)]
    return retrieval.retrieval_metrics(x, labels, groups=groups, exclude_same_group=exclude_same_group, space=space)


def evidence(*results, findings=()) -> rr.RetrievalEvidence:
    return rr.retrieval_evidence(list(results), findings=findings)


# ---------------------------------------------------------------- retrieval: one rule at a time

def test_group_rule_says_excluded_included_or_unmeasured_and_only_included_can_be_a_problem(spaces):
    excluded, included = speakers(), speakers(exclude_same_group=False)
    assert rr.group_rule(evidence(excluded)).verdict == "excluded" and rr.group_pull(evidence(excluded)) is None
    unmeasured = rr.group_rule(evidence(spaces["base"]))
    assert unmeasured.verdict == "unmeasured" and "--group-column" in fixes.render(unmeasured.text, cli.CLI)
    assert rr.group_rule(evidence(included)).verdict == "included"
    pull = fixes.rendered(rr.group_pull(evidence(included)), cli.CLI)
    assert pull.kind is Kind.PROBLEM and pull.severity is Severity.INVALIDATES
    # every nearest clip is the speaker's own take; a random clip is from the own group 5 of 23 times (22 %)
    assert "own group for 100 % of queries (a random clip: 22 %)" in pull.text
    assert pull.text.endswith("Fix: run again without --no-exclude-same-group.")


def test_space_scores_show_precision_at_1_under_the_other_group_rule():
    line = rr.space_scores(speakers()).text
    # speakers' queries resampled together; the perfect figure keeps a width (intervals.means)
    assert line.startswith("base: precision@1 0.625 [0.500, 0.875] (same-group neighbours excluded; with them: "
                           "1.000 [0.862, 1.000]), precision@5 ")
    assert "(same-group neighbours included; without them: 0.625" in rr.space_scores(
        speakers(exclude_same_group=False)).text


def test_the_pair_claim_is_the_readings_sentence_with_the_paired_verdict(spaces):
    e = evidence(spaces["base"], spaces["good"])
    (pair,) = rr.against_baseline(e)
    assert (pair.subject, pair.verdict) == (("talker",), "better") == (("talker",), e.paired[0].verdict)
    assert pair.text == reading([spaces["base"], spaces["good"]])[0]
    assert "talker retrieves better than spectral on mAP" in pair.text


def test_one_space_reads_nothing_to_compare_and_a_grouped_space_reads_its_group_rule(spaces):
    (alone,) = rr.space_reading(evidence(spaces["base"]))
    assert (alone.verdict, alone.text) == ("nothing to compare", "One space only: nothing to compare.")
    (grouped,) = rr.space_reading(evidence(speakers()))
    assert grouped.subject == ("base",) and "scored without same-group neighbours" in grouped.text
    assert rr.space_reading(evidence(spaces["base"], spaces["good"])) == []  # the pair line is the reading


def _paired(space: str, verdict: str, *, better=(), worse=(), map_gain: float = 0.1):
    d = Estimate(map_gain, map_gain - 0.05, map_gain + 0.05)
    return PairedRetrieval(space, "spectral", {"mAP": d, "precision@1": d}, tuple(better), tuple(worse),
                           verdict, "mAP" if verdict in ("better", "worse") else "", 60)


def test_headline_better_names_the_largest_map_gain_and_its_deciding_difference(spaces):
    e = replace(evidence(spaces["base"], spaces["good"], spaces["copy"]),
                paired=(_paired("talker", "better", better=("mAP",), map_gain=0.1),
                        _paired("copy", "better", better=("mAP",), map_gain=0.3)))
    head = rr.recommendation(e, invalidated=False)
    assert (head.verdict, head.subject, rr.RUNG[head.verdict]) == ("better", ("copy",), "frozen encoder")
    assert head.text == ("Search in the copy space: it retrieves better than the spectral baseline on mAP (paired "
                         "95 % CIs above 0; decided by mAP: +0.300 [+0.250, +0.350]).")


def test_headline_worse_mixed_inconclusive_and_baseline_only(spaces):
    base = spaces["base"]
    worse = rr.recommendation(evidence(spaces["good"], base), invalidated=False)
    assert worse.verdict == "worse" and worse.text.startswith("Search in the spectral baseline space: every frozen "
                                                              "encoder retrieves worse")
    mixed = rr.recommendation(replace(evidence(base, spaces["copy"]), paired=(
        _paired("copy", "mixed", better=("mAP",), worse=("precision@1",)),)), invalidated=False)
    assert mixed.verdict == "mixed" and "better than the spectral baseline on mAP but worse on precision@1" in mixed.text
    tie = rr.recommendation(evidence(base, spaces["copy"]), invalidated=False)
    assert tie.verdict == "inconclusive" and tie.text.startswith("Inconclusive: every metric's paired 95 % CI")
    alone = rr.recommendation(evidence(base), invalidated=True)
    assert (alone.verdict, rr.RUNG[alone.verdict]) == ("baseline only", "spectral baseline")
    assert alone.text.endswith("Caution: a data problem may invalidate this comparison (see below).")
    assert alone.severity is Severity.WARNING


def test_headline_with_one_space_worse_and_one_undecided_does_not_say_every_ci_includes_0(spaces):
    """The old note said 'every metric's paired 95 % CI ... includes 0' although one space was measurably worse."""
    e = replace(evidence(spaces["base"], spaces["good"], spaces["copy"]),
                paired=(_paired("talker", "worse", worse=("mAP",), map_gain=-0.2), _paired("copy", "undecided")))
    head = rr.recommendation(e, invalidated=False)
    assert head.verdict == "inconclusive" and "every metric's paired 95 % CI between" not in head.text
    assert "for copy every metric's paired 95 % CI includes 0 on these clips, and talker retrieves worse" in head.text
    assert check_consistency(rr.retrieval_claims(e)) == []


def test_headline_when_no_query_can_be_scored():
    unique = [retrieval.retrieval_metrics(np.eye(4) + i, list("abcd"), space=s) for i, s in enumerate(("b", "e"))]
    assert unique[0].n_scored == 0
    claims = rr.retrieval_claims(evidence(*unique))
    (head,) = of(claims, Kind.RECOMMENDATION)
    assert head.verdict == "unscored" and head.text.startswith("Not compared: no query has a relevant candidate")
    assert check_consistency(claims) == []


def test_problems_or_what_was_checked_and_advice_or_nothing_to_advise(spaces):
    copy = Finding("duplicate_clips", "info", "a.wav and b.wav are identical", ("a.wav", "b.wav"))
    near = Finding("near_duplicates", "info", "c.wav and d.wav are near duplicates", ("c.wav",))
    quiet = Finding("low_level", "info", "some quiet clips")  # other info is not shown
    claims = rr.retrieval_claims(evidence(spaces["base"], findings=[copy, near, quiet]))
    assert [c.text for c in of(claims, Kind.PROBLEM)] == [copy.message]
    assert [c.text for c in of(claims, Kind.ADVICE)] == [near.message]
    assert of(claims, Kind.CHECKED) == [] and of(claims, Kind.RECOMMENDATION)[0].evidence["cautioned"]
    clean = rr.retrieval_claims(evidence(spaces["base"]))
    assert [(c.evidence["covers"], c.text.split(":")[0]) for c in of(clean, Kind.CHECKED)] == [
        ("problems", "Nothing detected"), ("advice", "Nothing to advise")]
    (ft,) = of(clean, Kind.FINE_TUNING)
    assert ft.verdict == "not assessed" and ft.text.startswith("Not assessed: audiodiag fine-tunes classifiers only")


def test_non_speech_advice_says_what_was_measured_and_never_suggests_a_measured_model(spaces):
    message = "talker is a speech model, but voice activity detection finds little speech" + SOUND_ENCODER_ADVICE
    warning = Finding("non_speech_for_speech_encoder", "warning", message, ("bell_0.wav",))
    (advice,) = of(rr.retrieval_claims(evidence(spaces["base"], spaces["good"], findings=[warning])), Kind.ADVICE)
    assert "Measured: talker retrieves better than the baseline here nevertheless, on mAP" in advice.text
    assert advice.evidence["suggests"] == [encoders.AISFX] and SOUND_ENCODER_ADVICE in advice.text
    sound = replace(spaces["copy"], space=encoders.AISFX)
    claims = rr.retrieval_claims(evidence(spaces["base"], spaces["good"], sound, findings=[warning]))
    (advice,) = of(claims, Kind.ADVICE)
    assert advice.evidence["suggests"] == [] and SOUND_ENCODER_ADVICE not in advice.text
    assert f"the sound encoder {encoders.AISFX} was measured too" in advice.text
    assert check_consistency(claims) == []


def test_the_retrieval_note_only_places_claims_and_keeps_them_in_its_data(spaces):
    note = notes.retrieval_note("toy", [spaces["base"], spaces["good"]])
    claims = [tr.claim_from_dict(d) for d in note.data["claims"]]
    assert enforce(claims) == []
    (head,) = of(claims, Kind.RECOMMENDATION)
    assert (note.verdict, note.rung, note.fine_tuning) == (head.text, "frozen encoder", "not assessed")
    texts = {line for c in claims for line in c.text.split("\n")}
    assert {line for s in note.sections for line in s.lines} == texts - {head.text}
    assert note.data["group_rule"] == of(claims, Kind.GROUP_RULE)[0].text
    assert [p["verdict"] for p in note.data["paired"]] == [c.verdict for c in of(claims, Kind.RETRIEVAL_VS_BASELINE)]


# ---------------------------------------------------------------- transcription: one rule at a time

def t_evidence(refs, hyps, *, minutes: float = 1.0, normalisation: str = "basic", **kw) -> tr.TranscriptionEvidence:
    return tr.transcription_evidence("m", wer.score(refs, hyps, normalisation=normalisation, n_boot=50),
                                     audio_minutes=minutes, **kw)


def test_the_headline_and_the_scores_line_write_three_of_seven_words_as_42_9_percent():
    e = t_evidence(["a b c d e f g"], ["a b c d x y z"], normalisation="none")
    head = tr.corpus_wer(e)
    assert head.kind is Kind.WER and head.text.startswith("m: corpus WER 42.9% (95 % CI ")
    assert head.text.endswith("on 1 utterances, 'none' normalisation.")
    line = tr.scores_line(e).text
    assert line.startswith("Corpus WER 42.9%") and "3 substitutions, 0 deletions, 0 insertions of 7 words" in line
    assert tr.task_and_data(e).text.startswith("Transcription, 1.0 minutes of audio with references; WER = ")


def test_remaining_errors_list_wrong_utterances_worst_first_then_tables_and_slices():
    e = t_evidence(["the cat sat down", "sit down", "i have twenty one apples", "all right"],
                   ["the cat sat up", "sit up", "i have 21 apples", "all right"], slices=["duration = 0–2 s: x"])
    worst, subs, formatting, slices = tr.remaining_errors(e)
    assert worst.text.split("\n") == ["WER 50.0%: 'sit down' → 'sit up'",
                                      "WER 40.0%: 'i have twenty one apples' → 'i have 21 apples'",
                                      "WER 25.0%: 'the cat sat down' → 'the cat sat up'"]  # 'all right' is right
    assert subs.text == "Most frequent substitutions (reference → hypothesis): down → up (2)."
    assert formatting.text.startswith("Number formatting: 1 place(s)") and slices.text == "duration = 0–2 s: x"
    (perfect,) = tr.remaining_errors(t_evidence(["all right"], ["all right"]))
    assert perfect.text == "No word errors: every scored utterance matches its reference after normalisation."


def test_fine_tuning_needs_sixty_minutes_of_transcribed_audio():
    short = tr.fine_tuning(t_evidence(["a b"], ["a b"], minutes=59.9))
    assert short.verdict == "not justified" and short.text.startswith("Not justified: 59.9 minutes")
    enough = tr.fine_tuning(t_evidence(["a b"], ["a b"], minutes=tr.MIN_FINETUNE_AUDIO_MIN))
    assert enough.verdict == "justified" and enough.text.startswith("60 minutes of transcribed audio: enough")


def test_data_problems_are_flags_empty_references_and_reference_checks_else_nothing_found():
    too_fast = Finding("transcript_too_fast", "warning", "a.wav: too fast", ("a.wav",))
    e = t_evidence(["a b", "", "c d"], ["a b", "x", "c d"], flags=[("b.wav", "a decoding loop")],
                   transcript_findings=[too_fast])
    problems = tr.data_problems(e)
    assert [(c.kind, c.verdict, c.text) for c in problems] == [
        (Kind.PROBLEM, "hallucination_flag", "b.wav: a decoding loop"),
        (Kind.PROBLEM, "empty_reference", "utterance 2: empty reference, not scored"),
        (Kind.PROBLEM, "transcript_too_fast", "a.wav: too fast")]
    (checked,) = tr.data_problems(t_evidence(["a b"], ["a b"]))
    assert (checked.kind, checked.text) == (Kind.CHECKED, tr.NO_DATA_PROBLEMS)


def test_adding_reference_checks_to_claims_equals_claims_of_evidence_holding_them():
    too_fast = Finding("transcript_too_fast", "warning", "a.wav: too fast", ("a.wav",))
    plain = t_evidence(["a b", "c d"], ["a b", "c x"])
    added = tr.with_transcript_findings(tr.transcription_claims(plain), [too_fast])
    assert added == tr.transcription_claims(replace(plain, transcript_findings=(too_fast,)))
    assert of(added, Kind.CHECKED) == [] and check_consistency(added) == []


def test_the_transcription_note_keeps_its_claims_and_the_findings_path_gives_the_same_note():
    scores = wer.score(["the cat sat down", "hello"], ["the cat sat up", "hello"], n_boot=50)
    too_fast = Finding("transcript_too_fast", "warning", "a.wav: too fast", ("a.wav",))
    plain = notes.transcription_note("toy", "m", scores, audio_minutes=2.0, flags=[("b.wav", "a decoding loop")])
    claims = [tr.claim_from_dict(d) for d in plain.data["claims"]]
    assert enforce(claims) == [] and plain.verdict == of(claims, Kind.WER)[0].text
    assert plain.fine_tuning == "not justified" and "error_tables" in plain.data
    texts = {line for c in claims for line in c.text.split("\n")}
    assert {line for s in plain.sections for line in s.lines} == texts - {plain.verdict}
    direct = notes.transcription_note("toy", "m", scores, audio_minutes=2.0, flags=[("b.wav", "a decoding loop")],
                                      transcript_findings=[too_fast])
    assert notes.with_transcript_findings(plain, [too_fast]) == direct
    (problems,) = [s for s in direct.sections if s.title == notes.DATA_PROBLEMS_TITLE]
    assert problems.lines == ("b.wav: a decoding loop", "a.wav: too fast")


# ---------------------------------------------------------------- the consistency check

def test_the_check_catches_each_retrieval_and_transcription_contradiction():
    claims = [Claim(Kind.RECOMMENDATION, ("talker",), "better", "Search in talker.", {"cautioned": True}),
              Claim(Kind.RETRIEVAL_VS_BASELINE, ("talker",), "undecided", ""),
              Claim(Kind.RETRIEVAL_SCORES, (encoders.AISFX,), "measured", ""),
              Claim(Kind.GROUP_RULE, (), "excluded", ""),
              Claim(Kind.PROBLEM, ("talker",), "same_group_match", "", {}, "", Severity.WARNING),
              Claim(Kind.CHECKED, ("exact and near duplicates",), "none", "Nothing detected.", {"covers": "problems"}),
              Claim(Kind.ADVICE, (), "non_speech_for_speech_encoder", "", {"suggests": [encoders.AISFX]}),
              Claim(Kind.CHECKED, ("padding",), "none", "Nothing to advise.", {"covers": "advice"})]
    found = " | ".join(check_consistency(claims))
    for expected in ("the headline calls talker better, its paired verdict is 'undecided'",
                     "cautions although no claim invalidates", "but the group rule is 'excluded'",
                     "'Nothing detected.' stands next to 1 problems claim", "'Nothing to advise.' stands next to 1 advice",
                     "which this run measured"):
        assert expected in found
    worse = [Claim(Kind.RECOMMENDATION, ("spectral",), "worse", ""),
             Claim(Kind.RETRIEVAL_VS_BASELINE, ("talker",), "worse", ""),
             Claim(Kind.RETRIEVAL_VS_BASELINE, ("copy",), "better", "")]
    assert any("every space retrieves worse" in p for p in check_consistency(worse))
    undecided = [Claim(Kind.RECOMMENDATION, ("copy",), "inconclusive", ""),
                 Claim(Kind.RETRIEVAL_VS_BASELINE, ("copy",), "mixed", "")]
    assert " | ".join(check_consistency(undecided)) == (
        "the headline is inconclusive although a space is better on one metric and worse on another | "
        "the headline is inconclusive but no paired verdict is undecided")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUDIODIAG_STRICT_CLAIMS", "1")
        with pytest.raises(ConsistencyError, match="contradicting claims"):
            enforce(claims)


def test_a_fine_tuning_claim_that_reads_no_curve_is_not_held_to_the_curve_rule():
    """Transcription justifies fine-tuning by minutes of audio, not by a flat learning curve."""
    claims = [Claim(Kind.WER, ("m",), "measured", ""),
              Claim(Kind.FINE_TUNING, ("m",), "justified", "", {"audio_minutes": 90.0})]
    assert check_consistency(claims) == []


PAIR_VERDICTS = st.sampled_from(["better", "worse", "mixed", "undecided"])
FINDINGS = st.lists(st.sampled_from([
    Finding("duplicate_clips", "info", "a.wav and b.wav are identical", ("a.wav", "b.wav")),
    Finding("near_duplicates", "info", "c.wav and d.wav are near duplicates", ("c.wav",)),
    Finding("sample_rate_mismatch", "warning", "8000 Hz clips for a 16000 Hz encoder"),
    Finding("non_speech_for_speech_encoder", "warning", "enc0 is a speech model" + SOUND_ENCODER_ADVICE)]), max_size=3)


@settings(max_examples=100, deadline=None)
@given(verdicts=st.lists(PAIR_VERDICTS, max_size=3), gains=st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=3),
       findings=FINDINGS, grouped=st.sampled_from([None, True, False]))
def test_random_paired_verdicts_never_yield_contradicting_retrieval_claims(verdicts, gains, findings, grouped):
    base = speakers(exclude_same_group=grouped) if grouped is not None else two_words(separation=1.0, n=6, space="spectral")
    others = [replace(base, space=f"enc{i}") for i in range(len(verdicts))]
    paired = tuple(_paired(f"enc{i}", v, better=("mAP",) if v in ("better", "mixed") else (),
                           worse=("precision@1",) if v in ("worse", "mixed") else (), map_gain=g)
                   for i, (v, g) in enumerate(zip(verdicts, gains)))
    claims = rr.retrieval_claims(replace(evidence(base, *others, findings=findings), paired=paired))
    assert check_consistency(claims) == []
    assert len(of(claims, Kind.RECOMMENDATION)) == 1 and len(of(claims, Kind.GROUP_RULE)) == 1
