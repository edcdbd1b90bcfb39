"""`report DATA`: load or stream the data, run the task's pipeline, say on stderr what was used and what was
not, write the note (Markdown, JSON, a run folder) and choose the exit status."""
from __future__ import annotations

import argparse
import shlex
import sys
from functools import partial
from pathlib import Path

from audiodiag import fixes
from audiodiag.cli.console import CLI, EXIT_USER_ERROR, progress_printer
from audiodiag.cli.options import comparison_settings, retrieval_settings, transcription_settings
from audiodiag.cli.transcription import streamed_transcription, transcription_report
from audiodiag.data import layout, manifest, sources, tables
from audiodiag.evaluation import fitting
from audiodiag.represent import spaces
from audiodiag.runs import pool, stream, workers
from audiodiag.types import Clip
from audiodiag.verdict import decide


def _strict_refusal(n_not_used: int) -> int:
    print(f"error: --strict: {n_not_used} input(s) above were not used; fix them or drop --strict", file=sys.stderr)
    return EXIT_USER_ERROR


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
        with fitting.spread_over(None if engine else workers.spread(args.workers)):  # the fits use the pool too
            result = stream.classify_stream(items, chosen, dataset_name=name, batch_size=args.batch_size,
                                            previous=previous, progress=progress_printer(),
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
    pool.worker_count(args.workers)  # a bad count is refused before any data is read
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
        with fitting.spread_over(workers.spread(args.workers)):  # the fits use the pool where measuring started one
            note = decide.run_classification(clips, comparison_settings(args), dataset_name=name,
                                             progress=progress_printer(), encoders_from_data=not args.encoder,
                                             measure=partial(workers.measure, workers=args.workers)).note
    elif args.task == "retrieve":
        note = decide.run_retrieval(clips, retrieval_settings(args), dataset_name=name, progress=progress_printer())
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
