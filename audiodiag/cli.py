"""Headless command line: the same library code as the app, for CI or a bigger machine.

    python -m audiodiag report DATA --task classify [--encoder NAME ...] [--out note.md] [--json note.json]
    python -m audiodiag report DATA --task classify --out-dir RUN/     # streamed; writes a run folder
    python -m audiodiag check DATA [--fail-on error|warning] [--format md|json|junit] [--out FILE]
    python -m audiodiag demo [--model DIR_OR_ID]
    python -m audiodiag samples [--download NAME]
    python -m audiodiag models [NAME ...] [--json]                   # model cards: licence, weights sha256, limits
    python -m audiodiag app [--port N] [-- STREAMLIT_ARGS ...]       # start the dashboard (streamlit run app.py)

DATA is a folder (one sub-folder per class; optional labels.csv / groups.csv), a .zip of one, a manifest
(.csv, .jsonl or .parquet with path,label[,group][,transcript]; a NeMo manifest; a Hugging Face Parquet export with
an audio column; Lhotse cuts .jsonl.gz; a local path or an fsspec URL such as s3://bucket/train.parquet), or the
name of a bundled sample set (spoken_digits, sounds, utterances).
Exit status: 0 on success, 2 on a user error (bad data, unknown encoder), 1 on anything unexpected; `check` exits
1 when a finding at or above --fail-on exists (0 when none).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from audiodiag import fixes
from audiodiag.asr import normalisers
from audiodiag.data import decoding, layout, manifest, sample_sets, sources, tables
from audiodiag.errors import AudioDiagError, BadDataError, ConsistencyError, MissingDependencyError
from audiodiag.evaluation import duplicates
from audiodiag.measure import cleanlist
from audiodiag.represent import encoders, spaces
from audiodiag.represent.features import FeatureSettings
from audiodiag.runs import gate, stream, workers
from audiodiag.settings import (
    DEFAULT_ASR,
    DEFAULT_ENCODERS,
    SOUND_ENCODER,
    ComparisonSettings,
    RetrievalSettings,
    SettingsError,
    TranscriptionSettings,
)
from audiodiag.types import Clip
from audiodiag.verdict import decide

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
CLI = "cli"  # the reader of the notes this command writes: its how-to-fix texts name this command's flags
fixes.register(CLI, {
    fixes.ADD_GROUPS: "add a group column (speaker, session, source ...) to the labels CSV or a groups.csv beside the "
                      "class folders, or name it with --group-column NAME",
    fixes.USE_GROUPS: "run again without --no-groups",
    fixes.EXCLUDE_SAME_GROUP: "run again without --no-exclude-same-group",
})
WORKERS_HELP = (f"processes that decode and measure (levels, VAD, the spectral baseline); encoders stay in one. "
                f"Default: one per usable core ({workers.usable_cores()} here), started once the files in view hold "
                f"{workers.POOL_WORTH_S:g} s of work or more; 1: everything in this process")


def _no_references(source: str) -> BadDataError:
    return BadDataError(f"{source}: no reference transcripts (a transcripts.csv with path,reference or "
                        "<stem>.txt files next to the clips, or a manifest column 'transcript'); no WER is "
                        "possible")


def _strict_refusal(n_not_used: int) -> int:
    print(f"error: --strict: {n_not_used} input(s) above were not used; fix them or drop --strict", file=sys.stderr)
    return EXIT_USER_ERROR


def comparison_settings(args: argparse.Namespace) -> ComparisonSettings:
    """The comparison settings of a `report` (or `check`) command line; a bad value raises SettingsError."""
    features = FeatureSettings() if not args.baseline_features else _features(args.baseline_features)
    return ComparisonSettings(encoders=tuple(args.encoder or DEFAULT_ENCODERS), n_splits=args.folds,
                              group_aware=not args.no_groups, pad_s=args.pad_s, layer=args.layer, seed=args.seed,
                              features=features)


def retrieval_settings(args: argparse.Namespace) -> RetrievalSettings:
    return RetrievalSettings(comparison_settings(args), exclude_same_group=args.exclude_same_group)


def transcription_settings(args: argparse.Namespace) -> TranscriptionSettings:
    return TranscriptionSettings(model=args.model, beam=args.beam, temperature=args.temperature,
                                 language=args.language, normalisation=args.normalisation)


def _features(text: str) -> FeatureSettings:
    try:
        values = [int(v) for v in text.split(",")]
        return FeatureSettings(*values)
    except (ValueError, TypeError, AudioDiagError) as e:
        raise SettingsError(f"--baseline-features {text!r}: expected five integers RATE,MELS,MFCCS,WINDOW,HOP "
                            f"(e.g. 16000,64,20,512,160) ({e})") from e


def _progress_printer():
    def say(message: str) -> None:
        end = "\r" if message.startswith("  ") else "\n"
        print(message.ljust(60), end=end, file=sys.stderr, flush=True)
    return say


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
                                        progress=_progress_printer(),
                                        measure=partial(workers.measure, workers=args.workers))
    return note, problems


def say_groups(source: str, group_by: str | None, clips: list[Clip], *, no_groups: bool) -> None:
    """Which column the groups came from, or why there are none (stderr, before the long steps)."""
    folder = sources.data_folder(source)
    table = layout.folder_label_table(folder) if folder is not None else None
    n_groups = len({c.group for c in clips if c.group is not None})
    if folder is None and manifest.is_manifest(source):
        m = manifest.open_manifest(sources.manifest_url(source), group_by=group_by)
        print(f"groups: column '{m.group_column}' of {m.name} ({n_groups} groups)"
              + ("; ignored on request (--no-groups)" if no_groups else "") if m.group_column else
              f"groups: none ({m.name} has columns {', '.join(m.columns)}; name the group column with "
              "--group-column NAME): speaker/source leakage is unmeasured", file=sys.stderr)
    elif table is not None:
        columns, column = tables.table_group_column(table[1], group_by=group_by)
        if column:
            print(f"groups: column '{column}' of {table[0]} ({n_groups} groups)"
                  + ("; ignored on request (--no-groups)" if no_groups else ""), file=sys.stderr)
            return
        print(f"groups: none ({table[0]} has columns {', '.join(columns)}; name the group column with "
              "--group-column NAME): speaker/source leakage is unmeasured", file=sys.stderr)
    elif n_groups == 0:
        print("groups: none (no groups.csv or labels.csv with a group column): speaker/source leakage is unmeasured",
              file=sys.stderr)


def say_unused_columns(source: str, group_by: str | None) -> list[str]:
    """Name DATA's unused columns on stderr; returns the line for the note's inputs not used (none: [])."""
    unused = sources.unused_columns(source, group_by=group_by)
    if unused is None:
        return []
    print(f"not used: {unused.message}", file=sys.stderr)
    return [unused.message]


def streamed_report(args: argparse.Namespace) -> int:
    """`report --out-dir RUN/`: stream the data in batches, write the run folder, reuse what it already holds."""
    from audiodiag import heap
    from audiodiag.runs import run_folder
    from audiodiag.verdict.notes import with_input_problems

    heap.one_arena()  # before any thread starts: what the fits free stays reusable (audiodiag.heap)
    if args.task == "retrieve":
        print("error: --out-dir streams --task classify and --task transcribe; retrieval compares every clip "
              "with every other, so run --task retrieve without --out-dir (use --out/--json)", file=sys.stderr)
        return EXIT_USER_ERROR
    engine = None
    if args.engine == "ray":
        from audiodiag.runs import ray_engine

        def started(info: ray_engine.RayStart) -> None:
            print(f"Ray: {'started a local instance' if info.address == 'local' else 'joined ' + info.address} in "
                  f"{info.seconds:.1f} s ({info.cpus:g} CPUs, {info.gpus:g} GPUs; a one-time cost, not part of "
                  "the run)", file=sys.stderr)
        engine = ray_engine.engine(args.ray_address, num_cpus=args.ray_cpus, on_start=started)
    name, items = sources.stream_items(args.data, group_by=args.group_column)
    settings = {"task": args.task, "batch_size": args.batch_size, "engine": args.engine,
                "group_column": args.group_column}
    if args.task == "transcribe":
        streamed, note, problems = streamed_transcription(args, name, items, engine)
        settings.update(transcription_settings(args).to_dict())
        comparison = None
    else:
        previous = run_folder.read_previous(args.out_dir)
        if previous is not None:
            print(f"reusing {args.out_dir}: {len(previous.clips)} measured clips, {len(previous.vectors)} spaces",
                  file=sys.stderr)
        chosen = comparison_settings(args)
        result = stream.classify_stream(items, chosen, dataset_name=name, batch_size=args.batch_size,
                                        previous=previous, progress=_progress_printer(),
                                        engine=engine or workers.engine(args.workers))
        streamed, problems = result.streamed, []
        note = fixes.rendered(result.decision.note, CLI)  # before the run folder gets it (_finish renders the rest)
        comparison = result.decision.comparison
        say_groups(args.data, args.group_column, list(streamed.clips), no_groups=args.no_groups)
        settings.update(chosen.to_dict())
    for f in streamed.failures:
        print(f"not used: {f.message}", file=sys.stderr)
    problems += say_unused_columns(args.data, args.group_column)
    note = with_input_problems(note, [f.message for f in streamed.failures] + problems)
    command = shlex.join(["python", "-m", "audiodiag", *args.argv])
    run_folder.write_run(args.out_dir, streamed, comparison, note, dataset=name, settings=settings, command=command)
    print(f"wrote {args.out_dir} ({len(streamed.clips)} clips, {streamed.n_decoded} decoded this run)", file=sys.stderr)
    if streamed.failures and args.strict:
        return _strict_refusal(len(streamed.failures))
    return _finish(args, note)


def streamed_transcription(args: argparse.Namespace, name: str, items, engine):
    """`report --task transcribe --out-dir`: decode, measure (VAD) and transcribe batch by batch, then score
    against the references (the folder's transcripts.csv / .txt files, or the manifest's transcript column)."""
    from audiodiag.asr import references
    from audiodiag.verdict import transcribe

    chosen = transcription_settings(args)
    job = stream.Transcribe(chosen.model, chosen.decoding)
    model_name = job.load().name
    streamed = stream.stream(items, [], baseline=False, transcribe=job, batch_size=args.batch_size,
                             progress=_progress_printer(), engine=engine or workers.engine(args.workers))
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


def report(args: argparse.Namespace) -> int:
    {"classify": comparison_settings, "retrieve": retrieval_settings,
     "transcribe": transcription_settings}[args.task](args)  # bad settings are refused before any data is read
    if args.engine == "ray" and not args.out_dir:
        print("error: --engine ray writes a run folder; add --out-dir RUN/", file=sys.stderr)
        return EXIT_USER_ERROR
    if args.engine == "ray" and args.workers is not None:
        print("error: --workers sets the local engine's processes; Ray schedules its own (--ray-cpus N)",
              file=sys.stderr)
        return EXIT_USER_ERROR
    workers.worker_count(args.workers)  # a bad count is refused before any data is read
    if args.out_dir:
        return streamed_report(args)
    name, clips, failures = sources.load(args.data, group_by=args.group_column)
    say_groups(args.data, args.group_column, clips, no_groups=args.no_groups)
    for f in failures:
        print(f"not used: {f.message}", file=sys.stderr)
    if failures and args.strict:
        return _strict_refusal(len(failures))
    problems: list[str] = []
    if args.task == "classify":
        note = decide.run_classification(clips, comparison_settings(args), dataset_name=name,
                                         progress=_progress_printer(), encoders_from_data=not args.encoder,
                                         measure=partial(workers.measure, workers=args.workers)).note
    elif args.task == "retrieve":
        note = decide.run_retrieval(clips, retrieval_settings(args), dataset_name=name, progress=_progress_printer())
    else:
        note, problems = transcription_report(name, clips, args)
    from audiodiag.verdict.notes import with_input_problems

    problems += say_unused_columns(args.data, args.group_column)
    note = with_input_problems(note, [f.message for f in failures] + problems)
    return _finish(args, note)


def _finish(args: argparse.Namespace, note) -> int:
    """Print or write the note, say what could not run, and choose the exit status."""
    note = fixes.rendered(note, CLI)
    unavailable = note.data.get("unavailable", [])
    for row in unavailable:
        print(f"could not run: {row['reason']}", file=sys.stderr)
    markdown = note.to_markdown()
    if args.out:
        Path(args.out).write_text(markdown)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(markdown)
    if args.json:
        Path(args.json).write_text(note.to_json())
        print(f"wrote {args.json}", file=sys.stderr)
    from audiodiag.represent.embedding_cache import CACHE_WARNINGS

    for warning in CACHE_WARNINGS:
        print(f"warning: {warning}", file=sys.stderr)
    requested = [e for e in (args.encoder or []) if not spaces.is_baseline(e)]
    if requested and len(unavailable) >= len(requested):
        print("error: none of the requested encoders could run (see above); the note compares nothing", file=sys.stderr)
        return EXIT_USER_ERROR
    if unavailable and args.strict:
        return EXIT_USER_ERROR
    return 0


DEMO_CODE = '''\
encoder = encoders.load_encoder("whisper-tiny.en-unpadded")            # bundled weights, no hub
clip = io.load_clip(open(path, "rb").read(), name=path)              # any rate, downmixed to mono
wave = io.resample_clip(clip, target_sample_rate_hz=16_000).samples   # the model's training rate
features, n_real = encoder.chunk_features(wave)                        # processor: log-mel (80, frames)
hidden = encoder.hidden_states(features[None])                         # (1, frames / 2, 384)
embedding = hidden[0, :n_real].mean(axis=0)                            # mean-pool real frames -> (384,)'''


def demo(args: argparse.Namespace) -> int:
    """The minimal frozen-encoder pattern, step by step, on one bundled clip."""
    clips = [c for c in sample_sets.load_sample_set("utterances") if isinstance(c, Clip)]
    clip = clips[0]
    print(f"clip: {clip.name}, {clip.original_sample_rate_hz} Hz, {clip.original_channels} channel(s), "
          f"{clip.duration_s:.2f} s")
    if args.model:
        encoder = encoders.load_encoder(args.model)
        print(f"model: {encoder.name} (Hugging Face: AutoFeatureExtractor -> AutoModel), trained at "
              f"{encoder.sample_rate_hz} Hz")
        rows = encoder.embed([clip])
        print(f"pooled embedding: shape {rows.shape}, first values {np.round(rows[0, :4], 4).tolist()}")
        return 0
    from audiodiag.represent.encoders.whisper import WhisperEncoder

    encoder = WhisperEncoder(mode="unpadded")
    wave = decoding.resample_clip(clip, target_sample_rate_hz=encoder.sample_rate_hz).samples
    print(f"1. resample: {clip.sample_rate_hz} Hz -> {encoder.sample_rate_hz} Hz (the model's training rate): "
          f"{len(clip.samples)} -> {len(wave)} samples")
    features, n_real = encoder.chunk_features(wave)
    print(f"2. processor (Whisper log-mel): shape {features.shape} (mel bands, 10-ms frames); values "
          f"{features.min():.2f}..{features.max():.2f}, mean {features.mean():.2f} (log10 power, clamped to "
          "8 below the max, scaled to about -1..1)")
    hidden = encoder.hidden_states(features[None])
    print(f"3. encoder hidden states: shape {hidden.shape} (batch, 20-ms frames, width); {n_real} frames "
          "cover real audio")
    pooled = hidden[0, :n_real].mean(axis=0)
    print(f"4. mean-pooled embedding: shape {pooled.shape}, first values {np.round(pooled[:4], 4).tolist()}")
    same = np.allclose(pooled, encoder.embed([clip])[0], atol=1e-4)
    print(f"   equals encoders.load_encoder('whisper-tiny.en-unpadded').embed([clip])[0]: {same}")
    print("\nThe code that did it:\n" + DEMO_CODE)
    return 0


def check(args: argparse.Namespace) -> int:
    """`check DATA`: the per-clip and dataset checks as a gate (see audiodiag.runs.gate); optional clean and
    quarantine lists."""
    spec = encoders.get_spec(args.encoder) if args.encoder else None
    for path in (args.clean_list, args.quarantine):
        if path:
            cleanlist.list_format(path)  # a bad name is refused before the data is read
    workers.worker_count(args.workers)  # so is a bad count
    name, items = sources.stream_items(args.data, group_by=args.group_column)
    say = _progress_printer()
    say(f"Checking {name} (decode, levels, VAD; {args.batch_size} clips at a time) ...")
    unused = sources.unused_columns(args.data, group_by=args.group_column)
    result = gate.run_check(items, dataset_name=name, spec=spec, clip_length_s=args.pad_s,
                            reference_folder=sources.data_folder(args.data), batch_size=args.batch_size, progress=say,
                            near_duplicates=args.near_duplicates, unused=[unused] if unused else [],
                            workers=args.workers)
    print(file=sys.stderr)  # ends the progress line
    text = gate.FORMATS[args.format](result, fail_on=args.fail_on)
    if args.out:
        Path(args.out).expanduser().write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    if args.clean_list or args.quarantine:
        per_clip = result.per_clip
        codes = args.quarantine_on or cleanlist.default_codes(per_clip)
        found = {f.code for fs in per_clip.values() for f in fs}
        for code in sorted(set(codes) - found):
            print(f"note: --quarantine-on {code}: no clip has this finding here (found: {', '.join(sorted(found)) or 'none'})",
                  file=sys.stderr)
        folder = sources.data_folder(args.data)
        failures = [replace(f, name=str(folder / f.name)) if folder is not None and (folder / f.name).exists() else f
                    for f in result.failures]  # a file's path, where the failure names one in the folder
        entries = [cleanlist.Entry(c.name, c.source or c.name, c.label, c.group, ref)
                   for c, ref in zip(result.clips, result.references, strict=True)]
        keep, quarantined = cleanlist.split(entries, per_clip, quarantine_codes=set(codes), failures=failures)
        for path, rows, what in ((args.clean_list, keep, "clean list"), (args.quarantine, quarantined, "quarantine")):
            if path:
                cleanlist.write(path, rows)
                print(f"wrote the {what} {path} ({len(rows)} rows; quarantined on: {', '.join(codes) or 'nothing'})",
                      file=sys.stderr)
    print(gate.headline(result, args.fail_on), file=sys.stderr)
    return gate.exit_status(result, fail_on=args.fail_on)


def samples(args: argparse.Namespace) -> int:
    """List the bundled and downloadable sets, or download one (sha256-pinned, into the user cache)."""
    from audiodiag.data import download

    if args.download:
        total = len(download.REMOTE_DATASETS[args.download].files) if args.download in download.REMOTE_DATASETS else 0
        print(f"Downloading {args.download} ({total} files) ...", file=sys.stderr)
        folder = download.download(args.download, progress=lambda done, n: print(
            f"\r  {done}/{n} files", end="" if done < n else "\n", file=sys.stderr, flush=True))
        print(f"{args.download}: {folder} (licence and source in its ATTRIBUTION.md)\n"
              f"Use it: `python -m audiodiag report {args.download}`, or choose '{args.download}' in the app's sidebar.")
        return 0
    have = download.downloaded_sets()
    for name in sample_sets.list_sample_sets():
        print(f"{name}: {sample_sets.DESCRIPTIONS.get(name, '')}")
    for name, spec in download.REMOTE_DATASETS.items():
        if name not in have:
            print(f"{name} (not downloaded; `python -m audiodiag samples --download {name}`): {spec.title}, "
                  f"{spec.licence}")
    return 0


def models(args: argparse.Namespace) -> int:
    """The model cards of the bundled models (or of the names given) as a Markdown table, or as JSON."""
    from audiodiag import model_cards

    cards = [model_cards.model_card(n) for n in (args.names or model_cards.bundled_names())]
    if args.json:
        print(json.dumps([c.to_dict() for c in cards], indent=2))
        return 0
    rows = model_cards.card_rows(cards)
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join("-" if row[k] is None else str(row[k]).replace("|", "\\|") for k in columns) + " |")
    return 0


def dashboard_script() -> Path:
    """The dashboard's app.py: the checkout's (app.py and pages/ next to this package), else the copy a wheel
    installs as the package audiodiag_app (see pyproject.toml)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "app.py").is_file() and (checkout / "pages").is_dir():
        return checkout / "app.py"
    try:
        spec = importlib.util.find_spec("audiodiag_app.app")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        raise MissingDependencyError(
            f"the dashboard (app.py and pages/) is neither next to {checkout / 'audiodiag'} nor "
            "installed as audiodiag_app; install audiodiag with `pip install .` from a checkout, or "
            "run `streamlit run app.py` in one")
    return Path(spec.origin)


def streamlit_command(app: Path, *, port: int | None = None, extra: Iterable[str] = (), cwd: Path | None = None
                      ) -> list[str]:
    """`python -m streamlit run APP ...`. Streamlit reads .streamlit/config.toml only from the working folder, so
    outside the dashboard's folder its shipped settings (headless, upload limit, XSRF, theme) are passed as flags;
    a flag in `extra` wins over the shipped value."""
    extra = list(extra)
    flags = [] if port is None else [f"--server.port={port}"]
    config = app.parent / ".streamlit" / "config.toml"
    if config.is_file() and (cwd or Path.cwd()).resolve() != app.parent.resolve():
        given = {a.split("=", 1)[0] for a in extra + flags if a.startswith("--")}
        for section, values in tomllib.loads(config.read_text(encoding="utf-8")).items():
            for key, value in values.items():
                name = f"--{section}.{key}"
                if name not in given:
                    flags.append(f"{name}={str(value).lower() if isinstance(value, bool) else value}")
    return [sys.executable, "-m", "streamlit", "run", str(app), *flags, *extra]


def app(args: argparse.Namespace) -> int:
    """`app`: start the dashboard with Streamlit in place of this process (a server's stop signal reaches it)."""
    extra = args.streamlit_args[1:] if args.streamlit_args[:1] == ["--"] else args.streamlit_args
    command = streamlit_command(dashboard_script(), port=args.port, extra=extra)
    print("running: " + shlex.join(command), file=sys.stderr, flush=True)
    if os.name != "posix":  # Windows has no exec that keeps the console: wait for Streamlit instead
        return subprocess.call(command)
    os.execv(command[0], command)
    return 0  # not reached: Streamlit replaced this process


DATA_HELP = ("folder, .zip, manifest (.csv/.jsonl/.json/.parquet: ours, NeMo, Hugging Face Parquet, Lhotse cuts; "
             "local or URL)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m audiodiag", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="write the decision note for a dataset")
    r.add_argument("data", help=DATA_HELP + ", or bundled sample "
                   "set name")
    r.add_argument("--task", choices=("classify", "transcribe", "retrieve"), default="classify")
    r.add_argument("--encoder", action="append", help=f"frozen encoder (repeatable); default "
                   f"{', '.join(DEFAULT_ENCODERS)}, or {SOUND_ENCODER} where voice activity detection finds speech in "
                   "less than half of the audio (not with --out-dir, which streams: there the first default); any "
                   f"of: {', '.join(encoders.loadable_names())}, a Hugging Face id or a local folder")
    r.add_argument("--folds", type=int, default=ComparisonSettings().n_splits)
    r.add_argument("--no-groups", action="store_true", help="ignore groups (random stratified folds)")
    r.add_argument("--group-column", default=None, help="the labels table's column that holds groups (speaker, "
                   "session, source ...); default: the first column named like one of "
                   f"{', '.join(tables.GROUP_COLUMNS)}")
    r.add_argument("--pad-s", type=float, default=None, help="pad or trim every clip to this many seconds")
    r.add_argument("--layer", type=int, default=None, help="hidden layer for Hugging Face encoders (default: last)")
    r.add_argument("--exclude-same-group", action=argparse.BooleanOptionalAction,
                   default=RetrievalSettings().exclude_same_group,
                   help="retrieve: a query's own group (speaker/source) is not a candidate, so another take of "
                        "the same speaker cannot count as a match (default, when every clip has a group; "
                        "--no-exclude-same-group counts them, and the note shows both figures)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--model", default=DEFAULT_ASR, help="transcribe: ASR model (bundled name, HF id or folder)")
    r.add_argument("--beam", type=int, default=1, help="transcribe: beam size")
    r.add_argument("--temperature", type=float, default=0.0, help="transcribe: sampling temperature (0: greedy "
                   "or beam search, deterministic)")
    r.add_argument("--language", default="en", help="transcribe: language code (the bundled tiny.en is English)")
    r.add_argument("--baseline-features", default=None, metavar="RATE,MELS,MFCCS,WINDOW,HOP",
                   help="classify/retrieve: the spectral baseline's analysis (default 16000,64,20,512,160)")
    r.add_argument("--normalisation", choices=normalisers.names(), default="basic",
                   help="transcribe: text normalisation before WER")
    r.add_argument("--strict", action="store_true", help="exit with status 2 when any input is not used (a file "
                   "that fails to load, a labels row naming a missing file)")
    r.add_argument("--out", help="write the note (Markdown) here instead of stdout")
    r.add_argument("--json", help="also write the note with every number and setting as JSON")
    r.add_argument("--out-dir", help="classify or transcribe: stream the data in batches and write a run folder "
                   "here (run.json, clips.parquet, vectors/, folds.json, note.md, note.json); a re-run reuses what "
                   "it holds")
    r.add_argument("--batch-size", type=int, default=stream.STREAM_BATCH_CLIPS, help="--out-dir: clips decoded "
                   "at a time")
    r.add_argument("--engine", choices=("local", "ray"), default="local", help="--out-dir: run the batches in "
                   "this process (local) or on Ray Data (decode and measure in tasks, encoders in an actor pool)")
    r.add_argument("--ray-address", default=None, help="--engine ray: join this cluster (e.g. ray://head:10001); "
                   "default: start a local Ray instance")
    r.add_argument("--ray-cpus", type=int, default=None, help="--engine ray without --ray-address: cores the "
                   "local instance may use (default: all)")
    r.add_argument("--workers", type=int, default=None, help=WORKERS_HELP + "; without --out-dir only the levels "
                   f"and VAD, and by default only from {workers.MIN_POOL_AUDIO_S / 60:g} minutes of audio on")
    r.set_defaults(run=report)
    c = sub.add_parser("check", help="the per-clip and dataset checks, no model run: a gate for pipelines "
                       "(exit 1 when a finding at or above --fail-on exists)")
    c.add_argument("data", help=DATA_HELP + ", or bundled sample "
                   "set name")
    c.add_argument("--fail-on", choices=gate.FAIL_ON, default="error", help="exit 1 when a finding of this "
                   "severity or worse exists (default: error; unreadable files and NaN samples are errors)")
    c.add_argument("--format", choices=("md", "json", "junit"), default="md", help="md: a readable report; json: "
                   "every finding and every clip's measurements; junit: JUnit XML, one test case per clip")
    c.add_argument("--out", help="write the report here instead of stdout")
    c.add_argument("--encoder", default=None, help="also check the fit to this target model (sample rate, speech, "
                   "fixed input; its catalogue entry only, nothing is loaded): one of "
                   f"{', '.join(encoders.target_names())}, or a catalogue entry's Hugging Face id")
    c.add_argument("--pad-s", type=float, default=None, help="also check padding/truncation at this clip length")
    c.add_argument("--group-column", default=None, help="the labels table's column that holds groups")
    c.add_argument("--clean-list", help="write the clips that pass to this manifest (.csv or .jsonl: path, label, "
                   "group, transcript); nothing on disk is changed")
    c.add_argument("--quarantine", help="write the other clips, with the reasons, to this .csv or .jsonl")
    c.add_argument("--quarantine-on", action="append", metavar="CODE", help="finding code that quarantines a clip "
                   "(repeatable; default: every error and warning code found)")
    c.add_argument("--near-duplicates", action="store_true", help="also name near-identical clips (re-levelled "
                   "or re-encoded copies): cosine similarity of the spectral baseline's features at or above "
                   f"{duplicates.NEAR_DUPLICATE_COSINE:g}; identical clips are always named")
    c.add_argument("--batch-size", type=int, default=stream.STREAM_BATCH_CLIPS, help="clips decoded at a time")
    c.add_argument("--workers", type=int, default=None, help=WORKERS_HELP)
    c.set_defaults(run=check)
    d = sub.add_parser("demo", help="the minimal frozen-encoder pattern on a bundled clip")
    d.add_argument("--model", help="a local Hugging Face model folder or id instead of the bundled Whisper encoder")
    d.set_defaults(run=demo)
    from audiodiag.data.download import REMOTE_DATASETS

    s = sub.add_parser("samples", help="list the sample sets, or download a real one (needs internet)")
    s.add_argument("--download", choices=sorted(REMOTE_DATASETS), help="fetch this dataset into the user cache "
                   "(files checked against pinned sha256s); it then appears next to the bundled sets")
    s.set_defaults(run=samples)
    m = sub.add_parser("models", help="model cards: source package and version, licence as the package states it "
                       "(flagged when non-commercial), weights sha256 and size, sample rate, input limit")
    m.add_argument("names", nargs="*", metavar="NAME", help="bundled names, Hugging Face ids (from the local cache) "
                   "or model folders (default: every bundled model)")
    m.add_argument("--json", action="store_true", help="every card field as JSON, with full sha256 hashes")
    m.set_defaults(run=models)
    a = sub.add_parser("app", help="start the dashboard (streamlit run app.py; works from a checkout or an "
                       "installed wheel)")
    a.add_argument("--port", type=int, default=None, help="serve on this port (default: Streamlit's, 8501)")
    a.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="after `--`: more `streamlit run` options, "
                   "e.g. -- --server.address=0.0.0.0")
    a.set_defaults(run=app)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the exact command line, for run.json
    try:
        return args.run(args)
    except ConsistencyError as e:  # a bug in a claim rule, not the user's move: the unexpected-error status
        print(f"internal error (please report it): {e}", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    except AudioDiagError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
