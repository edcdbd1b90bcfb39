"""The verbs besides `report`: `check` (the gate), `demo`, `samples`, `models` and `app` (the dashboard)."""
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
from pathlib import Path

import numpy as np

from audiodiag.cli.console import progress_printer
from audiodiag.data import decoding, sample_sets, sources
from audiodiag.errors import MissingDependencyError
from audiodiag.measure import cleanlist
from audiodiag.represent import encoders
from audiodiag.runs import gate, pool
from audiodiag.types import Clip


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
    pool.worker_count(args.workers)  # so is a bad count
    name, items = sources.stream_items(args.data, group_by=args.group_column)
    say = progress_printer()
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
            print(f"note: --quarantine-on {code}: no clip has this finding here "
                  f"(found: {', '.join(sorted(found)) or 'none'})", file=sys.stderr)
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
    checkout = Path(__file__).resolve().parents[2]  # audiodiag/cli/commands.py -> the checkout
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
