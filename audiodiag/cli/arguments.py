"""The command line's shape: `parser()` with every verb, option and help text; each verb's handler is its
`run` default."""
from __future__ import annotations

import argparse

from audiodiag.asr import normalisers
from audiodiag.cli import commands, reports
from audiodiag.data import tables
from audiodiag.evaluation import duplicates
from audiodiag.represent import encoders
from audiodiag.runs import gate, pool, stream, workers
from audiodiag.settings import DEFAULT_ASR, DEFAULT_ENCODERS, SOUND_ENCODER, ComparisonSettings, RetrievalSettings

DESCRIPTION = "Headless command line: the same library code as the app, for CI or a bigger machine."
WORKERS_HELP = (f"processes that decode and measure (levels, VAD, the spectral baseline); encoders stay in one. "
                f"Default: one per usable core ({pool.usable_cores()} here), started once the files in view hold "
                f"{workers.POOL_WORTH_S:g} s of work or more; 1: everything in this process")
DATA_HELP = ("folder, .zip, manifest (.csv/.jsonl/.json/.parquet: ours, NeMo, Hugging Face Parquet, Lhotse cuts; "
             "local or URL)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m audiodiag", description=DESCRIPTION)
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
    r.set_defaults(run=reports.report)
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
    c.set_defaults(run=commands.check)
    d = sub.add_parser("demo", help="the minimal frozen-encoder pattern on a bundled clip")
    d.add_argument("--model", help="a local Hugging Face model folder or id instead of the bundled Whisper encoder")
    d.set_defaults(run=commands.demo)
    from audiodiag.data.download import REMOTE_DATASETS

    s = sub.add_parser("samples", help="list the sample sets, or download a real one (needs internet)")
    s.add_argument("--download", choices=sorted(REMOTE_DATASETS), help="fetch this dataset into the user cache "
                   "(files checked against pinned sha256s); it then appears next to the bundled sets")
    s.set_defaults(run=commands.samples)
    m = sub.add_parser("models", help="model cards: source package and version, licence as the package states it "
                       "(flagged when non-commercial), weights sha256 and size, sample rate, input limit")
    m.add_argument("names", nargs="*", metavar="NAME", help="bundled names, Hugging Face ids (from the local cache) "
                   "or model folders (default: every bundled model)")
    m.add_argument("--json", action="store_true", help="every card field as JSON, with full sha256 hashes")
    m.set_defaults(run=commands.models)
    a = sub.add_parser("app", help="start the dashboard (streamlit run app.py; works from a checkout or an "
                       "installed wheel)")
    a.add_argument("--port", type=int, default=None, help="serve on this port (default: Streamlit's, 8501)")
    a.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="after `--`: more `streamlit run` options, "
                   "e.g. -- --server.address=0.0.0.0")
    a.set_defaults(run=commands.app)
    return p
