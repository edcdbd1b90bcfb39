"""Run every benchmark in benchmarks/bench_*.py, print one markdown table and write it to RESULTS.md.

    python -m benchmarks.run_all          # everything; rewrites benchmarks/RESULTS.md
    python -m benchmarks.run_all p1 p2    # only these benchmark functions; RESULTS.md is left alone

Exits with status 1 when a target is missed, so a script can tell; the table is written either way.
"""
from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # also runnable as `python benchmarks/run_all.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import Row, markdown_table  # noqa: E402

RESULTS = HERE / "RESULTS.md"
VERSIONED_PACKAGES = ("numpy", "soundfile", "librosa", "plotly", "onnxruntime", "silero_vad")


def benchmark_functions(only: set[str] | None = None):
    """(module name, function) for every entry of each bench module's BENCHMARKS, in file order."""
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(f"benchmarks.{path.stem}")
        for fn in module.BENCHMARKS:
            if only is None or fn.__name__ in only:
                yield path.stem, fn


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"nproc {usable}, {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in VERSIONED_PACKAGES:
        try:
            out.append(f"{name} {version(name.replace('_', '-'))}")
        except PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def main(argv: list[str]) -> int:
    only = set(argv) or None
    known = {fn.__name__ for _, fn in benchmark_functions()}
    if only and not only <= known:
        print(f"unknown benchmark(s) {', '.join(sorted(only - known))}; choose from {', '.join(sorted(known))}",
              file=sys.stderr)
        return 2
    rows: list[Row] = []
    started = time.perf_counter()
    for module, fn in benchmark_functions(only):
        t0 = time.perf_counter()
        print(f"running {module}.{fn.__name__} ...", file=sys.stderr, flush=True)
        rows += fn()
        print(f"  {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    total_s = time.perf_counter() - started
    table = markdown_table(rows)
    print(table)
    if only is None:
        RESULTS.write_text(
            "# Benchmark results\n\n"
            f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC\n"
            f"- machine: {machine()}\n"
            f"- packages: {versions()}\n"
            f"- command: `python -m benchmarks.run_all` (whole run {total_s:.0f} s)\n\n"
            "Ratio is value / reference, both measured in this run. Timings are warm (one untimed run first) "
            "unless the row says otherwise; the page cache is warm for files on disk.\n\n"
            f"{table}\n")
        print(f"\nwritten to {RESULTS.relative_to(ROOT)} ({total_s:.0f} s)", file=sys.stderr)
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
