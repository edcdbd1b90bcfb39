"""Run every benchmark in benchmarks/bench_*.py, print one markdown table and write it to RESULTS.md.

    python -m benchmarks.run_all          # everything but the scale benchmarks; rewrites benchmarks/RESULTS.md
    python -m benchmarks.run_all p1 p2    # only these benchmark functions; RESULTS.md is left alone
    python -m benchmarks.run_all --update p9 p10
                                          # only these; their rows replace the rows of the same benchmark ids
                                          # ("P9", "P10": a row name's first word) in RESULTS.md's main table,
                                          # and the header says which rows were re-measured when
    python -m benchmarks.run_all --scale [p7s_stream_memory ...]
                                          # the scale benchmarks (modules with SCALE = True: tens of minutes
                                          # each); each one's table replaces its own block in RESULTS.md's
                                          # "Scale" section, the other blocks stay

Exits with status 1 when a target is missed, so a script can tell; the table is written either way. Whenever
RESULTS.md is written, README.md's speed section is rendered again from it (benchmarks.readme_speed).
"""
from __future__ import annotations

import datetime as dt
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # also runnable as `python benchmarks/run_all.py`
    sys.path.insert(0, str(ROOT))

from benchmarks import readme_speed  # noqa: E402
from benchmarks.harness import Row, machine, markdown_table  # noqa: E402

RESULTS = HERE / "RESULTS.md"
VERSIONED_PACKAGES = ("numpy", "soundfile", "librosa", "plotly", "onnxruntime", "silero_vad")


SCALE_HEADING = "## Scale (`python -m benchmarks.run_all --scale`, one block per benchmark, run separately)"


def benchmark_functions(only: set[str] | None = None, *, scale: bool | None = False):
    """(module name, function) for every entry of each bench module's BENCHMARKS, in file order; scale: only the
    scale modules (True), only the others (False) or both (None)."""
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(f"benchmarks.{path.stem}")
        if scale is not None and getattr(module, "SCALE", False) != scale:
            continue
        for fn in module.BENCHMARKS:
            if only is None or fn.__name__ in only:
                yield path.stem, fn


def _header(total_s: float, command: str) -> str:
    return (f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC\n"
            f"- machine: {machine()}\n"
            f"- packages: {versions()}\n"
            f"- command: `{command}` (whole run {total_s:.0f} s)\n")


CALIBRATION_START = "<!-- calibration -->"  # benchmarks.calibration's block, kept as it is


def scale_blocks(text: str) -> dict[str, str]:
    """The scale section's blocks by benchmark function name ("### name" up to the next one)."""
    if SCALE_HEADING not in text:
        return {}
    blocks, name = {}, None
    scale = text.split(SCALE_HEADING, 1)[1].split(CALIBRATION_START, 1)[0]  # the calibration block is not ours
    for line in scale.splitlines(keepends=True):
        if line.startswith("### "):
            name = line[4:].strip().strip("`")
            blocks[name] = ""
        elif name:
            blocks[name] += line
    return blocks


def write_scale(results: dict[str, tuple[list[Row], float]]) -> None:
    """Replace the blocks of the scale benchmarks just run; keep the rest of RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    blocks = scale_blocks(text)
    for name, (rows, seconds) in results.items():
        blocks[name] = "\n" + _header(seconds, f"python -m benchmarks.run_all --scale {name}") + "\n" + \
            markdown_table(rows) + "\n\n"
    head = text.split(SCALE_HEADING, 1)[0].rstrip("\n")
    calibration = text[text.index(CALIBRATION_START):] if CALIBRATION_START in text else ""
    RESULTS.write_text(head + "\n\n" + SCALE_HEADING + "\n\n" +
                       "".join(f"### `{name}`\n{block}" for name, block in blocks.items()).rstrip("\n") + "\n"
                       + (f"\n{calibration}" if calibration else ""))


def _benchmark_id(row_line: str) -> str:
    return row_line[2:].split(" ", 1)[0]


def update_rows(rows: list[Row], total_s: float, functions: list[str]) -> None:
    """Replace the main table's rows whose benchmark id (a row name's first word) the new rows carry; rows of a
    new id go at the end of the table. The header gains one "- updated:" line naming them."""
    text = RESULTS.read_text()
    head, scale = (text.split(SCALE_HEADING, 1) + [""])[:2]
    new_lines = markdown_table(rows).splitlines()[2:]
    ids = {_benchmark_id(line) for line in new_lines}
    lines = head.rstrip("\n").splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith("| ") and not line.startswith("| benchmark |")
             and not line.startswith("|---")]
    replaced = [i for i in table if _benchmark_id(lines[i]) in ids]
    at = replaced[0] if replaced else table[-1] + 1
    kept = [line for i, line in enumerate(lines) if i not in set(replaced)]
    at -= sum(1 for i in replaced if i < at)
    kept[at:at] = new_lines
    header_end = next(i for i, line in enumerate(kept) if not line.startswith("- ") and i > 1)
    kept.insert(header_end, f"- updated: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, rows "
                f"{', '.join(sorted(ids))} re-measured on {machine()} by `python -m benchmarks.run_all --update "
                f"{' '.join(functions)}` ({total_s:.0f} s)")
    RESULTS.write_text("\n".join(kept) + "\n" + (f"\n{SCALE_HEADING}{scale}" if scale else ""))


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
    scale, update = "--scale" in argv, "--update" in argv
    only = set(a for a in argv if a not in ("--scale", "--update")) or None
    if update and (scale or not only):
        print("--update takes the names of the (non-scale) benchmark functions to re-measure", file=sys.stderr)
        return 2
    known = {fn.__name__ for _, fn in benchmark_functions(scale=scale or None)}
    if only and not only <= known:
        print(f"unknown benchmark(s) {', '.join(sorted(only - known))}; choose from {', '.join(sorted(known))}",
              file=sys.stderr)
        return 2
    rows: list[Row] = []
    per_function: dict[str, tuple[list[Row], float]] = {}
    started = time.perf_counter()
    for module, fn in benchmark_functions(only, scale=scale or (False if only is None else None)):
        t0 = time.perf_counter()
        print(f"running {module}.{fn.__name__} ...", file=sys.stderr, flush=True)
        produced = fn()
        rows += produced
        per_function[fn.__name__] = (produced, time.perf_counter() - t0)
        print(f"  {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    total_s = time.perf_counter() - started
    table = markdown_table(rows)
    print(table)
    if scale:
        write_scale(per_function)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}'s scale section ({total_s:.0f} s)", file=sys.stderr)
    elif update:
        update_rows(rows, total_s, sorted(only))
        print(f"\nrows replaced in {RESULTS.relative_to(ROOT)} ({total_s:.0f} s)", file=sys.stderr)
    elif only is None:
        kept = RESULTS.read_text().split(SCALE_HEADING, 1) if RESULTS.exists() else [""]
        RESULTS.write_text(
            "# Benchmark results\n\n" + _header(total_s, "python -m benchmarks.run_all") + "\n"
            "Ratio is value / reference, both measured in this run. Timings are warm (one untimed run first) "
            "unless the row says otherwise; the page cache is warm for files on disk.\n\n"
            f"{table}\n" + (f"\n{SCALE_HEADING}{kept[1]}" if len(kept) > 1 else ""))
        print(f"\nwritten to {RESULTS.relative_to(ROOT)} ({total_s:.0f} s)", file=sys.stderr)
    if scale or update or only is None:
        readme_speed.write()
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
