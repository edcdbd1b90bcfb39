"""`report --task transcribe`: transcribe the clips with the bundled (or --model) ASR model and score them
against their references, in memory or streamed batch by batch (`--out-dir`)."""
from __future__ import annotations

import argparse
from dataclasses import replace
from functools import partial

from audiodiag.cli.console import progress_printer
from audiodiag.cli.options import transcription_settings
from audiodiag.data import manifest, sources
from audiodiag.errors import BadDataError
from audiodiag.runs import stream, workers
from audiodiag.runs.transcription_job import Transcribe
from audiodiag.types import Clip


def _no_references(source: str) -> BadDataError:
    return BadDataError(f"{source}: no reference transcripts (a transcripts.csv with path,reference or "
                        "<stem>.txt files next to the clips, or a manifest column 'transcript'); no WER is "
                        "possible")


def transcription_report(name: str, clips: list[Clip], args: argparse.Namespace):
    """Transcribe with the bundled (or --model) ASR model and score against the folder's references."""
    from audiodiag.asr import references
    from audiodiag.verdict import transcribe

    folder = sources.data_folder(args.data)
    refs = references.folder_references(folder, clips) if folder is not None else [None] * len(clips)
    problems = references.folder_reference_problems(folder, clips) if folder is not None else []
    if folder is None and manifest.is_manifest(args.data):  # the manifest's transcript (or reference) column
        rows = manifest.read_manifest(sources.manifest_url(args.data), group_by=args.group_column)
        refs = references.match(clips, manifest.transcripts(rows))
    scored = [i for i, r in enumerate(refs) if r is not None]
    if not scored:
        raise _no_references(args.data)
    note = transcribe.run_transcription(clips, refs, transcription_settings(args), dataset_name=name,
                                        progress=progress_printer(),
                                        measure=partial(workers.measure, workers=args.workers))
    return note, problems


def streamed_transcription(args: argparse.Namespace, name: str, items, engine):
    """`report --task transcribe --out-dir`: decode, measure (VAD) and transcribe batch by batch, then score
    against the references (the folder's transcripts.csv / .txt files, or the manifest's transcript column)."""
    from audiodiag.asr import references
    from audiodiag.verdict import transcribe

    chosen = transcription_settings(args)
    job = Transcribe(chosen.model, chosen.decoding)
    model_name = job.load().name
    streamed = stream.stream(items, [], baseline=False, transcribe=job, batch_size=args.batch_size,
                             progress=progress_printer(), engine=engine or workers.engine(args.workers))
    folder = sources.data_folder(args.data)
    refs, problems = list(streamed.references), []
    if folder is not None:
        refs = references.folder_references(folder, streamed.clips)
        problems = references.folder_reference_problems(folder, streamed.clips)
    if not any(r is not None for r in refs):
        raise _no_references(args.data)
    streamed = replace(streamed, references=tuple(refs))
    note = transcribe.transcription_decision(
        name, model_name, streamed.clips, refs, streamed.transcripts, [s.speech_fraction for s in streamed.stats],
        normalisation=chosen.normalisation, settings={**chosen.to_dict(), "model": model_name})
    return streamed, note, problems
