"""One pipeline from transcripts to the transcription note, shared by the Transcribe page and the CLI.

The page passes in what its caches already hold (scores per normalisation, slice scores); the CLI lets this
module compute them. Either way the note has the same sections and the same numbers for the same inputs.

>>> import numpy as np
>>> clips = [Clip(name, np.zeros(32000, np.float32), 16000, 16000, 1) for name in ("a.wav", "b.wav")]
>>> refs, hyps, speech_fractions = ["the cat sat", "hello there"], ["the cat sat", "hello where"], [0.8, 0.8]
>>> note = transcription_decision("my clips", "whisper-tiny.en", clips, refs, hyps, speech_fractions,
...                               by_normalisation={"basic": wer.score(refs, hyps)})  # default: every normalisation
>>> note.verdict
"whisper-tiny.en: corpus WER 20.0% (95 % CI 0.0% to 50.0%) on 2 utterances, 'basic' normalisation."
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from audiodiag.asr import normalisers, transcript_checks, wer
from audiodiag.errors import BadDataError, BadParameterError
from audiodiag.settings import TranscriptionSettings
from audiodiag.types import Clip
from audiodiag.verdict.notes import DecisionNote, transcription_note

FORMATTING_NORMALISATION = "english"  # numbers, contractions, hyphens and spellings: formatting, not recognition


def formatting_line(by_normalisation: Mapping[str, wer.Scores], normalisation: str) -> str | None:
    """Say how much of the WER is formatting the english normaliser removes, with the WER under both; None when
    it removes nothing (or is the normalisation in use)."""
    if normalisation == FORMATTING_NORMALISATION or FORMATTING_NORMALISATION not in by_normalisation:
        return None
    used, english = by_normalisation[normalisation], by_normalisation[FORMATTING_NORMALISATION]
    errors = used.substitutions + used.deletions + used.insertions
    english_errors = english.substitutions + english.deletions + english.insertions
    if english_errors >= errors:
        return None
    rate_used, rate_english = wer.format_rate(used.corpus_wer.value), wer.format_rate(english.corpus_wer.value)
    return (f"{errors - english_errors} of the {errors} errors under '{normalisation}' normalisation are formatting "
            f"that the '{FORMATTING_NORMALISATION}' normaliser removes (numbers as digits vs words, contractions, "
            f"hyphens, British/American spelling): corpus WER {rate_used} '{normalisation}' vs {rate_english} "
            f"'{FORMATTING_NORMALISATION}'. Score with '{FORMATTING_NORMALISATION}' when formatting does not matter to "
            "the application")


def transcription_decision(
    dataset_name: str,
    model_name: str,
    clips: Sequence[Clip],
    references: Sequence[str | None],
    hypotheses: Sequence[str],
    speech_fractions: Sequence[float | None],
    *,
    normalisation: str = "basic",
    settings: dict | None = None,
    by_normalisation: Mapping[str, wer.Scores] | None = None,
    slices: Sequence[wer.SliceScore] | None = None,
) -> DecisionNote:
    """Scores, hallucination flags, checks on the references (chars/s), slices and formatting share → the
    transcription note.

    `references` and `hypotheses` have one entry per clip (None: no reference; the clip is transcribed but not
    scored). `by_normalisation` / `slices` may be passed in when already computed for the scored clips.
    """
    if not (len(clips) == len(references) == len(hypotheses) == len(speech_fractions)):
        raise BadParameterError(f"{len(clips)} clips, {len(references)} references, {len(hypotheses)} transcripts and "
                                f"{len(speech_fractions)} speech measurements: they must describe the same clips")
    scored = [i for i, r in enumerate(references) if r is not None]
    if not scored:
        raise BadDataError(f"{dataset_name}: no reference transcripts; no WER is possible")
    refs, hyps = [references[i] for i in scored], [hypotheses[i] for i in scored]
    by_norm = dict(by_normalisation) if by_normalisation else {
        how: wer.score(refs, hyps, normalisation=how) for how in normalisers.names()}
    scores = by_norm[normalisation]
    if slices is None:
        slices = wer.slice_scores(scores, wer.clip_slices([clips[i] for i in scored]))
    flags = wer.hallucination_flags([c.name for c in clips], hypotheses, speech_fractions,
                                    [c.duration_s for c in clips])
    slice_lines = [f"{s.slice} = {s.value}: corpus WER {wer.format_rate(s.corpus_wer.value)} "
                   f"({s.utterances} utterances)" for s in slices if not math.isnan(s.corpus_wer.value)]
    formatting = formatting_line(by_norm, normalisation)
    by_norm_line = "Corpus WER by normalisation: " + ", ".join(
        f"{how} {wer.format_rate(s.corpus_wer.value)}" for how, s in by_norm.items())
    durations = [c.duration_s for c in clips]
    return transcription_note(dataset_name, model_name, scores, audio_minutes=sum(durations[i] for i in scored) / 60,
                              flags=flags, slices=([formatting] if formatting else []) + [by_norm_line] + slice_lines,
                              settings=settings, transcript_findings=transcript_checks.reference_findings(
                                  [c.name for c in clips], references, speech_fractions, durations))


def run_transcription(
    clips: Sequence[Clip],
    references: Sequence[str | None],
    settings: TranscriptionSettings = TranscriptionSettings(),
    *,
    dataset_name: str = "dataset",
    progress: Callable[[str], None] | None = None,
    measure: Callable[..., tuple[list, list]] | None = None,
) -> DecisionNote:
    """Everything from clips and their references (None: not scored): transcribe with `settings.model`
    (disk-cached), measure speech (VAD), score → the transcription note.

    measure: `dataset.measure` (the default) or a stand-in with its results, e.g. `workers.measure`."""
    from audiodiag.asr import recognisers
    from audiodiag.measure import dataset

    say = progress or (lambda message: None)
    if not any(r is not None for r in references):
        raise BadDataError(f"{dataset_name}: no reference transcripts; no WER is possible")
    model = recognisers.load_transcriber(settings.model)
    hypotheses = recognisers.transcribe_cached(model, clips, settings.decoding,
                                               progress=lambda done, total: say(f"  transcribed {done}/{total}"))
    say(f"Measuring {len(clips)} clips (VAD) ...")
    stats, _ = (measure or dataset.measure)(clips, progress=lambda done, total: say(f"  measured {done}/{total} clips"))
    return transcription_decision(dataset_name, model.name, clips, references, hypotheses,
                                  [s.speech_fraction for s in stats], normalisation=settings.normalisation,
                                  settings={**settings.to_dict(), "model": model.name})
