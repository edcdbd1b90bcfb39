"""What one clip costs in each streamed stage, and what that makes 1,000,000 clips cost on W workers.

    python -m benchmarks.stage_costs [--n 200] [--out docs/scaling_numbers.json]

N synthetic clips × 5 s at 44.1 kHz (`bench_stream.synthesise`, 4 class folders, in a temporary folder: the
files are in the OS page cache, so read+decode is not disk-bound) go through the library calls `stream.stream`
makes, one stage at a time, in this process: read+decode (`manifest.read_bytes` + `decoding.load_clip`),
measurements+VAD (`dataset.measure`, `stream.STREAM_BATCH_CLIPS` clips at a time as the stream does), the
spectral baseline (`spaces.space_vectors(clips, spaces.BASELINE)`), and each bundled encoder that loads
(speech_embedding, and the default Whisper encoder, `decide.DEFAULT_ENCODERS`), each into a fresh embedding
cache folder so every vector is computed. Each stage runs once untimed on a few clips first (imports, model
load, first-call set-up); model load time is not in the per-clip figure.

Single-threaded where the library lets it be set from outside: BLAS/OpenMP (OMP_NUM_THREADS=1, threadpoolctl),
scipy.fft (`features.FFT_WORKERS = 1`), CTranslate2 (Whisper; reads OMP_NUM_THREADS). ONNX Runtime sessions
(speech_embedding; the VAD sets 1 thread itself) keep their default thread count (one per physical core), so
speech_embedding's figure is not a single-thread one where there is more than one core.

Writes {stage: ms per clip, ..., "n": N, "machine": ..., "date": ...} as JSON and prints a Markdown table and a
projection: wall time for 1e6 clips on W CPU workers = 1e6 × sum(ms per clip) / W (perfect scaling assumed:
no I/O, network or scheduling limits). GPU figures are not measured: everything here runs on the CPU.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy and the models load
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from audiodiag.data import (  # noqa: E402
    decoding,  # noqa: E402
    layout,
    manifest,
)
from audiodiag.data.rows import ManifestRow  # noqa: E402
from audiodiag.errors import AudioDiagError  # noqa: E402
from audiodiag.measure import dataset  # noqa: E402
from audiodiag.represent import encoders, features, spaces  # noqa: E402
from audiodiag.runs import stream  # noqa: E402
from audiodiag.verdict import decide  # noqa: E402
from benchmarks.bench_stream import DURATION_S, RATE_HZ, synthesise  # noqa: E402
from benchmarks.harness import machine  # noqa: E402

DEFAULT_N = 200
WARMUP_CLIPS = 4  # each stage runs untimed on this many clips first
PROJECT_CLIPS = 1_000_000
WORKERS = (1, 8, 64)
READ_DECODE, MEASURE, BASELINE = "read+decode", "measurements+VAD", "baseline features"
ENCODER_NAMES = (encoders.SPEECH_EMBEDDING, *decide.DEFAULT_ENCODERS)
META = ("n", "machine", "date", "clip", "threads", "not measured")
SECONDS_PER_HOUR = 3600


def gpu_note() -> str:
    """Why there are no GPU figures (this script measures CPU stages only; none are estimated)."""
    if shutil.which("nvidia-smi") is None:
        return "no GPU was available where these were measured"
    return "a GPU was present but this script measures CPU stages only"


def per_clip_ms(fn: Callable[[list], object], items: list) -> float:
    """Milliseconds per item of fn(items), after one untimed call on the first WARMUP_CLIPS items."""
    fn(items[:WARMUP_CLIPS])
    start = time.perf_counter()
    fn(items)
    return (time.perf_counter() - start) * 1000 / len(items)


def read_decode(rows: list) -> list:
    return [decoding.load_clip(manifest.read_bytes(r), name=r.name, label=r.label, group=r.group) for r in rows]


def measure(clips: list) -> None:
    for batch in manifest.iter_batches(clips, stream.STREAM_BATCH_CLIPS):
        dataset.measure(batch)


def encode(encoder: encoders.Encoder, name: str, cache_root: Path) -> Callable[[list], object]:
    """space_vectors into a new cache folder on every call, so no row is read back."""
    calls = iter(range(1_000_000))

    def run(clips: list) -> object:
        return spaces.space_vectors(clips, name, encoder=encoder, cache_dir=str(cache_root / f"cache{next(calls)}"))
    return run


def measure_stages(n: int, *, say: Callable[[str], None]) -> dict:
    """{stage: ms per clip, "n", "machine", "date", ...} for n synthetic clips."""
    features.FFT_WORKERS = 1  # scipy.fft: one thread (the library's default is every core)
    costs: dict = {}
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(limits=1):
        data = Path(tmp) / "data"
        say(f"synthesising {n} clips ...")
        synthesise(data, n)
        rows = [r for r in layout.iter_folder(data) if isinstance(r, ManifestRow)]
        say("read+decode ...")
        costs[READ_DECODE] = per_clip_ms(read_decode, rows)
        clips = read_decode(rows)
        say("measurements+VAD ...")
        costs[MEASURE] = per_clip_ms(measure, clips)
        say("baseline features ...")
        costs[BASELINE] = per_clip_ms(lambda c: spaces.space_vectors(c, spaces.BASELINE), clips)
        for name in ENCODER_NAMES:
            try:
                encoder = encoders.load_encoder(name)
            except AudioDiagError as e:
                skipped[name] = f"did not load: {e}"
                say(f"{name}: {skipped[name]}")
                continue
            say(f"{name} ...")
            costs[name] = per_clip_ms(encode(encoder, name, Path(tmp)), clips)
    return {**costs, "n": n, "machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"), "clip": f"{DURATION_S:g} s at {RATE_HZ / 1000:g} kHz, 16-bit WAV",
            "threads": "1 (BLAS/OpenMP, scipy.fft, CTranslate2); ONNX Runtime default (speech_embedding)",
            "not measured": {**skipped, "GPU": gpu_note()}}


def stages(results: dict) -> dict[str, float]:
    return {k: v for k, v in results.items() if k not in META}


def _hours(ms_per_clip: float, workers: int) -> str:
    hours = PROJECT_CLIPS * ms_per_clip / 1000 / workers / SECONDS_PER_HOUR
    return f"{hours:,.1f} h" if hours >= 1 else f"{hours * 60:,.0f} min"


def render(results: dict) -> str:
    """The Markdown table of per-clip costs and the projection to 1e6 clips."""
    costs = stages(results)
    base = [READ_DECODE, MEASURE, BASELINE]
    lines = [f"Per-clip cost of each streamed stage ({results['n']} clips × {results['clip']}; {results['machine']}; "
             f"{results['date']}; threads: {results['threads']}):", "",
             "| stage | ms per clip |", "|---|---|"]
    lines += [f"| {stage} | {ms:.1f} |" for stage, ms in costs.items()]
    pipelines = [("decode + measure + baseline", base)]
    pipelines += [(f"… + {name}", [*base, name]) for name in costs if name not in base]
    lines += ["", f"Projection: wall time for {PROJECT_CLIPS:,} clips on W CPU workers = {PROJECT_CLIPS:,} × "
              "sum(ms per clip) / W, assuming perfect scaling (no I/O, network or scheduling limits):", "",
              "| stages | ms per clip | dominant stage | " + " | ".join(f"W = {w}" for w in WORKERS) + " |",
              "|---|---|---|" + "---|" * len(WORKERS)]
    for label, names in pipelines:
        total = sum(costs[s] for s in names)
        top = max(names, key=costs.__getitem__)
        lines.append(f"| {label} | {total:.1f} | {top} ({costs[top] / total:.0%}) | "
                     + " | ".join(_hours(total, w) for w in WORKERS) + " |")
    lines += ["", "Not measured: " + "; ".join(f"{k}: {v}" for k, v in results["not measured"].items())
              + " (GPU numbers are left out rather than estimated)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="synthetic clips to measure on")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.n <= WARMUP_CLIPS:
        parser.error(f"--n must be more than {WARMUP_CLIPS} (the warm-up clips); got {args.n}")
    results = measure_stages(args.n, say=lambda m: print(m, file=sys.stderr))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
